-- SSO: SAML and OIDC connections of organizations, members' registrations with them (with the IdP
-- groups of their last sign-in), sign-ins in flight, the one-time tokens that end them, and the
-- SAML assertions already used.

CREATE TABLE sso_connections (
  connection_id         text PRIMARY KEY,
  organization_id       text NOT NULL REFERENCES organizations ON DELETE CASCADE,
  project_id            text NOT NULL,
  kind                  text NOT NULL CHECK (kind IN ('saml', 'oidc')),
  status                text NOT NULL CHECK (status IN ('pending', 'active')),
  display_name          text NOT NULL DEFAULT '',
  identity_provider     text NOT NULL DEFAULT 'generic',
  -- The protocol settings: SAML (IdP entity id, SSO URL, certificates, attribute mapping...) or
  -- OIDC (issuer, client, endpoints, scopes, attribute mapping). The OIDC client secret is here: it
  -- is a credential for the IdP that Gatehouse must present, so it cannot be hashed.
  config                jsonb NOT NULL DEFAULT '{}',
  -- Implicit roles: everyone signing in through the connection, and members of an IdP group.
  connection_role_rules jsonb NOT NULL DEFAULT '[]',
  group_role_rules      jsonb NOT NULL DEFAULT '[]',
  created_at            timestamptz NOT NULL,
  updated_at            timestamptz NOT NULL
);
CREATE INDEX sso_connections_organization ON sso_connections (organization_id, created_at);

-- A member's identity at a connection; `groups` are the IdP groups sent at the latest sign-in.
CREATE TABLE sso_registrations (
  registration_id text PRIMARY KEY,
  member_id       text NOT NULL REFERENCES members ON DELETE CASCADE,
  connection_id   text NOT NULL REFERENCES sso_connections ON DELETE CASCADE,
  organization_id text NOT NULL,
  project_id      text NOT NULL,
  external_id     text NOT NULL,
  groups          text[] NOT NULL DEFAULT '{}',
  sso_attributes  jsonb NOT NULL DEFAULT '{}',
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL,
  UNIQUE (connection_id, external_id),
  UNIQUE (member_id, connection_id)
);
CREATE INDEX sso_registrations_org ON sso_registrations (organization_id, connection_id);

-- A sign-in started at /v1/public/sso/start: the state we sent (hashed), what to check when the IdP
-- answers (SAML request id; OIDC nonce and PKCE verifier) and where to send the browser afterwards.
CREATE TABLE sso_flows (
  state_hash           bytea PRIMARY KEY,
  connection_id        text NOT NULL REFERENCES sso_connections ON DELETE CASCADE,
  project_id           text NOT NULL,
  request_id           text,
  nonce                text,
  code_verifier        text,
  login_redirect_url   text NOT NULL,
  signup_redirect_url  text NOT NULL,
  -- The application's PKCE challenge, checked at /v1/b2b/sso/authenticate.
  pkce_code_challenge  text,
  created_at           timestamptz NOT NULL,
  expires_at           timestamptz NOT NULL,
  used_at              timestamptz
);

-- The one-time token the browser brings back to the application, exchanged at /v1/b2b/sso/authenticate.
CREATE TABLE sso_tokens (
  token_hash          bytea PRIMARY KEY,
  project_id          text NOT NULL,
  member_id           text NOT NULL REFERENCES members ON DELETE CASCADE,
  connection_id       text NOT NULL REFERENCES sso_connections ON DELETE CASCADE,
  external_id         text NOT NULL,
  pkce_code_challenge text,
  created_at          timestamptz NOT NULL,
  expires_at          timestamptz NOT NULL,
  used_at             timestamptz
);

-- SAML assertions seen, kept until they expire, so one cannot be replayed.
CREATE TABLE saml_assertions_seen (
  connection_id text NOT NULL,
  assertion_id  text NOT NULL,
  expires_at    timestamptz NOT NULL,
  PRIMARY KEY (connection_id, assertion_id)
);
CREATE INDEX saml_assertions_seen_expiry ON saml_assertions_seen (expires_at);
