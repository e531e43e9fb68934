// B2B members: create, read, update, delete (soft: status "deleted"), reactivate; search in search.ts. Explicit
// roles are rows in member_roles, checked against the project's B2B policy plus the organization's
// custom roles inside the writing transaction; implicit roles come from members/roles.ts.
import { systemActor, type AuditAction, type AuditLog } from '../audit/log.ts';
import type { Clock } from '../shared/clock.ts';
import { LIMITS, type Environment } from '../shared/config.ts';
import { GatehouseError } from '../shared/errors.ts';
import { checkExternalId, checkPhone, checkRoles, normalizeEmail } from '../shared/fields.ts';
import { isId, newId } from '../shared/ids.ts';
import { applyMetadataUpdate, type Metadata } from '../shared/metadata.ts';
import { emailDomain, type OrganizationRecord, type OrganizationService } from '../organizations/service.ts';
import { lockGrantor, requireGrantable, requireRolesWithin, withCustomRoles } from '../authz/grants.ts';
import type { MemberActor } from '../authz/member-authorization.ts';
import type { Actor } from '../projects/service.ts';
import type { RbacService } from '../rbac/service.ts';
import type { ChangeEvent, ChangeFeed } from '../store/change-feed.ts';
import type { SqlExecutor } from '../store/database.ts';
import { revokeOtherMemberTokens } from '../magic-links/tokens.ts';
import { acceptVerifiedEmailUnlessDeleted, auditState, insertRoles } from './repository.ts';
import { searchMembers, type MemberSearchInput } from './search.ts';
import { revokeAllOfMember } from '../sessions/store.ts';
import { memberRoles, roleIds, type MemberRole, type ScimGroupMembership, type SsoRegistration } from './roles.ts';
import { SELECT_MEMBERS } from './sql.ts';

/** A member's user at its organization's SCIM connection (scim/): what the IdP last sent. */
export interface ScimRegistration {
  connection_id: string;
  registration_id: string;
  external_id: string | null;
  user_name: string;
  active: boolean;
  attributes: Record<string, unknown>;
}

export type MemberStatus = 'active' | 'pending' | 'invited' | 'deleted';

/**
 * What the audit log keeps of a member: what its roles depend on (a verified email drives
 * email-domain rules). Entries written before `email_address_verified` was kept lack it.
 */
export interface MemberAuditState {
  email_address: string;
  email_address_verified?: boolean;
  status: MemberStatus;
  roles: string[];
}

export interface MemberRecord {
  member_id: string;
  organization_id: string;
  project_id: string;
  status: MemberStatus;
  email_address: string;
  email_domain: string;
  email_address_verified: boolean;
  name: string;
  is_breakglass: boolean;
  mfa_enrolled: boolean;
  mfa_phone_number: string;
  /** A code sent to mfa_phone_number was authenticated (otps/); a new number is unverified again. */
  mfa_phone_number_verified: boolean;
  default_mfa_method: string;
  /** The member's active TOTP registration (totps/), '' when none. */
  totp_registration_id: string;
  trusted_metadata: Metadata;
  untrusted_metadata: Metadata;
  external_id: string | null;
  created_at: Date;
  updated_at: Date;
  /** Explicitly assigned roles only, sorted. */
  explicit_roles: string[];
  password: { password_id: string; requires_reset: boolean } | null;
  /** The member's identities at the organization's SSO connections, with their latest IdP groups. */
  sso_registrations: SsoRegistration[];
  /** The SCIM groups (scim/) the member is in, by connection. */
  scim_groups: ScimGroupMembership[];
  /** The member's SCIM registration (scim/), or null. */
  scim_registration: ScimRegistration | null;
  lock_created_at: Date | null;
  lock_expires_at: Date | null;
}

export interface CreateMemberInput {
  email_address: string;
  name?: string;
  trusted_metadata?: unknown;
  untrusted_metadata?: unknown;
  create_member_as_pending?: boolean;
  is_breakglass?: boolean;
  mfa_phone_number?: string;
  mfa_enrolled?: boolean;
  roles?: string[];
  external_id?: string;
  /** Gatehouse-internal: invites create members as "invited"; sign-ins verify the address. */
  status?: MemberStatus;
  email_address_verified?: boolean;
}

export interface UpdateMemberInput {
  name?: string;
  trusted_metadata?: unknown;
  untrusted_metadata?: unknown;
  is_breakglass?: boolean;
  mfa_phone_number?: string;
  mfa_enrolled?: boolean;
  roles?: string[];
  default_mfa_method?: string;
  external_id?: string;
}

const MFA_METHODS = new Set(['', 'sms_otp', 'totp']);


export function checkMemberId(memberId: string): void {
  if (!isId('member', memberId)) throw new GatehouseError('invalid_member_id', { params: { member_id: memberId } });
}

function notFound(memberId: string): GatehouseError {
  return new GatehouseError('member_not_found', { params: { member_id: memberId } });
}

function checkName(name: string | undefined): string | undefined {
  if (name !== undefined && name.length > 256) throw new GatehouseError('name_too_long', { params: { field: 'name' } });
  return name;
}

function conflictError(error: unknown): GatehouseError | undefined {
  const e = error as { code?: string; constraint?: string; message?: string };
  if (e?.code !== '23505') return undefined;
  const what = `${e.constraint ?? ''} ${e.message ?? ''}`;
  if (what.includes('email')) return new GatehouseError('duplicate_member_email');
  if (what.includes('external_id')) return new GatehouseError('duplicate_member_external_id');
  return undefined;
}

export class MemberService {
  readonly #db: SqlExecutor;
  readonly #feed: ChangeFeed;
  readonly #rbac: RbacService;
  readonly #organizations: OrganizationService;
  readonly #clock: Clock;
  readonly #audit: AuditLog;

  constructor(db: SqlExecutor, feed: ChangeFeed, rbac: RbacService, organizations: OrganizationService, clock: Clock, audit: AuditLog) {
    this.#db = db;
    this.#feed = feed;
    this.#rbac = rbac;
    this.#organizations = organizations;
    this.#clock = clock;
    this.#audit = audit;
  }

  /** Every role the member holds now, with sources. */
  roles(member: MemberRecord, organization: OrganizationRecord): MemberRole[] {
    return memberRoles(member, organization);
  }

  /** The role ids a session of the member carries and authorization checks use. */
  effectiveRoles(member: MemberRecord, organization: OrganizationRecord): string[] {
    return roleIds(this.roles(member, organization));
  }

  isLocked(member: Pick<MemberRecord, 'lock_expires_at'>): boolean {
    return member.lock_expires_at !== null && member.lock_expires_at.getTime() > this.#clock.now().getTime();
  }

  /**
   * `within` runs in the creating transaction, after the member's rows are written (a password, say).
   * `actor` is who the audit log says created the member.
   */
  async createMember(
    projectId: string,
    environment: Environment,
    organizationId: string,
    input: CreateMemberInput,
    actor: Actor,
    within?: (tx: SqlExecutor, memberId: string) => Promise<void>,
    grantor: MemberActor | null = null,
  ): Promise<MemberRecord> {
    const organization = await this.#organizations.requireOrganization(projectId, organizationId);
    const email = normalizeEmail(input.email_address);
    const name = checkName(input.name) ?? '';
    const phone = input.mfa_phone_number ? checkPhone(input.mfa_phone_number) : '';
    const externalId = input.external_id ? checkExternalId(input.external_id) : null;
    const trusted = applyMetadataUpdate({}, input.trusted_metadata, 'trusted_metadata');
    const untrusted = applyMetadataUpdate({}, input.untrusted_metadata, 'untrusted_metadata');
    const roles = checkRoles(input.roles ?? [], 'member');
    const status = input.status ?? (input.create_member_as_pending ? 'pending' : 'active');
    const memberId = newId('member', environment);
    const now = this.#clock.now();
    try {
      await this.#feed.write(async (tx) => {
        // On a member session's authority: no escalation, decided under lock.
        if (grantor && roles.length > 0) await requireGrantable(tx, this.#rbac, grantor, () => this.#organizations.lock(tx, projectId, organizationId), roles);
        if (roles.length > 0) await this.#rbac.checkAssignableRoles(tx, projectId, 'b2b', roles, organization.custom_roles);
        await tx.query(
          `INSERT INTO members (member_id, organization_id, project_id, status, email_address, email_normalized, email_domain,
                                email_address_verified, name, is_breakglass, mfa_enrolled, mfa_phone_number, trusted_metadata,
                                untrusted_metadata, external_id, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)`,
          [memberId, organizationId, projectId, status, email, email.toLowerCase(), emailDomain(email), input.email_address_verified ?? false,
            name, input.is_breakglass ?? false, input.mfa_enrolled ?? false, phone, JSON.stringify(trusted), JSON.stringify(untrusted),
            externalId, now],
        );
        await insertRoles(tx, projectId, organizationId, memberId, roles, now);
        await this.#record(tx, projectId, organizationId, memberId, actor, 'member.created', null, {
          email_address: email, email_address_verified: input.email_address_verified ?? false, status, roles,
        });
        await within?.(tx, memberId);
      });
    } catch (error) {
      throw conflictError(error) ?? error;
    }
    return this.#requireById(projectId, organizationId, memberId);
  }

  async findMember(projectId: string, memberId: string, db: SqlExecutor = this.#db): Promise<MemberRecord | null> {
    if (!isId('member', memberId)) return null;
    const { rows } = await db.query<MemberRecord>(`${SELECT_MEMBERS} WHERE m.project_id = $1 AND m.member_id = $2`, [projectId, memberId]);
    return rows[0] ?? null;
  }

  /** A live (not deleted) member of the organization by id or by email, as GET …/member takes them. */
  async getMember(projectId: string, organizationId: string, by: { member_id?: string; email_address?: string }): Promise<MemberRecord> {
    await this.#organizations.requireOrganization(projectId, organizationId);
    if (by.member_id) return this.#requireById(projectId, organizationId, by.member_id);
    if (by.email_address) {
      const member = await this.findByEmail(projectId, organizationId, by.email_address);
      if (!member) throw new GatehouseError('member_email_not_found');
      return member;
    }
    throw new GatehouseError('invalid_member_get_fields');
  }

  /** Any member of the project by id, deleted ones too when asked (dangerously_get). */
  async dangerouslyGet(projectId: string, memberId: string, includeDeleted: boolean): Promise<MemberRecord> {
    checkMemberId(memberId);
    const member = await this.findMember(projectId, memberId);
    if (!member || (member.status === 'deleted' && !includeDeleted)) throw notFound(memberId);
    return member;
  }

  async findByEmail(projectId: string, organizationId: string, email: string, db: SqlExecutor = this.#db): Promise<MemberRecord | null> {
    const normalized = normalizeEmail(email).toLowerCase();
    const { rows } = await db.query<MemberRecord>(
      `${SELECT_MEMBERS} WHERE m.project_id = $1 AND m.organization_id = $2 AND m.email_normalized = $3 AND m.status <> 'deleted'`,
      [projectId, organizationId, normalized],
    );
    return rows[0] ?? null;
  }

  /**
   * `grantor`: the member on whose session's authority the update is made (null: the project secret).
   * Its role changes are then decided inside the transaction, against the roles read under lock.
   */
  async updateMember(projectId: string, organizationId: string, memberId: string, input: UpdateMemberInput, actor: Actor, grantor: MemberActor | null = null): Promise<MemberRecord> {
    checkMemberId(memberId);
    const organization = await this.#organizations.requireOrganization(projectId, organizationId);
    const roles = input.roles !== undefined ? checkRoles(input.roles, 'member') : undefined;
    const name = checkName(input.name);
    const phone = input.mfa_phone_number ? checkPhone(input.mfa_phone_number) : input.mfa_phone_number;
    if (input.default_mfa_method !== undefined && !MFA_METHODS.has(input.default_mfa_method)) {
      throw new GatehouseError('invalid_default_mfa_method');
    }
    const externalId = input.external_id !== undefined && input.external_id !== '' ? checkExternalId(input.external_id) : input.external_id;
    const now = this.#clock.now();
    try {
      await this.#feed.write(async (tx, emit) => {
        // Locks in the order grants.ts gives (policy, organization, members), before anything is read.
        const grant = grantor && roles !== undefined ? await this.#lockForGrant(tx, projectId, organizationId, memberId, grantor) : undefined;
        const { rows } = await tx.query<{ trusted_metadata: Metadata; untrusted_metadata: Metadata }>(
          `SELECT trusted_metadata, untrusted_metadata FROM members
            WHERE project_id = $1 AND organization_id = $2 AND member_id = $3 AND status <> 'deleted' FOR UPDATE`,
          [projectId, organizationId, memberId],
        );
        const current = rows[0];
        if (!current) throw notFound(memberId);
        const before = (await auditState(tx, memberId))!;
        const trusted = applyMetadataUpdate(current.trusted_metadata, input.trusted_metadata, 'trusted_metadata');
        const untrusted = applyMetadataUpdate(current.untrusted_metadata, input.untrusted_metadata, 'untrusted_metadata');
        await tx.query(
          `UPDATE members SET name = COALESCE($2, name), trusted_metadata = $3, untrusted_metadata = $4,
                  is_breakglass = COALESCE($5, is_breakglass), mfa_phone_number = COALESCE($6, mfa_phone_number),
                  mfa_phone_number_verified = mfa_phone_number_verified AND ($6::text IS NULL OR $6 = mfa_phone_number),
                  mfa_enrolled = COALESCE($7, mfa_enrolled), default_mfa_method = COALESCE($8, default_mfa_method),
                  external_id = CASE WHEN $9::boolean THEN NULLIF($10, '') ELSE external_id END, updated_at = $11
            WHERE member_id = $1`,
          [memberId, name ?? null, JSON.stringify(trusted), JSON.stringify(untrusted), input.is_breakglass ?? null, phone ?? null,
            input.mfa_enrolled ?? null, input.default_mfa_method ?? null, externalId !== undefined, externalId ?? null, now],
        );
        if (roles !== undefined) {
          if (grant) {
            // Every role added or removed, against the explicit roles as they stand under the lock.
            const { rows: held } = await tx.query<{ role_id: string }>('SELECT role_id FROM member_roles WHERE member_id = $1', [memberId]);
            const currentRoles = held.map((row) => row.role_id);
            const next = new Set(roles);
            const changed = [...roles.filter((role) => !currentRoles.includes(role)), ...currentRoles.filter((role) => !next.has(role))];
            requireRolesWithin(grant.policy, grant.held, changed);
          }
          if (roles.length > 0) await this.#rbac.checkAssignableRoles(tx, projectId, 'b2b', roles, organization.custom_roles);
          await tx.query('DELETE FROM member_roles WHERE member_id = $1 AND NOT (role_id = ANY($2))', [memberId, roles]);
          await insertRoles(tx, projectId, organizationId, memberId, roles, now);
        }
        // The address never changes here: a new one waits for its proof (startEmailUpdate).
        const after = (await auditState(tx, memberId))!;
        if (before.roles.join('\n') !== after.roles.join('\n')) await this.#record(tx, projectId, organizationId, memberId, actor, 'member.roles.updated', before, after);
        emit({ type: 'member', project_id: projectId, organization_id: organizationId, member_id: memberId });
      });
    } catch (error) {
      throw conflictError(error) ?? error;
    }
    return this.#requireById(projectId, organizationId, memberId);
  }

  /** Takes the locks a grant is decided under; returns the policy and the grantor's roles under them. */
  async #lockForGrant(tx: SqlExecutor, projectId: string, organizationId: string, memberId: string, grantor: MemberActor) {
    const snapshot = await this.#rbac.store.currentLocked(tx, projectId, 'b2b', 'share');
    const organization = await this.#organizations.lock(tx, projectId, organizationId);
    const held = await lockGrantor(tx, grantor, [memberId]);
    return { policy: withCustomRoles(snapshot, organization.custom_roles), held, organization };
  }

  /**
   * Checks a request to change the member's address to `email`, writing nothing to the member: it is
   * live; no other live member of the organization has the address, and no other member is waiting
   * to change to it (Stytch's rules for start_email_update). Then runs `issue` (the caller writes the
   * link's token) in the same transaction. Returns the member, the address and what `issue` gave, or
   * null for the address when it is the member's already (nothing to do, `issue` not run).
   *
   * `grantor`: the member on whose session's authority ANOTHER member's address is changed. That is a
   * grant — whoever reads the new mailbox signs in as the target, with all its roles, and the address
   * brings its domain's email-domain rules — so the grantor must hold every permission of the
   * target's roles and of the roles the new domain would bring, decided under the grant locks
   * (authz/grants.ts). Its own address needs no such check: the link it must follow proves the mailbox.
   */
  async checkEmailUpdate<T>(
    projectId: string, organizationId: string, memberId: string, email: string, grantor: MemberActor | null,
    issue: (tx: SqlExecutor, email: string) => Promise<T>,
  ): Promise<{ member: MemberRecord; email: string | null; issued?: T }> {
    checkMemberId(memberId);
    const address = normalizeEmail(email);
    const normalized = address.toLowerCase();
    return this.#feed.write(async (tx) => {
      const grant = grantor && grantor.member.member_id !== memberId ? await this.#lockForGrant(tx, projectId, organizationId, memberId, grantor) : undefined;
      const member = await this.findMember(projectId, memberId, tx);
      if (!member || member.organization_id !== organizationId || member.status === 'deleted') throw notFound(memberId);
      if (normalized === member.email_address.toLowerCase()) return { member, email: null };
      if (grant) {
        const brought = grant.organization.email_role_rules.filter((rule) => rule.domain === emailDomain(address)).map((rule) => rule.role_id);
        requireRolesWithin(grant.policy, grant.held, [...new Set([...roleIds(this.roles(member, grant.organization)), ...brought])]);
      }
      const { rows } = await tx.query<{ taken: boolean; pending: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM members WHERE organization_id = $1 AND email_normalized = $2 AND status <> 'deleted') AS taken,
                EXISTS (SELECT 1 FROM email_tokens t JOIN members m ON m.member_id = t.member_id
                         WHERE t.project_id = $3 AND lower(t.email_address) = $2 AND t.purpose = 'email_update' AND t.used_at IS NULL
                           AND t.revoked_at IS NULL AND t.expires_at > $5 AND m.organization_id = $1 AND t.member_id <> $4) AS pending`,
        [organizationId, normalized, projectId, memberId, this.#clock.now()],
      );
      if (rows[0]?.taken) throw new GatehouseError('duplicate_member_email');
      if (rows[0]?.pending) {
        throw new GatehouseError('duplicate_member_email_pending');
      }
      return { member, email: address, issued: await issue(tx, address) };
    });
  }

  /**
   * Inside the transaction that spends an 'email_update' token: the member's address becomes the one
   * the token proved, verified; its other unused links (sent to the old address) stop working; the
   * change goes in the audit log. Another member who took the address meanwhile wins (409).
   */
  async confirmEmailUpdate(tx: SqlExecutor, token: { project_id: string; organization_id: string; member_id: string; token_hash: Buffer }, email: string, at: Date): Promise<void> {
    const { project_id: projectId, organization_id: organizationId, member_id: memberId } = token;
    const before = await auditState(tx, memberId);
    if (!before || before.status === 'deleted') throw notFound(memberId);
    try {
      await tx.query(
        `UPDATE members SET email_address = $2, email_normalized = $3, email_domain = $4, email_address_verified = true,
                status = CASE WHEN status IN ('pending', 'invited') THEN 'active' ELSE status END, updated_at = $5
          WHERE member_id = $1`,
        [memberId, email, email.toLowerCase(), emailDomain(email), at],
      );
    } catch (error) {
      throw conflictError(error) ?? error;
    }
    await revokeOtherMemberTokens(tx, memberId, token.token_hash, at);
    const after = (await auditState(tx, memberId))!;
    await this.#record(tx, projectId, organizationId, memberId, systemActor('magic_links.email_update'), 'member.email.updated', before, after);
  }

  /**
   * Inside the transaction that spent a proof of the member's address (a discovery exchange, an email
   * passcode): an invited or pending member accepts and its address is verified, recorded in the
   * audit log; a deleted member stays deleted. Returns the change to emit, or null when nothing changed.
   */
  async acceptProvenEmail(tx: SqlExecutor, member: MemberRecord, at: Date, via = 'magic_links.authenticate'): Promise<ChangeEvent | null> {
    if (member.email_address_verified && member.status === 'active') return null;
    await acceptVerifiedEmailUnlessDeleted(tx, member.member_id, at);
    const { project_id, organization_id, member_id } = member;
    await this.recordVerification(tx, { project_id, organization_id, member_id, email_verified: member.email_address_verified, status: member.status }, via);
    return { type: 'member', project_id, organization_id, member_id };
  }

  /**
   * Inside the transaction of a sign-in that proved the member's address (MEMBER_TOKENS.activate has
   * just marked it verified and the member active): the audit log records it when that changed
   * something, since a verified address brings its email-domain roles.
   */
  async recordVerification(tx: SqlExecutor, token: { project_id: string; organization_id: string; member_id: string; email_verified: boolean; status: MemberStatus }, via = 'magic_links.authenticate'): Promise<void> {
    if (token.email_verified && token.status === 'active') return;
    const after = await auditState(tx, token.member_id);
    if (!after) return;
    const before = { ...after, email_address_verified: token.email_verified, status: token.status };
    await this.#record(tx, token.project_id, token.organization_id, token.member_id, systemActor(via), 'member.email.verified', before, after);
  }

  /** Marks the member deleted and revokes its sessions; reactivate brings it back. */
  async deleteMember(projectId: string, organizationId: string, memberId: string, actor: Actor): Promise<void> {
    checkMemberId(memberId);
    await this.#organizations.requireOrganization(projectId, organizationId);
    await this.#feed.write(async (tx, emit) => {
      const now = this.#clock.now();
      const before = await auditState(tx, memberId);
      const { rowCount } = await tx.query(
        `UPDATE members SET status = 'deleted', updated_at = $4 WHERE project_id = $1 AND organization_id = $2 AND member_id = $3 AND status <> 'deleted'`,
        [projectId, organizationId, memberId, now],
      );
      if (rowCount === 0) throw notFound(memberId);
      await this.#record(tx, projectId, organizationId, memberId, actor, 'member.deleted', before, { ...before!, status: 'deleted' });
      await revokeAllOfMember(tx, memberId, now);
      emit({ type: 'member', project_id: projectId, organization_id: organizationId, member_id: memberId });
    });
  }

  /**
   * Brings a deleted member back with the explicit roles it had: on a member session's authority that
   * hands those roles out again, so the grantor must be able to grant each of them (under lock).
   */
  async reactivateMember(projectId: string, organizationId: string, memberId: string, actor: Actor, grantor: MemberActor | null = null): Promise<MemberRecord> {
    checkMemberId(memberId);
    await this.#organizations.requireOrganization(projectId, organizationId);
    try {
      await this.#feed.write(async (tx, emit) => {
        const grant = grantor ? await this.#lockForGrant(tx, projectId, organizationId, memberId, grantor) : null;
        const { rows } = await tx.query<{ status: MemberStatus }>(
          'SELECT status FROM members WHERE project_id = $1 AND organization_id = $2 AND member_id = $3 FOR UPDATE',
          [projectId, organizationId, memberId],
        );
        if (!rows[0]) throw notFound(memberId);
        if (rows[0].status !== 'deleted') throw new GatehouseError('member_already_active');
        if (grant) {
          const { rows: kept } = await tx.query<{ role_id: string }>('SELECT role_id FROM member_roles WHERE member_id = $1', [memberId]);
          requireRolesWithin(grant.policy, grant.held, kept.map((row) => row.role_id));
        }
        await tx.query(`UPDATE members SET status = 'active', updated_at = $2 WHERE member_id = $1`, [memberId, this.#clock.now()]);
        const after = (await auditState(tx, memberId))!;
        await this.#record(tx, projectId, organizationId, memberId, actor, 'member.reactivated', { ...after, status: 'deleted' }, after);
        emit({ type: 'member', project_id: projectId, organization_id: organizationId, member_id: memberId });
      });
    } catch (error) {
      throw conflictError(error) ?? error;
    }
    return this.#requireById(projectId, organizationId, memberId);
  }

  /** See searchMembers in search.ts. */
  searchMembers(projectId: string, input: MemberSearchInput) {
    return searchMembers(this.#db, this.#organizations, projectId, input);
  }

  #record(tx: SqlExecutor, projectId: string, organizationId: string, memberId: string, actor: Actor, action: AuditAction,
    before: MemberAuditState | null, after: MemberAuditState) {
    return this.#audit.record(tx, {
      project_id: projectId, actor, action, target_type: 'member', target_id: memberId, organization_id: organizationId,
      before, after: { ...after, roles: [...new Set(after.roles)].sort() },
    });
  }

  async #requireById(projectId: string, organizationId: string, memberId: string): Promise<MemberRecord> {
    checkMemberId(memberId);
    const member = await this.findMember(projectId, memberId);
    if (!member || member.organization_id !== organizationId || member.status === 'deleted') throw notFound(memberId);
    return member;
  }
}

/** A member's email address, checked as every email address is. */
export const normalizeMemberEmail = normalizeEmail;
