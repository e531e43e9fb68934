// Consumer or B2B: the policy pages work on either, named by `?kind=b2b` in the URL so a view can
// be linked to. The rules are the policy engine's, so the browser validates as the server does.
import { B2B_BUILT_IN_RESOURCES, type PolicyKind } from '@gatehouse/policy';
import { Link } from '../router.tsx';

/** Where each kind's policy endpoints live. */
export const POLICY_PREFIX: Record<PolicyKind, string> = { consumer: '/v1/rbac', b2b: '/v1/b2b/rbac' };

/** Refusals of a policy write that ?cascade=true lifts: the change removes what is still assigned or used. */
export const NEEDS_CASCADE: ReadonlySet<string> = new Set(['rbac_role_in_use', 'rbac_resource_in_use', 'rbac_action_in_use']);

const BUILT_IN_IDS = new Set(B2B_BUILT_IN_RESOURCES.map((resource) => resource.resource_id));

/** B2B's stytch.* resources: listed in every B2B policy, never changed. */
export function isBuiltInResource(kind: PolicyKind, resourceId: string): boolean {
  return kind === 'b2b' && BUILT_IN_IDS.has(resourceId);
}

export function policyKindOf(query: URLSearchParams): PolicyKind {
  return query.get('kind') === 'b2b' ? 'b2b' : 'consumer';
}

/** What the principals of a kind are called. */
export const SUBJECT_NOUN: Record<PolicyKind, { one: 'user' | 'member'; many: 'users' | 'members' }> = {
  consumer: { one: 'user', many: 'users' },
  b2b: { one: 'member', many: 'members' },
};

/** Two links, Consumer and B2B, to the same page for the other kind. */
export function PolicyKindSwitch({ kind, path }: { kind: PolicyKind; path: string }) {
  return (
    <nav className="segmented" aria-label="Policy kind">
      <Link to={path} aria-current={kind === 'consumer' ? 'page' : undefined}>
        Consumer
      </Link>
      <Link to={`${path}?kind=b2b`} aria-current={kind === 'b2b' ? 'page' : undefined}>
        B2B
      </Link>
    </nav>
  );
}

/** A user or member as the policy answers (impact, who can) name them. */
export interface PolicySubject {
  user_id?: string;
  member_id?: string;
  organization_id?: string;
  email: string;
}

export function subjectId(subject: PolicySubject): string {
  return subject.user_id ?? subject.member_id ?? '';
}

/** The subject's email (or id), linking to its page in the dashboard. */
export function SubjectLink({ subject }: { subject: PolicySubject }) {
  const to = subject.member_id
    ? `/members/${encodeURIComponent(subject.organization_id ?? '')}/${encodeURIComponent(subject.member_id)}`
    : `/users/${encodeURIComponent(subject.user_id ?? '')}`;
  return (
    <>
      <Link to={to}>{subject.email || subjectId(subject)}</Link>
      <br />
      <code className="muted">{subjectId(subject)}</code>
    </>
  );
}
