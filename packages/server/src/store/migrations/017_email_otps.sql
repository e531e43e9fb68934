-- B2B email one-time passcodes (otps/): a 6-digit code mailed to an address, typed back in.
--   * 'login': for a member of an organization (login_or_signup); authenticate names the
--     organization and the address.
--   * 'discovery': for an address before any organization is chosen; authenticate names the address.
-- Only SHA-256(otp_id ':' code) is stored. A code lives 2 to 15 minutes, is spent by one UPDATE that
-- checks it is unused and unexpired (of two requests exactly one wins), and dies after 5 tries:
-- each try counts (attempts) before the code is compared. A newer code for the same address (and
-- organization) replaces the older one.
CREATE TABLE email_otps (
  otp_id           text PRIMARY KEY,
  project_id       text NOT NULL REFERENCES projects ON DELETE CASCADE,
  kind             text NOT NULL CHECK (kind IN ('login', 'discovery')),
  organization_id  text REFERENCES organizations ON DELETE CASCADE,
  member_id        text REFERENCES members ON DELETE CASCADE,
  -- The address the code was sent to, lower-cased (how authenticate finds it).
  email_normalized text NOT NULL,
  code_hash        bytea NOT NULL,
  attempts         integer NOT NULL DEFAULT 0,
  created_at       timestamptz NOT NULL,
  expires_at       timestamptz NOT NULL,
  used_at          timestamptz,
  CHECK ((kind = 'login') = (organization_id IS NOT NULL AND member_id IS NOT NULL))
);
CREATE INDEX email_otps_address ON email_otps (project_id, email_normalized, kind);
