// Writes to users, user_emails and user_phone_numbers that other features make inside their own
// transactions (a followed email link, a password migration, a policy role cascade): the SQL stays
// here, with the tables' owner, and runs in the caller's `tx`.
import type { SqlExecutor } from '../store/database.ts';

/** A followed email link proved this address: it is verified and its user active. */
export async function activateByVerifiedEmail(tx: SqlExecutor, userId: string, emailId: string, at: Date): Promise<void> {
  await markEmailVerified(tx, emailId);
  await tx.query(`UPDATE users SET status = 'active', updated_at = $2 WHERE user_id = $1 AND status <> 'active'`, [userId, at]);
}

/** A one-time passcode texted to this number was authenticated: it is verified and its user active. */
export async function activateByVerifiedPhone(tx: SqlExecutor, userId: string, phoneId: string, at: Date): Promise<void> {
  await tx.query('UPDATE user_phone_numbers SET verified = true WHERE phone_id = $1 AND NOT verified', [phoneId]);
  await tx.query(`UPDATE users SET status = 'active', updated_at = $2 WHERE user_id = $1 AND status <> 'active'`, [userId, at]);
}

/** Undoes activateByVerifiedEmail when the request failed after it: what the user and address had before. */
export async function restoreActivation(tx: SqlExecutor, userId: string, emailId: string, emailVerified: boolean, status: 'active' | 'pending'): Promise<void> {
  if (!emailVerified) await tx.query('UPDATE user_emails SET verified = false WHERE email_id = $1', [emailId]);
  if (status !== 'active') await tx.query('UPDATE users SET status = $2 WHERE user_id = $1', [userId, status]);
}

export async function markEmailVerified(tx: SqlExecutor, emailId: string): Promise<void> {
  await tx.query('UPDATE user_emails SET verified = true WHERE email_id = $1 AND NOT verified', [emailId]);
}

/** Every address and phone number of the user (as an imported user's flags say) is verified. */
export async function markAllVerified(tx: SqlExecutor, userId: string, what: { emails: boolean; phoneNumbers: boolean }): Promise<void> {
  if (what.emails) await tx.query('UPDATE user_emails SET verified = true WHERE user_id = $1', [userId]);
  if (what.phoneNumbers) await tx.query('UPDATE user_phone_numbers SET verified = true WHERE user_id = $1', [userId]);
}

/** A policy role the project removed (with cascade) is taken from every user holding it. */
export async function removeRoleAssignments(tx: SqlExecutor, projectId: string, roleIds: string[]): Promise<void> {
  await tx.query('DELETE FROM user_roles WHERE project_id = $1 AND role_id = ANY($2)', [projectId, roleIds]);
}
