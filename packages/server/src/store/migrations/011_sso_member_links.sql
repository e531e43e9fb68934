-- SSO never takes over an existing member by email alone (docs/security/sso-linking.md). A sign-in
-- through a connection finds an existing member by email only when one of these holds:
--   * the connection provisioned the member (reason 'provisioned', written at JIT creation);
--   * a caller allowed to do so linked the member to the connection (reason 'linked', audited);
--   * the email's domain is one of the connection's verified_email_domains (set with the project
--     secret only, audited as a connection update).
CREATE TABLE sso_member_links (
  member_id       text NOT NULL REFERENCES members ON DELETE CASCADE,
  connection_id   text NOT NULL REFERENCES sso_connections ON DELETE CASCADE,
  organization_id text NOT NULL,
  project_id      text NOT NULL,
  reason          text NOT NULL CHECK (reason IN ('provisioned', 'linked')),
  created_at      timestamptz NOT NULL,
  PRIMARY KEY (member_id, connection_id)
);
CREATE INDEX sso_member_links_connection ON sso_member_links (connection_id);

ALTER TABLE sso_connections ADD COLUMN verified_email_domains text[] NOT NULL DEFAULT '{}';

-- Sign-ins in flight expire after minutes; starts purge the expired ones by this index.
CREATE INDEX sso_flows_expiry ON sso_flows (expires_at);
