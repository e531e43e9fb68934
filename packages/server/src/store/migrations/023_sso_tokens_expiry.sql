-- SSO tokens nobody exchanged are purged by later sign-ins (sso/flows.ts), in batches by expiry.
CREATE INDEX sso_tokens_expiry ON sso_tokens (expires_at);
