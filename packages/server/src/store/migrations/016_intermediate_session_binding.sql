-- Intermediate sessions that an organization's sign-in rules hand out (sessions/member-sign-in.ts):
-- a primary authentication the organization does not accept on its own (primary_required), or one
-- that still needs MFA (mfa_required), gives no session but an intermediate session bound to the
-- member and organization it was for, carrying every factor proven so far. The next step (another
-- primary method, or MFA) presents it and finds them here. Discovery's intermediate sessions stay
-- unbound (NULL member and organization) with their one factor.
ALTER TABLE discovery_tokens ADD COLUMN member_id text;
ALTER TABLE discovery_tokens ADD COLUMN organization_id text;
-- Every factor proven so far, in order (NULL: only authentication_factor, as discovery issues them).
ALTER TABLE discovery_tokens ADD COLUMN authentication_factors jsonb;
ALTER TABLE discovery_tokens ADD CONSTRAINT discovery_tokens_binding CHECK ((member_id IS NULL) = (organization_id IS NULL) AND (member_id IS NULL OR kind = 'intermediate_session'));
