-- M2M clients (m2m/), Stytch's shapes: a machine identity of the project that trades its client_id
-- and client_secret for an access token (client-credentials grant). The secrets are 256 random bits
-- (or an imported value of at least 32 characters), so only their SHA-256 digest is kept, compared
-- in constant time. During a rotation the next secret is kept beside the current one and both work
-- until the rotation is completed (next becomes current) or cancelled (next is dropped).
CREATE TABLE m2m_clients (
  project_id             text NOT NULL REFERENCES projects ON DELETE CASCADE,
  client_id              text NOT NULL,
  client_name            text NOT NULL DEFAULT '',
  client_description     text NOT NULL DEFAULT '',
  status                 text NOT NULL CHECK (status IN ('active', 'inactive')),
  scopes                 text[] NOT NULL DEFAULT '{}',
  trusted_metadata       jsonb NOT NULL DEFAULT '{}',
  secret_hash            bytea NOT NULL,
  secret_last_four       text NOT NULL,
  next_secret_hash       bytea,
  next_secret_last_four  text,
  created_at             timestamptz NOT NULL,
  updated_at             timestamptz NOT NULL,
  PRIMARY KEY (project_id, client_id),
  CHECK ((next_secret_hash IS NULL) = (next_secret_last_four IS NULL))
);
CREATE INDEX m2m_clients_created ON m2m_clients (project_id, created_at, client_id);
