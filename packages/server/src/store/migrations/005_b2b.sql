-- B2B: organizations, their members, the members' explicit roles and the organizations' email-domain
-- role rules; member sessions share the sessions table with user sessions.

CREATE TABLE organizations (
  organization_id       text PRIMARY KEY,
  project_id            text NOT NULL REFERENCES projects ON DELETE CASCADE,
  organization_name     text NOT NULL,
  organization_slug     text NOT NULL,
  organization_logo_url text NOT NULL DEFAULT '',
  email_allowed_domains text[] NOT NULL DEFAULT '{}',
  -- The other Stytch settings (jit provisioning, invites, auth and MFA methods, connected apps...),
  -- stored as given: Gatehouse does not act on them yet, the official client reads them back.
  settings              jsonb NOT NULL DEFAULT '{}',
  -- Organization-scoped custom roles (GET/PUT /v1/b2b/rbac/organizations/{id}); [] when none.
  custom_roles          jsonb NOT NULL DEFAULT '[]',
  trusted_metadata      jsonb NOT NULL DEFAULT '{}',
  external_id           text,
  created_at            timestamptz NOT NULL,
  updated_at            timestamptz NOT NULL,
  UNIQUE (project_id, organization_slug),
  UNIQUE (project_id, external_id)
);
CREATE INDEX organizations_project_created ON organizations (project_id, created_at, organization_id);

-- rbac_email_implicit_role_assignments: a member whose email domain is `domain` holds `role_id`.
-- A table rather than JSON so member search and policy cascades can join on it.
CREATE TABLE organization_email_role_rules (
  organization_id text NOT NULL REFERENCES organizations ON DELETE CASCADE,
  project_id      text NOT NULL,
  position        integer NOT NULL,
  domain          text NOT NULL,
  role_id         text NOT NULL,
  PRIMARY KEY (organization_id, domain, role_id)
);
CREATE INDEX organization_email_role_rules_role ON organization_email_role_rules (project_id, role_id);

CREATE TABLE members (
  member_id                 text PRIMARY KEY,
  organization_id           text NOT NULL REFERENCES organizations ON DELETE CASCADE,
  project_id                text NOT NULL,
  status                    text NOT NULL CHECK (status IN ('active', 'pending', 'invited', 'deleted')),
  email_address             text NOT NULL,
  email_normalized          text NOT NULL,
  -- Lower-cased part after the @: what email-domain role rules match.
  email_domain              text NOT NULL,
  email_address_verified    boolean NOT NULL DEFAULT false,
  name                      text NOT NULL DEFAULT '',
  is_breakglass             boolean NOT NULL DEFAULT false,
  mfa_enrolled              boolean NOT NULL DEFAULT false,
  mfa_phone_number          text NOT NULL DEFAULT '',
  default_mfa_method        text NOT NULL DEFAULT '',
  trusted_metadata          jsonb NOT NULL DEFAULT '{}',
  untrusted_metadata        jsonb NOT NULL DEFAULT '{}',
  external_id               text,
  created_at                timestamptz NOT NULL,
  updated_at                timestamptz NOT NULL
);
-- One live member per email and per external id in an organization; deleted members keep theirs.
CREATE UNIQUE INDEX members_org_email ON members (organization_id, email_normalized) WHERE status <> 'deleted';
CREATE UNIQUE INDEX members_org_external_id ON members (organization_id, external_id) WHERE status <> 'deleted';
-- Keyset pagination of member search walks this index, one organization range at a time; with the
-- status and the email domain in it, the role filter and the count are answered from the index alone.
CREATE INDEX members_org_created ON members (organization_id, created_at, member_id) INCLUDE (status, email_domain);
CREATE INDEX members_org_domain ON members (organization_id, email_domain);
CREATE INDEX members_project_email ON members (project_id, email_normalized);

-- Explicit role assignments; stytch_member and implicit roles are never stored.
CREATE TABLE member_roles (
  member_id       text NOT NULL REFERENCES members ON DELETE CASCADE,
  organization_id text NOT NULL,
  project_id      text NOT NULL,
  role_id         text NOT NULL,
  created_at      timestamptz NOT NULL,
  PRIMARY KEY (member_id, role_id)
);
CREATE INDEX member_roles_org_role ON member_roles (organization_id, role_id, member_id);
CREATE INDEX member_roles_project_role ON member_roles (project_id, role_id);

-- A session belongs to a user (consumer) or to a member (B2B), never both.
ALTER TABLE sessions ALTER COLUMN user_id DROP NOT NULL;
ALTER TABLE sessions ADD COLUMN member_id text REFERENCES members ON DELETE CASCADE;
ALTER TABLE sessions ADD COLUMN organization_id text;
ALTER TABLE sessions ADD CONSTRAINT sessions_one_subject CHECK ((user_id IS NULL) <> (member_id IS NULL));
CREATE INDEX sessions_member ON sessions (project_id, member_id) WHERE revoked_at IS NULL AND member_id IS NOT NULL;

-- Member passwords and lockouts: the same rules as users' (003_passwords.sql).
CREATE TABLE member_passwords (
  password_id    text PRIMARY KEY,
  member_id      text NOT NULL UNIQUE REFERENCES members ON DELETE CASCADE,
  project_id     text NOT NULL,
  hash_type      text NOT NULL,
  hash           text NOT NULL,
  hash_config    jsonb,
  requires_reset boolean NOT NULL DEFAULT false,
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL
);

CREATE TABLE member_lockouts (
  member_id         text PRIMARY KEY REFERENCES members ON DELETE CASCADE,
  project_id        text NOT NULL,
  failed_attempts   integer NOT NULL,
  window_started_at timestamptz NOT NULL,
  lock_created_at   timestamptz,
  lock_expires_at   timestamptz
);

-- Email tokens (magic links, invites, resets) for members: the member row holds the address.
ALTER TABLE email_tokens ALTER COLUMN user_id DROP NOT NULL;
ALTER TABLE email_tokens ALTER COLUMN email_id DROP NOT NULL;
ALTER TABLE email_tokens ADD COLUMN member_id text REFERENCES members ON DELETE CASCADE;
ALTER TABLE email_tokens ADD CONSTRAINT email_tokens_one_subject CHECK ((user_id IS NULL) <> (member_id IS NULL));
CREATE INDEX email_tokens_member ON email_tokens (project_id, member_id, purpose) WHERE used_at IS NULL AND revoked_at IS NULL AND member_id IS NOT NULL;
