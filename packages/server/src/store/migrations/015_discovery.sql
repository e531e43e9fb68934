-- B2B discovery (discovery/): an email proven before any organization is chosen.
--   * 'magic_link': the token of a discovery email magic link (stytch_token_type=discovery), sent to
--     an address that may belong to no member yet; spending it proves the address.
--   * 'intermediate_session': what spending such a link starts — the proven address, for 10 minutes,
--     until it is exchanged for a member session or used to create an organization (once).
-- Both are 256 random bits handed out once and stored only as their SHA-256; both are spent by one
-- UPDATE that checks they are unused and unexpired, so of two requests exactly one wins.
CREATE TABLE discovery_tokens (
  token_hash     bytea PRIMARY KEY,
  project_id     text NOT NULL REFERENCES projects ON DELETE CASCADE,
  kind           text NOT NULL CHECK (kind IN ('magic_link', 'intermediate_session')),
  email_address  text NOT NULL,
  -- PKCE: base64url(SHA-256(code_verifier)), for a link sent with a code_challenge.
  code_challenge text CHECK (code_challenge IS NULL OR kind = 'magic_link'),
  -- The factor an intermediate session proved (the email magic link), given to the session it becomes.
  authentication_factor jsonb CHECK ((authentication_factor IS NOT NULL) = (kind = 'intermediate_session')),
  created_at     timestamptz NOT NULL,
  expires_at     timestamptz NOT NULL,
  used_at        timestamptz
);
-- Issuing purges the project's tokens that expired a day ago by this index.
CREATE INDEX discovery_tokens_expiry ON discovery_tokens (project_id, expires_at);
