// SQL over members and member_roles that runs in a caller's transaction `tx`, so it keeps that
// transaction's locks: the writes other features make (a sign-in that proves a member's address, an
// IdP sign-in that accepts an invitation, a policy role cascade), and the member service's own
// role inserts and audit reads.
import type { SqlExecutor } from '../store/database.ts';
import type { MemberAuditState, MemberStatus } from './service.ts';

// The explicit roles in the order of member_roles' primary key (member_id, role_id): no sort per member.
export const MEMBER_COLUMNS = `
         m.member_id, m.organization_id, m.project_id, m.status, m.email_address, m.email_domain, m.email_address_verified,
         m.name, m.is_breakglass, m.mfa_enrolled, m.mfa_phone_number, m.mfa_phone_number_verified, m.default_mfa_method, m.trusted_metadata,
         m.untrusted_metadata, m.external_id, m.created_at, m.updated_at,
         ARRAY(SELECT r.role_id FROM member_roles r WHERE r.member_id = m.member_id ORDER BY r.role_id) AS explicit_roles,
         (SELECT json_build_object('password_id', pw.password_id, 'requires_reset', pw.requires_reset)
            FROM member_passwords pw WHERE pw.member_id = m.member_id) AS password,
         COALESCE((SELECT t.totp_id FROM totp_registrations t WHERE t.member_id = m.member_id AND t.status = 'active'), '') AS totp_registration_id,
         COALESCE((SELECT json_agg(json_build_object('registration_id', s.registration_id, 'connection_id', s.connection_id,
                                                     'external_id', s.external_id, 'groups', s.groups) ORDER BY s.created_at, s.registration_id)
                     FROM sso_registrations s WHERE s.member_id = m.member_id), '[]'::json) AS sso_registrations,
         lk.lock_created_at, lk.lock_expires_at`;
export const FROM_MEMBERS = `
    FROM members m
    LEFT JOIN member_lockouts lk ON lk.member_id = m.member_id AND lk.lock_expires_at IS NOT NULL`;

export const SELECT_MEMBERS = `SELECT ${MEMBER_COLUMNS}${FROM_MEMBERS}`;

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

/**
 * A code sent by SMS to `phone` was authenticated: it becomes the member's verified MFA phone number
 * (when it still is, or the member has none), and `enroll` sets mfa_enrolled (`defaultMethod` default_mfa_method). False when the member
 * has another number now (the code proves nothing about that one).
 */
export async function verifyMfaPhone(tx: SqlExecutor, memberId: string, phone: string, at: Date, enroll: boolean | undefined, defaultMethod: string | undefined): Promise<boolean> {
  const { rowCount } = await tx.query(
    `UPDATE members SET mfa_phone_number = $2, mfa_phone_number_verified = true, mfa_enrolled = COALESCE($4, mfa_enrolled),
            default_mfa_method = COALESCE($5, default_mfa_method), updated_at = $3
      WHERE member_id = $1 AND status <> 'deleted' AND mfa_phone_number IN ($2, '')`,
    [memberId, phone, at, enroll ?? null, defaultMethod ?? null]);
  return rowCount === 1;
}

/** An SMS code is sent to a number given for a member without one: it is the member's, unverified. */
export async function setUnverifiedMfaPhone(tx: SqlExecutor, memberId: string, phone: string, at: Date): Promise<void> {
  await tx.query(
    `UPDATE members SET mfa_phone_number = $2, mfa_phone_number_verified = false, updated_at = $3
      WHERE member_id = $1 AND (mfa_phone_number = '' OR NOT mfa_phone_number_verified)`,
    [memberId, phone, at]);
}

/** A policy role the project removed (with cascade) is taken from every member holding it. */
export async function removeRoleAssignments(tx: SqlExecutor, projectId: string, roleIds: string[]): Promise<void> {
  await tx.query('DELETE FROM member_roles WHERE project_id = $1 AND role_id = ANY($2)', [projectId, roleIds]);
}

/** What the audit log records of a member, read in the writing transaction. */
export async function auditState(tx: SqlExecutor, memberId: string): Promise<MemberAuditState | null> {
  const { rows } = await tx.query<{ email_address: string; email_address_verified: boolean; status: MemberStatus; roles: string[] | null }>(
    `SELECT email_address, email_address_verified, status, (SELECT array_agg(role_id) FROM member_roles r WHERE r.member_id = m.member_id) AS roles
       FROM members m WHERE member_id = $1`,
    [memberId],
  );
  const row = rows[0];
  if (!row) return null;
  return { email_address: row.email_address, email_address_verified: row.email_address_verified, status: row.status, roles: (row.roles ?? []).sort() };
}

export async function insertRoles(tx: SqlExecutor, projectId: string, organizationId: string, memberId: string, roles: string[], now: Date): Promise<void> {
  if (roles.length === 0) return;
  await tx.query(
    `INSERT INTO member_roles (member_id, organization_id, project_id, role_id, created_at)
     SELECT $1, $2, $3, role_id, $5 FROM unnest($4::text[]) AS role_id
     ON CONFLICT (member_id, role_id) DO NOTHING`,
    [memberId, organizationId, projectId, roles, now],
  );
}
