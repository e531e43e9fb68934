-- External SSO connections: an organization signs people in through another organization's SAML or
-- OIDC connection (the source), with its own role rules. The row lives in the target organization;
-- `external_connection_id` names the source and goes with it.

ALTER TABLE sso_connections DROP CONSTRAINT sso_connections_kind_check;
ALTER TABLE sso_connections ADD CONSTRAINT sso_connections_kind_check CHECK (kind IN ('saml', 'oidc', 'external'));
ALTER TABLE sso_connections ADD COLUMN external_connection_id text REFERENCES sso_connections ON DELETE CASCADE;
CREATE INDEX sso_connections_external ON sso_connections (external_connection_id) WHERE external_connection_id IS NOT NULL;
