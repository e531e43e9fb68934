// Writes to members and member_roles that other features make inside their own transactions (a
// sign-in that proves a member's address, an IdP sign-in that accepts an invitation, a policy role
// cascade): the SQL stays here, with the tables' owner, and runs in the caller's `tx` so it keeps
// that transaction's locks.
import type { SqlExecutor } from '../store/database.ts';
import type { MemberStatus } from './service.ts';

/** An invited or pending member whose address is proven accepts: verified and active. */
const ACCEPT_PROVEN_EMAIL = `UPDATE members SET email_address_verified = true,
  status = CASE WHEN status IN ('pending', 'invited') THEN 'active' ELSE status END, updated_at = $2`;

/** A followed email link proved the address: verified, and accepted, when that changes anything. */
export async function acceptVerifiedEmail(tx: SqlExecutor, memberId: string, at: Date): Promise<void> {
  await tx.query(`${ACCEPT_PROVEN_EMAIL} WHERE member_id = $1 AND (NOT email_address_verified OR status IN ('pending', 'invited'))`, [memberId, at]);
}

/** A discovery exchange proved the address: verified and accepted, unless the member was deleted. */
export async function acceptVerifiedEmailUnlessDeleted(tx: SqlExecutor, memberId: string, at: Date): Promise<void> {
  await tx.query(`${ACCEPT_PROVEN_EMAIL} WHERE member_id = $1 AND status <> 'deleted'`, [memberId, at]);
}

/** Undoes an acceptance whose request failed after it: the verification and status it had before. */
export async function restoreVerification(tx: SqlExecutor, memberId: string, emailVerified: boolean, status: MemberStatus): Promise<void> {
  await tx.query('UPDATE members SET email_address_verified = $2, status = $3 WHERE member_id = $1', [memberId, emailVerified, status]);
}

/** Signing in through the organization's IdP accepts an invitation; `emailVerified` when the IdP vouched for the address. */
export async function acceptSsoSignIn(tx: SqlExecutor, memberId: string, at: Date, emailVerified: boolean): Promise<void> {
  await tx.query(
    `UPDATE members SET status = 'active', email_address_verified = email_address_verified OR $3, updated_at = $2 WHERE member_id = $1 AND status <> 'active'`,
    [memberId, at, emailVerified]);
}

/** A policy role the project removed (with cascade) is taken from every member holding it. */
export async function removeRoleAssignments(tx: SqlExecutor, projectId: string, roleIds: string[]): Promise<void> {
  await tx.query('DELETE FROM member_roles WHERE project_id = $1 AND role_id = ANY($2)', [projectId, roleIds]);
}
