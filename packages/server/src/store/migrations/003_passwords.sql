-- Passwords, the lockout that failed sign-ins lead to, and rate-limit counters.

-- One password per user. New passwords are argon2id PHC strings (hash_type 'argon_2id', no config).
-- Migrated ones keep the hash and parameters they came with until the first successful sign-in
-- replaces them with argon2id. Never a plaintext password.
CREATE TABLE user_passwords (
  password_id    text PRIMARY KEY,
  user_id        text NOT NULL UNIQUE REFERENCES users ON DELETE CASCADE,
  project_id     text NOT NULL,
  hash_type      text NOT NULL,
  hash           text NOT NULL,
  hash_config    jsonb,
  requires_reset boolean NOT NULL DEFAULT false,
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL
);

-- Failed password attempts inside the current window, and the lock they led to. A row exists only
-- once an attempt failed; a successful sign-in deletes it (unless the user is locked).
CREATE TABLE user_lockouts (
  user_id           text PRIMARY KEY REFERENCES users ON DELETE CASCADE,
  project_id        text NOT NULL,
  failed_attempts   integer NOT NULL,
  window_started_at timestamptz NOT NULL,
  lock_created_at   timestamptz,
  lock_expires_at   timestamptz
);

-- Fixed-window request counters shared by every server process. The key is a SHA-256 of the rule
-- and subject (project + IP, or project + email), so no address is stored in the clear.
CREATE TABLE rate_limit_counters (
  key          text PRIMARY KEY,
  window_start timestamptz NOT NULL,
  count        integer NOT NULL,
  expires_at   timestamptz NOT NULL
);
CREATE INDEX rate_limit_counters_expiry ON rate_limit_counters (expires_at);
