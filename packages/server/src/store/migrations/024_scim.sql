-- SCIM provisioning (scim/): an organization's SCIM connection (one per organization, as Stytch),
-- the users and groups its identity provider provisions through the SCIM 2.0 service at the
-- connection's base_url, and the groups' members.
--   * scim_connections: the bearer token is 256 random bits kept only as its SHA-256 (shown once);
--     during a rotation the next token is kept the same way until complete or cancel.
--     group_role_rules are scim_group_implicit_role_assignments: [{role_id, group_id}].
--   * scim_users: a provisioned user is a member of the connection's organization (the SCIM id is
--     the member_id); the SCIM attributes the IdP sent, and whether it is active.
--   * scim_groups, scim_group_members: the IdP's groups and who is in each; a group role rule
--     gives its role to every member in the group (members/roles.ts).
CREATE TABLE scim_connections (
  connection_id                text PRIMARY KEY,
  organization_id              text NOT NULL REFERENCES organizations ON DELETE CASCADE,
  project_id                   text NOT NULL,
  status                       text NOT NULL DEFAULT 'active' CHECK (status IN ('active')),
  display_name                 text NOT NULL DEFAULT '',
  identity_provider            text NOT NULL DEFAULT 'generic',
  bearer_token_hash            bytea NOT NULL UNIQUE,
  bearer_token_last_four       text NOT NULL,
  bearer_token_expires_at      timestamptz,
  next_bearer_token_hash       bytea UNIQUE,
  next_bearer_token_last_four  text NOT NULL DEFAULT '',
  next_bearer_token_expires_at timestamptz,
  group_role_rules             jsonb NOT NULL DEFAULT '[]',
  created_at                   timestamptz NOT NULL,
  updated_at                   timestamptz NOT NULL
);
CREATE UNIQUE INDEX scim_connections_organization ON scim_connections (organization_id);

CREATE TABLE scim_users (
  connection_id        text NOT NULL REFERENCES scim_connections ON DELETE CASCADE,
  member_id            text NOT NULL REFERENCES members ON DELETE CASCADE,
  registration_id      text NOT NULL UNIQUE,
  organization_id      text NOT NULL,
  project_id           text NOT NULL,
  user_name            text NOT NULL,
  user_name_normalized text NOT NULL,
  external_id          text,
  active               boolean NOT NULL,
  attributes           jsonb NOT NULL DEFAULT '{}',
  version              integer NOT NULL DEFAULT 1,
  created_at           timestamptz NOT NULL,
  updated_at           timestamptz NOT NULL,
  PRIMARY KEY (connection_id, member_id),
  UNIQUE (connection_id, user_name_normalized)
);
CREATE UNIQUE INDEX scim_users_external_id ON scim_users (connection_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX scim_users_member ON scim_users (member_id);
CREATE INDEX scim_users_created ON scim_users (connection_id, created_at, member_id);

CREATE TABLE scim_groups (
  group_id        text PRIMARY KEY,
  connection_id   text NOT NULL REFERENCES scim_connections ON DELETE CASCADE,
  organization_id text NOT NULL,
  project_id      text NOT NULL,
  display_name    text NOT NULL,
  external_id     text,
  version         integer NOT NULL DEFAULT 1,
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL,
  UNIQUE (connection_id, display_name)
);
CREATE INDEX scim_groups_created ON scim_groups (connection_id, created_at, group_id);

CREATE TABLE scim_group_members (
  group_id        text NOT NULL REFERENCES scim_groups ON DELETE CASCADE,
  member_id       text NOT NULL REFERENCES members ON DELETE CASCADE,
  connection_id   text NOT NULL,
  organization_id text NOT NULL,
  project_id      text NOT NULL,
  PRIMARY KEY (group_id, member_id)
);
CREATE INDEX scim_group_members_member ON scim_group_members (member_id);
CREATE INDEX scim_group_members_organization ON scim_group_members (organization_id, group_id);
