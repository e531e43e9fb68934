-- One-time passcodes by SMS (issue 18) and for consumer users, in the one code store of 017
-- (otps/codes.ts): a code now has a channel (email or sms) and an address (the lower-cased email
-- address, or the E.164 phone number). Kinds:
--   * 'login' / 'discovery': B2B email codes, as before;
--   * 'mfa': a B2B member's SMS second factor (organization and member set, channel sms);
--   * 'user': a consumer user's code by email or SMS (user set).
-- The SMS outbox shares email_outbox (channel 'sms', to_address the phone number), and a member's
-- mfa_phone_number is marked verified once a code sent to it is authenticated.
ALTER TABLE email_otps RENAME COLUMN email_normalized TO address;
ALTER TABLE email_otps ADD COLUMN channel text NOT NULL DEFAULT 'email' CHECK (channel IN ('email', 'sms'));
ALTER TABLE email_otps ADD COLUMN user_id text REFERENCES users ON DELETE CASCADE;
ALTER TABLE email_otps DROP CONSTRAINT email_otps_kind_check;
ALTER TABLE email_otps DROP CONSTRAINT email_otps_check;
ALTER TABLE email_otps ADD CONSTRAINT email_otps_kind CHECK (kind IN ('login', 'discovery', 'mfa', 'user'));
ALTER TABLE email_otps ADD CONSTRAINT email_otps_scope CHECK (
  (kind IN ('login', 'mfa')) = (organization_id IS NOT NULL AND member_id IS NOT NULL)
  AND (kind = 'user') = (user_id IS NOT NULL)
  AND (kind <> 'mfa' OR channel = 'sms')
  AND (kind NOT IN ('login', 'discovery') OR channel = 'email'));
DROP INDEX email_otps_address;
CREATE INDEX email_otps_address ON email_otps (project_id, channel, address, kind);

ALTER TABLE email_outbox ADD COLUMN channel text NOT NULL DEFAULT 'email' CHECK (channel IN ('email', 'sms'));

ALTER TABLE members ADD COLUMN mfa_phone_number_verified boolean NOT NULL DEFAULT false;
