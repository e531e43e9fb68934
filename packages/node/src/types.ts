// Wire shapes of the Gatehouse (Stytch) API as the SDK reads and sends them. Objects name the fields
// applications use; servers may add fields, which pass through untouched.
import type { AuthorizationVerdict, Policy, Role } from '@gatehouse/policy';

export type Metadata = Record<string, unknown>;

export interface AuthenticationFactor {
  type: string;
  delivery_method: string;
  last_authenticated_at?: string;
  created_at?: string;
  updated_at?: string;
  [factor: `${string}_factor`]: unknown;
}

export interface User {
  user_id: string;
  name: { first_name: string; middle_name: string; last_name: string };
  emails: { email_id: string; email: string; verified: boolean }[];
  phone_numbers: { phone_id: string; phone_number: string; verified: boolean }[];
  status: string;
  roles: string[];
  trusted_metadata: Metadata;
  untrusted_metadata: Metadata;
  external_id: string | null;
  created_at: string;
  password: { password_id: string; requires_reset: boolean } | null;
}

export interface Session {
  session_id: string;
  user_id: string;
  started_at: string;
  last_accessed_at: string;
  expires_at: string;
  authentication_factors: AuthenticationFactor[];
  attributes?: { ip_address: string; user_agent: string };
  custom_claims: Metadata;
  roles: string[];
}

export interface MemberRole {
  role_id: string;
  sources: { type: string; details?: Metadata }[];
}

export interface Member {
  member_id: string;
  organization_id: string;
  email_address: string;
  name: string;
  status: string;
  roles: MemberRole[];
  is_admin: boolean;
  trusted_metadata: Metadata;
  untrusted_metadata: Metadata;
  external_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface Organization {
  organization_id: string;
  organization_name: string;
  organization_slug: string;
  email_allowed_domains: string[];
  rbac_email_implicit_role_assignments: { domain: string; role_id: string }[];
  trusted_metadata: Metadata;
  custom_roles: Role[];
  /** The active SSO connections (read-only; managed through the SSO endpoints). */
  sso_active_connections: { connection_id: string; display_name: string; identity_provider: string }[];
  email_jit_provisioning: string;
  email_invites: string;
  sso_jit_provisioning: string;
  auth_methods: string;
  mfa_policy: string;
  created_at: string;
  updated_at: string;
}

export interface MemberSession {
  member_session_id: string;
  member_id: string;
  organization_id: string;
  organization_slug: string;
  started_at: string;
  last_accessed_at: string;
  expires_at: string;
  authentication_factors: AuthenticationFactor[];
  custom_claims: Metadata;
  roles: string[];
}

export interface SsoConnection {
  connection_id: string;
  organization_id: string;
  display_name: string;
  identity_provider: string;
  status: string;
  [field: string]: unknown;
}

export interface SessionFields {
  session_token?: string;
  session_jwt?: string;
  session_duration_minutes?: number;
  session_custom_claims?: Metadata;
}

/** Every response that may sign a user in. */
export interface UserSessionResponse {
  user_id: string;
  user: User;
  session: Session | null;
  session_token: string;
  session_jwt: string;
}

export interface MemberSessionResponse {
  member_id: string;
  member: Member;
  organization: Organization;
  member_session: MemberSession | null;
  session_token: string;
  session_jwt: string;
}

export interface PolicyResponse {
  policy: Policy;
  /** Gatehouse: the version, one more at every write. */
  policy_version: number;
}

export interface PolicyWriteResponse extends PolicyResponse {
  written: boolean;
  changes: { type: string; summary: string }[];
  revoked_assignments: unknown[];
}

export type Verdict = AuthorizationVerdict;

export interface SearchQuery {
  operator: 'AND' | 'OR';
  operands: { filter_name: string; filter_value: unknown }[];
}

export interface ResultsMetadata {
  total: number;
  next_cursor: string | null;
}
