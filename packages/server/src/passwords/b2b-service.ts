// B2B passwords: a member of an organization signs in with its email address and password, and
// passwords/migrate brings members in from another system with their hashes and roles. The rules
// are the consumer's (passwords/credentials.ts): vague failures after the same work, lockout,
// argon2id upgrade at the first sign-in — over member_passwords and member_lockouts.
import type { Actor } from '../projects/service.ts';
import type { Clock } from '../shared/clock.ts';
import type { Environment } from '../shared/config.ts';
import { GatehouseError } from '../shared/errors.ts';
import { passwordFactor } from '../sessions/factors.ts';
import { applyMetadataUpdate } from '../shared/metadata.ts';
import { normalizeMemberEmail, type MemberRecord, type MemberService } from '../members/service.ts';
import type { OrganizationRecord, OrganizationService } from '../organizations/service.ts';
import type { RbacService } from '../rbac/service.ts';
import type { MemberSignIn, MemberSignInInput, SessionService } from '../sessions/service.ts';
import type { ChangeEvent, ChangeFeed } from '../store/change-feed.ts';
import type { SqlExecutor } from '../store/database.ts';
import { MEMBER_CREDENTIALS, PasswordCredentials, type CredentialState } from './credentials.ts';
import { parseMigratedHash, type MigrateHashInput, type StoredHash } from './hashing.ts';
import type { Lockout } from './lockout.ts';

export interface MemberPasswordAuthenticateInput extends MemberSignInInput {
  organization_id: string;
  email_address: string;
  password: string;
}

export interface MemberPasswordMigrateInput extends MigrateHashInput {
  organization_id: string;
  email_address: string;
  name?: string;
  trusted_metadata?: unknown;
  untrusted_metadata?: unknown;
  roles?: string[];
  external_id?: string;
  mfa_phone_number?: string;
}

interface MemberCredentialRow extends CredentialState {
  member_id: string;
}

export function memberChanged(member: Pick<MemberRecord, 'project_id' | 'organization_id' | 'member_id'>): ChangeEvent {
  return { type: 'member', project_id: member.project_id, organization_id: member.organization_id, member_id: member.member_id };
}

/**
 * A member's factors name its address by the member id: a member has exactly one address, and
 * Gatehouse keeps no separate id for it.
 */
export const memberPasswordFactor = (member: MemberRecord, at: Date) => passwordFactor(member.member_id, member.email_address, at);

export class MemberPasswordService {
  readonly #db: SqlExecutor;
  readonly #feed: ChangeFeed;
  readonly #clock: Clock;
  readonly #members: MemberService;
  readonly #organizations: OrganizationService;
  readonly #rbac: RbacService;
  readonly #sessions: SessionService;
  readonly #credentials: PasswordCredentials;

  constructor(deps: {
    db: SqlExecutor;
    feed: ChangeFeed;
    clock: Clock;
    lockout: Lockout;
    members: MemberService;
    organizations: OrganizationService;
    rbac: RbacService;
    sessions: SessionService;
  }) {
    this.#db = deps.db;
    this.#feed = deps.feed;
    this.#clock = deps.clock;
    this.#members = deps.members;
    this.#organizations = deps.organizations;
    this.#rbac = deps.rbac;
    this.#sessions = deps.sessions;
    this.#credentials = new PasswordCredentials(deps, MEMBER_CREDENTIALS);
  }

  /** POST /v1/b2b/passwords/authenticate: the member signs in and gets a member session. */
  async authenticate(projectId: string, environment: Environment, input: MemberPasswordAuthenticateInput): Promise<MemberSignIn> {
    const organization = await this.#organizations.requireOrganization(projectId, input.organization_id);
    const email = normalizeMemberEmail(input.email_address).toLowerCase();
    const { rows } = await this.#db.query<MemberCredentialRow>(
      `SELECT m.member_id, ${this.#credentials.columns}
         FROM members m ${this.#credentials.joins('m')}
        WHERE m.project_id = $1 AND m.organization_id = $2 AND m.email_normalized = $3 AND m.status <> 'deleted'`,
      [projectId, organization.organization_id, email],
    );
    const row = rows[0];
    const changed = (memberId: string) => memberChanged({ project_id: projectId, organization_id: organization.organization_id, member_id: memberId });
    const found = row ? { id: row.member_id, state: row, changed: changed(row.member_id) } : null;
    const space = `${projectId}\n${organization.organization_id}`;
    await this.#credentials.verify({ found, projectId, space, identifier: email }, input.password);
    const member = await this.#requireMember(projectId, row!.member_id);
    return this.#sessions.grantMember(projectId, environment, member, organization, memberPasswordFactor(member, this.#clock.now()), input);
  }

  /**
   * POST /v1/b2b/passwords/migrate. A new address in the organization creates the member (with
   * name, metadata, external_id and roles, validated as member create validates them); an existing
   * member gets the password — and only that — if it has none yet. Roles and metadata are
   * validated either way.
   */
  async migrate(projectId: string, environment: Environment, input: MemberPasswordMigrateInput, actor: Actor) {
    const stored = parseMigratedHash(input);
    const organization = await this.#organizations.requireOrganization(projectId, input.organization_id);
    const existing = await this.#members.findByEmail(projectId, organization.organization_id, input.email_address);
    if (!existing) {
      const { email_address, name, trusted_metadata, untrusted_metadata, roles, external_id, mfa_phone_number } = input;
      const member = await this.#members.createMember(
        projectId,
        environment,
        organization.organization_id,
        { email_address, name, trusted_metadata, untrusted_metadata, roles, external_id, mfa_phone_number },
        actor,
        (tx, memberId) => this.#credentials.store(tx, projectId, environment, memberId, stored),
      );
      return { member, organization, member_created: true };
    }
    applyMetadataUpdate({}, input.trusted_metadata, 'trusted_metadata');
    applyMetadataUpdate({}, input.untrusted_metadata, 'untrusted_metadata');
    await this.#feed.write(async (tx, emit) => {
      const roles = [...new Set(input.roles ?? [])];
      if (roles.length > 0) await this.#rbac.checkAssignableRoles(tx, projectId, 'b2b', roles, organization.custom_roles);
      if (!(await this.#credentials.add(tx, projectId, environment, existing.member_id, stored))) {
        throw new GatehouseError('member_password_already_exists');
      }
      emit(memberChanged(existing));
    });
    return { member: await this.#requireMember(projectId, existing.member_id), organization, member_created: false };
  }

  /** Inside a transaction: sets the member's password and lifts any lockout (password reset). */
  storePassword(tx: SqlExecutor, projectId: string, environment: Environment, memberId: string, stored: StoredHash): Promise<void> {
    return this.#credentials.store(tx, projectId, environment, memberId, stored);
  }

  /** The live member of the organization whose password this is (member_password_not_found otherwise). */
  async requirePasswordOwner(projectId: string, organizationId: string, passwordId: string): Promise<{ member: MemberRecord; organization: OrganizationRecord }> {
    const organization = await this.#organizations.requireOrganization(projectId, organizationId);
    const { rows } = await this.#db.query<{ member_id: string }>(
      `SELECT p.member_id FROM member_passwords p JOIN members m ON m.member_id = p.member_id
        WHERE p.password_id = $1 AND m.project_id = $2 AND m.organization_id = $3 AND m.status <> 'deleted'`,
      [passwordId, projectId, organizationId],
    );
    if (!rows[0]) throw new GatehouseError('member_password_not_found');
    return { member: await this.#requireMember(projectId, rows[0].member_id), organization };
  }

  /** DELETE …/members/passwords/{member_password_id}: the member then has no password. */
  async deletePassword(projectId: string, member: MemberRecord, passwordId: string): Promise<MemberRecord> {
    await this.#feed.write(async (tx, emit) => {
      if (!(await this.#credentials.remove(tx, member.member_id, passwordId))) throw new GatehouseError('member_password_not_found');
      emit(memberChanged(member));
    });
    return this.#requireMember(projectId, member.member_id);
  }

  async #requireMember(projectId: string, memberId: string): Promise<MemberRecord> {
    const member = await this.#members.findMember(projectId, memberId);
    if (!member) throw new GatehouseError('member_not_found', { params: { member_id: memberId } });
    return member;
  }
}
