-- Dashboard admins and their sessions: people who run the server, kept apart from every project's
-- users, members and sessions (admins/service.ts).

CREATE TABLE admins (
  admin_id      text PRIMARY KEY,
  -- Lower-cased and trimmed, so one address is one admin.
  email         text NOT NULL UNIQUE,
  -- argon2id (PHC string), as passwords/hashing.ts makes them.
  password_hash text NOT NULL,
  created_at    timestamptz NOT NULL,
  disabled_at   timestamptz
);

-- The cookie carries 256 random bits; only their SHA-256 is stored. A session ends at expires_at
-- (absolute lifetime), when unused for the idle timeout, at logout, or when its admin is disabled.
CREATE TABLE admin_sessions (
  admin_session_id text PRIMARY KEY,
  admin_id         text NOT NULL REFERENCES admins ON DELETE CASCADE,
  token_hash       bytea NOT NULL UNIQUE,
  started_at       timestamptz NOT NULL,
  last_accessed_at timestamptz NOT NULL,
  expires_at       timestamptz NOT NULL,
  revoked_at       timestamptz
);
CREATE INDEX admin_sessions_admin ON admin_sessions (admin_id) WHERE revoked_at IS NULL;
