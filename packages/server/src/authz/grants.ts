// No escalation: a member acting through its session gives away (by role assignment, a rule that
// assigns roles, or a custom role definition) only permissions it holds itself. The check runs inside
// the write transaction, against rows it holds locked, so a revocation made meanwhile cannot be undone
// by a grant decided on what was read before it.
//
// Lock order, the same in every caller: the project's B2B policy head (share), the organization row
// (FOR UPDATE), then member rows (FOR UPDATE, by member_id).
import { compileWithCustomRoles, listPermissions, POLICY_RULES, type CompiledPolicy, type Role } from '@gatehouse/policy';
import { GatehouseError } from '../shared/errors.ts';
import type { PolicySnapshot } from '../rbac/policy-store.ts';
import type { RbacService } from '../rbac/service.ts';
import type { SqlExecutor } from '../store/database.ts';
import type { MemberActor } from './member-authorization.ts';

type Permissions = Record<string, Record<string, boolean>>;

/** A B2B policy snapshot with an organization's custom roles, compiled (grants are rare: no cache). */
export function withCustomRoles(snapshot: PolicySnapshot, customRoles: readonly Role[]): CompiledPolicy {
  if (customRoles.length === 0) return snapshot.compiled;
  return compileWithCustomRoles(snapshot.policy, customRoles, POLICY_RULES.b2b);
}

/**
 * Locks the member rows of `memberIds` (FOR UPDATE, in member_id order, so that two members granting
 * to each other cannot deadlock) and returns the grantor's roles as they stand under that lock: the
 * session's roles less any explicit role revoked since the session read them. A grantor that is no
 * longer an active member holds nothing.
 */
export async function lockGrantor(tx: SqlExecutor, grantor: MemberActor, alsoLock: readonly string[] = []): Promise<string[]> {
  const ids = [...new Set([grantor.member.member_id, ...alsoLock])].sort();
  const { rows } = await tx.query<{ member_id: string; status: string; explicit_roles: string[] }>(
    `SELECT m.member_id, m.status, ARRAY(SELECT r.role_id FROM member_roles r WHERE r.member_id = m.member_id) AS explicit_roles
       FROM members m WHERE m.member_id = ANY($1) ORDER BY m.member_id FOR UPDATE OF m`,
    [ids],
  );
  const row = rows.find((r) => r.member_id === grantor.member.member_id);
  if (!row || row.status !== 'active') throw new GatehouseError('grantor_not_active');
  const explicitNow = new Set(row.explicit_roles);
  const explicitThen = new Set(grantor.member.explicit_roles);
  return grantor.roles.filter((role) => explicitNow.has(role) || !explicitThen.has(role));
}

/** Throws 403 unless roles `held` grant every permission each of `roles` gives in `policy`. */
export function requireRolesWithin(policy: CompiledPolicy, held: readonly string[], roles: readonly string[]): void {
  if (roles.length === 0) return;
  const holds = listPermissions(policy, held);
  for (const role of roles) requireWithin(holds, listPermissions(policy, [role]), `grant or revoke role "${role}"`);
}

/**
 * A custom role definition is a grant: every role added, changed or removed must give (before and
 * after) only permissions the member holds under the current definitions.
 */
export function requireDefinitionsWithin(current: CompiledPolicy, next: CompiledPolicy, held: readonly string[], before: readonly Role[], after: readonly Role[]): void {
  const holds = listPermissions(current, held);
  const key = (role: Role | undefined) => (role ? JSON.stringify([role.description, role.permissions]) : '');
  const beforeById = new Map(before.map((role) => [role.role_id, role]));
  const afterById = new Map(after.map((role) => [role.role_id, role]));
  for (const roleId of new Set([...beforeById.keys(), ...afterById.keys()])) {
    if (key(beforeById.get(roleId)) === key(afterById.get(roleId))) continue;
    if (beforeById.has(roleId)) requireWithin(holds, listPermissions(current, [roleId]), `redefine or remove role "${roleId}"`);
    if (afterById.has(roleId)) requireWithin(holds, listPermissions(next, [roleId]), `define role "${roleId}"`);
  }
}

function requireWithin(holds: Permissions, gives: Permissions, what: string): void {
  for (const [resourceId, actions] of Object.entries(gives)) {
    for (const [action, allowed] of Object.entries(actions)) {
      if (allowed && !holds[resourceId]?.[action]) throw new GatehouseError('grant_exceeds_grantor', { params: { what, action, resource_id: resourceId } });
    }
  }
}


/**
 * The one call a service makes inside its write transaction before it assigns roles on a member
 * session's authority: `grantor` may grant or take away each of `roles`. Takes the locks in order:
 * the policy head, then the organization row through `lockOrganization` (the service's own locked
 * read, whose result it gets back), then the grantor's member row with the rows in `alsoLock`.
 */
export async function requireGrantable<O extends { custom_roles: readonly Role[] }>(
  tx: SqlExecutor,
  rbac: RbacService,
  grantor: MemberActor,
  lockOrganization: () => Promise<O>,
  roles: readonly string[],
  alsoLock: readonly string[] = [],
): Promise<O> {
  const snapshot = await rbac.store.currentLocked(tx, grantor.organization.project_id, 'b2b', 'share');
  const organization = await lockOrganization();
  const held = await lockGrantor(tx, grantor, alsoLock);
  requireRolesWithin(withCustomRoles(snapshot, organization.custom_roles), held, roles);
  return organization;
}
