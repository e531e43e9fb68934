-- OAuth sign-in with Google, Microsoft and GitHub (oauth/): consumer users, B2B members and B2B
-- discovery.
--   * oauth_providers: the project's client at each provider. The secret is sealed
--     (encryption/stored-secrets.ts); the endpoint columns override the provider's preset (NULL: the
--     preset), so a provider on the developer's machine or the tests' loopback stands in.
--   * oauth_flows: a sign-in sent to the provider. The state is 256 random bits kept only as its
--     SHA-256, used once by one UPDATE, 10 minutes; it carries the nonce and PKCE verifier sent to
--     the provider and the registered redirect URLs resolved at the start.
--   * oauth_tokens: what the callback hands the application (stytch_token_type=oauth or
--     discovery_oauth): SHA-256 only, 10 minutes, spent once by authenticate.
--   * oauth_registrations: a provider's subject known as a user or a member (Stytch's providers /
--     oauth_registrations). An email match links only when the provider says the address is verified.
CREATE TABLE oauth_providers (
  provider_id             text PRIMARY KEY,
  project_id              text NOT NULL REFERENCES projects ON DELETE CASCADE,
  provider                text NOT NULL CHECK (provider IN ('google', 'microsoft', 'github')),
  client_id               text NOT NULL,
  client_secret_encrypted text NOT NULL,
  authorization_url       text,
  token_url               text,
  userinfo_url            text,
  jwks_url                text,
  issuer                  text,
  custom_scopes           text NOT NULL DEFAULT '',
  created_at              timestamptz NOT NULL,
  updated_at              timestamptz NOT NULL,
  UNIQUE (project_id, provider)
);

CREATE TABLE oauth_flows (
  state_hash          bytea PRIMARY KEY,
  project_id          text NOT NULL REFERENCES projects ON DELETE CASCADE,
  provider            text NOT NULL,
  kind                text NOT NULL CHECK (kind IN ('consumer', 'b2b', 'discovery')),
  organization_id     text CHECK ((organization_id IS NOT NULL) = (kind = 'b2b')),
  nonce               text NOT NULL,
  code_verifier       text NOT NULL,
  login_redirect_url  text NOT NULL,
  signup_redirect_url text NOT NULL,
  pkce_code_challenge text,
  created_at          timestamptz NOT NULL,
  expires_at          timestamptz NOT NULL,
  used_at             timestamptz
);
CREATE INDEX oauth_flows_expiry ON oauth_flows (expires_at);

CREATE TABLE oauth_registrations (
  registration_id  text PRIMARY KEY,
  project_id       text NOT NULL REFERENCES projects ON DELETE CASCADE,
  provider         text NOT NULL,
  provider_subject text NOT NULL,
  user_id          text REFERENCES users ON DELETE CASCADE,
  member_id        text REFERENCES members ON DELETE CASCADE,
  organization_id  text,
  created_at       timestamptz NOT NULL,
  CHECK ((user_id IS NULL) <> (member_id IS NULL)),
  CHECK ((organization_id IS NULL) = (member_id IS NULL))
);
CREATE UNIQUE INDEX oauth_registrations_user ON oauth_registrations (project_id, provider, provider_subject) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX oauth_registrations_member ON oauth_registrations (organization_id, provider, provider_subject) WHERE member_id IS NOT NULL;
CREATE INDEX oauth_registrations_of_user ON oauth_registrations (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX oauth_registrations_of_member ON oauth_registrations (member_id) WHERE member_id IS NOT NULL;

CREATE TABLE oauth_tokens (
  token_hash          bytea PRIMARY KEY,
  project_id          text NOT NULL REFERENCES projects ON DELETE CASCADE,
  kind                text NOT NULL CHECK (kind IN ('consumer', 'b2b', 'discovery')),
  provider            text NOT NULL,
  provider_subject    text NOT NULL,
  email_address       text NOT NULL,
  full_name           text NOT NULL DEFAULT '',
  -- Microsoft: the user's tenant (tid).
  tenant_id           text NOT NULL DEFAULT '',
  -- consumer: the user; b2b: the member; discovery: neither (the address is what it proves).
  registration_id     text,
  user_id             text,
  member_id           text,
  pkce_code_challenge text,
  created_at          timestamptz NOT NULL,
  expires_at          timestamptz NOT NULL,
  used_at             timestamptz
);
CREATE INDEX oauth_tokens_expiry ON oauth_tokens (expires_at);
