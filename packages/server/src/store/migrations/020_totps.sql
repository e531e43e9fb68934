-- TOTP registrations and their recovery codes (totps/), consumer (user_id) and B2B (member_id).
-- The secret is sealed with the keyring (encryption/stored-secrets.ts SEALED.totpSecret). A
-- registration is 'pending' until its first successful authenticate (until expires_at), then
-- 'active'; one active registration per user or member. last_used_step is the RFC 6238 time step of
-- the last accepted code: a code is accepted only for a later step (no replay within its window).
-- Recovery codes: 10 per registration, each SHA-256(totp_id ':' code) for matching and sealed
-- (SEALED.recoveryCode) so the list can be shown again as Stytch's get does; used once (used_at).
CREATE TABLE totp_registrations (
  totp_id          text PRIMARY KEY,
  project_id       text NOT NULL REFERENCES projects ON DELETE CASCADE,
  user_id          text REFERENCES users ON DELETE CASCADE,
  organization_id  text REFERENCES organizations ON DELETE CASCADE,
  member_id        text REFERENCES members ON DELETE CASCADE,
  secret_encrypted text NOT NULL,
  status           text NOT NULL CHECK (status IN ('pending', 'active')),
  last_used_step   bigint NOT NULL DEFAULT -1,
  created_at       timestamptz NOT NULL,
  expires_at       timestamptz,
  CHECK ((user_id IS NULL) <> (member_id IS NULL)),
  CHECK ((member_id IS NULL) = (organization_id IS NULL))
);
CREATE UNIQUE INDEX totp_registrations_active_user ON totp_registrations (user_id) WHERE status = 'active' AND user_id IS NOT NULL;
CREATE UNIQUE INDEX totp_registrations_active_member ON totp_registrations (member_id) WHERE status = 'active' AND member_id IS NOT NULL;
CREATE INDEX totp_registrations_member ON totp_registrations (member_id);
CREATE INDEX totp_registrations_user ON totp_registrations (user_id);

CREATE TABLE totp_recovery_codes (
  code_id        text PRIMARY KEY,
  totp_id        text NOT NULL REFERENCES totp_registrations ON DELETE CASCADE,
  position       integer NOT NULL,
  code_hash      bytea NOT NULL,
  code_encrypted text NOT NULL,
  used_at        timestamptz
);
CREATE INDEX totp_recovery_codes_totp ON totp_recovery_codes (totp_id);
