-- Projects, their API secrets, consumer users and the versioned RBAC policy.

CREATE TABLE projects (
  project_id   text PRIMARY KEY,
  environment  text NOT NULL CHECK (environment IN ('test', 'live')),
  public_token text NOT NULL UNIQUE,
  created_at   timestamptz NOT NULL
);

-- Secrets are stored only as SHA-256 hashes: they are 256-bit random strings, so a slow hash adds
-- nothing but latency on every API call.
CREATE TABLE project_secrets (
  secret_id   text PRIMARY KEY,
  project_id  text NOT NULL REFERENCES projects ON DELETE CASCADE,
  secret_hash bytea NOT NULL,
  last_four   text NOT NULL,
  created_at  timestamptz NOT NULL,
  revoked_at  timestamptz
);
CREATE INDEX project_secrets_project ON project_secrets (project_id) WHERE revoked_at IS NULL;

CREATE TABLE users (
  user_id            text PRIMARY KEY,
  project_id         text NOT NULL REFERENCES projects ON DELETE CASCADE,
  status             text NOT NULL CHECK (status IN ('active', 'pending')),
  first_name         text NOT NULL DEFAULT '',
  middle_name        text NOT NULL DEFAULT '',
  last_name          text NOT NULL DEFAULT '',
  trusted_metadata   jsonb NOT NULL DEFAULT '{}',
  untrusted_metadata jsonb NOT NULL DEFAULT '{}',
  external_id        text,
  created_at         timestamptz NOT NULL,
  updated_at         timestamptz NOT NULL,
  UNIQUE (project_id, external_id)
);
-- Keyset pagination of search results walks this index.
CREATE INDEX users_project_created ON users (project_id, created_at, user_id);

CREATE TABLE user_emails (
  email_id         text PRIMARY KEY,
  user_id          text NOT NULL REFERENCES users ON DELETE CASCADE,
  project_id       text NOT NULL,
  email            text NOT NULL,
  email_normalized text NOT NULL,
  verified         boolean NOT NULL DEFAULT false,
  created_at       timestamptz NOT NULL,
  UNIQUE (project_id, email_normalized)
);
CREATE INDEX user_emails_user ON user_emails (user_id);

CREATE TABLE user_phone_numbers (
  phone_id     text PRIMARY KEY,
  user_id      text NOT NULL REFERENCES users ON DELETE CASCADE,
  project_id   text NOT NULL,
  phone_number text NOT NULL,
  verified     boolean NOT NULL DEFAULT false,
  created_at   timestamptz NOT NULL,
  UNIQUE (project_id, phone_number)
);
CREATE INDEX user_phone_numbers_user ON user_phone_numbers (user_id);

-- Explicit role assignments; default roles are implied and never stored.
CREATE TABLE user_roles (
  user_id    text NOT NULL REFERENCES users ON DELETE CASCADE,
  project_id text NOT NULL,
  role_id    text NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (user_id, role_id)
);
CREATE INDEX user_roles_role ON user_roles (project_id, role_id);

-- Every policy version is kept; the head row says which is current and is what writers lock.
CREATE TABLE rbac_policy_versions (
  project_id text NOT NULL REFERENCES projects ON DELETE CASCADE,
  kind       text NOT NULL CHECK (kind IN ('consumer', 'b2b')),
  version    integer NOT NULL,
  policy     jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (project_id, kind, version)
);

CREATE TABLE rbac_policy_heads (
  project_id text NOT NULL REFERENCES projects ON DELETE CASCADE,
  kind       text NOT NULL CHECK (kind IN ('consumer', 'b2b')),
  version    integer NOT NULL,
  PRIMARY KEY (project_id, kind)
);
