// What an identity provider's provisioning (scim/) changes of a member, in the caller's transaction
// `tx`, each change in the audit log: its address and name as the IdP holds them (an address the
// IdP provisions counts as verified, as Stytch treats SCIM-provisioned members), deactivation
// (status "deleted", its explicit roles taken away and its sessions revoked: Stytch's deprovisioning
// revokes all current roles and sessions) and reactivation (explicit roles must be granted again).
import type { AuditAction, AuditLog } from '../audit/log.ts';
import { emailDomain } from '../organizations/service.ts';
import type { Actor } from '../projects/service.ts';
import { GatehouseError } from '../shared/errors.ts';
import { revokeAllOfMember } from '../sessions/store.ts';
import type { SqlExecutor } from '../store/database.ts';
import { auditState } from './repository.ts';
import type { MemberAuditState } from './service.ts';

export interface ProvisionedMember {
  project_id: string;
  organization_id: string;
  member_id: string;
}

function record(tx: SqlExecutor, audit: AuditLog, member: ProvisionedMember, actor: Actor, action: AuditAction, before: MemberAuditState, after: MemberAuditState) {
  return audit.record(tx, {
    project_id: member.project_id, actor, action, target_type: 'member', target_id: member.member_id, organization_id: member.organization_id,
    before, after: { ...after, roles: [...new Set(after.roles)].sort() },
  });
}

function taken(error: unknown): never {
  if ((error as { code?: string }).code === '23505') throw new GatehouseError('scim_member_email_taken');
  throw error;
}

/**
 * The member's address and name as the IdP sent them. A new address is verified at once and
 * recorded as an email change; an address the member had unverified becomes verified.
 */
export async function setProvisionedProfile(tx: SqlExecutor, audit: AuditLog, member: ProvisionedMember, profile: { email: string; name: string }, actor: Actor, at: Date): Promise<boolean> {
  const before = await auditState(tx, member.member_id);
  if (!before) return false;
  try {
    await tx.query(
      `UPDATE members SET name = $2, email_address = $3, email_normalized = $4, email_domain = $5, email_address_verified = true,
              status = CASE WHEN status IN ('pending', 'invited') THEN 'active' ELSE status END, updated_at = $6
        WHERE member_id = $1 AND (name <> $2 OR email_address <> $3 OR NOT email_address_verified OR status IN ('pending', 'invited'))`,
      [member.member_id, profile.name, profile.email, profile.email.toLowerCase(), emailDomain(profile.email), at]);
  } catch (error) {
    taken(error);
  }
  const after = (await auditState(tx, member.member_id))!;
  if (before.email_address !== after.email_address) await record(tx, audit, member, actor, 'member.email.updated', before, after);
  else if (before.email_address_verified !== after.email_address_verified || before.status !== after.status) await record(tx, audit, member, actor, 'member.email.verified', before, after);
  return true;
}

/** Deprovisioned: the member is deleted, loses its explicit roles and every session. */
export async function deactivateProvisioned(tx: SqlExecutor, audit: AuditLog, member: ProvisionedMember, actor: Actor, at: Date): Promise<void> {
  const before = await auditState(tx, member.member_id);
  if (!before || before.status === 'deleted') return;
  await tx.query(`UPDATE members SET status = 'deleted', updated_at = $2 WHERE member_id = $1`, [member.member_id, at]);
  await tx.query('DELETE FROM member_roles WHERE member_id = $1', [member.member_id]);
  await revokeAllOfMember(tx, member.member_id, at);
  await record(tx, audit, member, actor, 'member.deleted', before, (await auditState(tx, member.member_id))!);
}

/** Reprovisioned: the member is active again (no explicit roles; implicit ones apply). */
export async function reactivateProvisioned(tx: SqlExecutor, audit: AuditLog, member: ProvisionedMember, actor: Actor, at: Date): Promise<void> {
  const before = await auditState(tx, member.member_id);
  if (!before || before.status !== 'deleted') return;
  try {
    await tx.query(`UPDATE members SET status = 'active', email_address_verified = true, updated_at = $2 WHERE member_id = $1`, [member.member_id, at]);
  } catch (error) {
    taken(error);
  }
  await record(tx, audit, member, actor, 'member.reactivated', before, (await auditState(tx, member.member_id))!);
}
