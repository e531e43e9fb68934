// Wire shapes the browser API returns (Stytch's), as far as the client reads them. Every object
// keeps the fields it does not name: they are passed through to the application untouched.
import type { Policy, PolicyKind, Role } from '@gatehouse/policy';

/** Which kind of policy the client checks against: users (`consumer`) or members (`b2b`). */
export type Vertical = PolicyKind;

export interface User {
  user_id: string;
  /** Every role the user holds, `stytch_user` included; what consumer permission checks read. */
  roles: string[];
  name?: { first_name?: string; middle_name?: string; last_name?: string };
  emails?: { email_id: string; email: string; verified: boolean }[];
  [field: string]: unknown;
}

export interface Session {
  session_id: string;
  user_id: string;
  expires_at: string;
  roles?: string[];
  [field: string]: unknown;
}

export interface Member {
  member_id: string;
  organization_id: string;
  email_address: string;
  name?: string;
  [field: string]: unknown;
}

export interface MemberSession {
  member_session_id: string;
  member_id: string;
  organization_id: string;
  expires_at: string;
  /** The member's roles for this session; what B2B permission checks read. */
  roles: string[];
  [field: string]: unknown;
}

export interface Organization {
  organization_id: string;
  organization_name?: string;
  /** Roles defined by this organization only, added to the project's policy for its members. */
  custom_roles?: Role[];
  [field: string]: unknown;
}

export interface Bootstrap {
  project_name?: string;
  vertical?: 'CONSUMER' | 'B2B';
  rbac_policy: Policy | null;
  [field: string]: unknown;
}

/** Everything the client knows, as one immutable snapshot: a new object whenever anything changes. */
export interface ClientState {
  vertical: Vertical;
  /** `loading` until the stored session has been checked with the server once. */
  status: 'loading' | 'signed_in' | 'signed_out';
  user: User | null;
  /** Consumer session (`session`) or B2B member session. */
  session: Session | MemberSession | null;
  member: Member | null;
  organization: Organization | null;
  /** The roles permission checks use: `user.roles` (consumer) or `member_session.roles` (B2B). */
  roles: readonly string[];
  /** The project's RBAC policy from the bootstrap (from storage until the server has answered). */
  policy: Policy | null;
  /** True once this page has the policy from the server, not only from storage. */
  policyFresh: boolean;
  /** Grows by one with every change; hooks may key effects on it. */
  version: number;
}

export type PermissionMap = Record<string, Record<string, boolean>>;
