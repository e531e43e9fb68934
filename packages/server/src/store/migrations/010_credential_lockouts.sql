-- Admin sign-in locks as user and member sign-in do, and addresses that name no account keep a
-- failure counter too, so a failed sign-in does the same database work either way
-- (passwords/lockout.ts). Both tables have the shape of user_lockouts (003_passwords.sql).

-- Admins belong to no project: project_id stays null here.
CREATE TABLE admin_lockouts (
  admin_id          text PRIMARY KEY REFERENCES admins ON DELETE CASCADE,
  project_id        text,
  failed_attempts   integer NOT NULL,
  window_started_at timestamptz NOT NULL,
  lock_created_at   timestamptz,
  lock_expires_at   timestamptz
);

-- Keyed by a SHA-256 of the kind (user, member, admin), the space the address is unique in and the
-- normalized address: the address itself is never stored. Swept once the window and lock are over.
CREATE TABLE unknown_identifier_lockouts (
  identifier_hash   text PRIMARY KEY,
  project_id        text,
  failed_attempts   integer NOT NULL,
  window_started_at timestamptz NOT NULL,
  lock_created_at   timestamptz,
  lock_expires_at   timestamptz
);
CREATE INDEX unknown_identifier_lockouts_window ON unknown_identifier_lockouts (window_started_at);
