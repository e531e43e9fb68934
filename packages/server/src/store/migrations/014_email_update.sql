-- A member's email change waits until the new address is proven: the new address travels on an
-- 'email_update' token (sent to that address) and replaces the member's address only when the
-- token is spent. Until then the member keeps its address, and the new one grants and signs in
-- nothing (docs/security/verified-identities.md).
ALTER TABLE email_tokens DROP CONSTRAINT email_tokens_purpose_check;
ALTER TABLE email_tokens ADD CONSTRAINT email_tokens_purpose_check
  CHECK (purpose IN ('login', 'signup', 'invite', 'reset_password', 'email_update'));
ALTER TABLE email_tokens ADD COLUMN email_address text;
ALTER TABLE email_tokens ADD CONSTRAINT email_tokens_email_update_address
  CHECK ((purpose = 'email_update') = (email_address IS NOT NULL AND member_id IS NOT NULL));
-- Who else is changing to an address (two members may not wait for the same one at once).
CREATE INDEX email_tokens_pending_address ON email_tokens (project_id, lower(email_address))
  WHERE purpose = 'email_update' AND used_at IS NULL AND revoked_at IS NULL;
