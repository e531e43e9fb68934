-- Consumer sessions and the keys that sign their JWTs.

-- A session token is 256 random bits; only its SHA-256 is stored.
CREATE TABLE sessions (
  session_id             text PRIMARY KEY,
  project_id             text NOT NULL REFERENCES projects ON DELETE CASCADE,
  user_id                text NOT NULL REFERENCES users ON DELETE CASCADE,
  token_hash             bytea NOT NULL UNIQUE,
  started_at             timestamptz NOT NULL,
  last_accessed_at       timestamptz NOT NULL,
  expires_at             timestamptz NOT NULL,
  revoked_at             timestamptz,
  authentication_factors jsonb NOT NULL DEFAULT '[]',
  custom_claims          jsonb NOT NULL DEFAULT '{}',
  attributes             jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX sessions_user ON sessions (project_id, user_id) WHERE revoked_at IS NULL;

-- One active key signs; retired keys stay published in the JWKS until their last token expired.
CREATE TABLE signing_keys (
  kid         text PRIMARY KEY,
  project_id  text NOT NULL REFERENCES projects ON DELETE CASCADE,
  private_jwk jsonb NOT NULL,
  public_jwk  jsonb NOT NULL,
  created_at  timestamptz NOT NULL,
  retired_at  timestamptz
);
CREATE INDEX signing_keys_project ON signing_keys (project_id, created_at);
