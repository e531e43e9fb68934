-- Email: one-time tokens sent by email (magic links, invites, password resets) and the outbox that
-- holds messages when no SMTP server is configured.

-- A token is 256 random bits; only its SHA-256 is stored. It is spent by setting used_at in the same
-- statement that checks it is still unused and unexpired, so two requests with one token cannot both
-- succeed. Invites are voided by setting revoked_at.
CREATE TABLE email_tokens (
  token_hash     bytea PRIMARY KEY,
  project_id     text NOT NULL REFERENCES projects ON DELETE CASCADE,
  user_id        text NOT NULL REFERENCES users ON DELETE CASCADE,
  email_id       text NOT NULL REFERENCES user_emails ON DELETE CASCADE,
  purpose        text NOT NULL CHECK (purpose IN ('login', 'signup', 'invite', 'reset_password')),
  -- PKCE: base64url(SHA-256(code_verifier)), when the flow was started with a code_challenge.
  code_challenge text,
  created_at     timestamptz NOT NULL,
  expires_at     timestamptz NOT NULL,
  used_at        timestamptz,
  revoked_at     timestamptz
);
CREATE INDEX email_tokens_email ON email_tokens (project_id, email_id, purpose) WHERE used_at IS NULL AND revoked_at IS NULL;

-- Messages kept instead of sent, for development without a mail server (GET /v1/project/outbox).
CREATE TABLE email_outbox (
  position   bigint GENERATED ALWAYS AS IDENTITY,
  message_id text PRIMARY KEY,
  project_id text NOT NULL REFERENCES projects ON DELETE CASCADE,
  to_address text NOT NULL,
  from_address text NOT NULL,
  subject    text NOT NULL,
  text_body  text NOT NULL,
  html_body  text NOT NULL,
  kind       text NOT NULL,
  link       text,
  created_at timestamptz NOT NULL
);
CREATE INDEX email_outbox_project ON email_outbox (project_id, position);
