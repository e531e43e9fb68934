// Which SSO connections may sign an existing member in when the IdP's identity is new to us and only
// the email matches. An IdP asserts whatever address its administrator types, so an email match alone
// never links: the connection must have provisioned the member, or the organization must have
// verified the email's domain for the connection (project secret only), or an allowed caller must
// have linked the member to the connection explicitly (audited). docs/security/sso-linking.md.
import type { AuditLog } from '../audit/log.ts';
import type { Clock } from '../shared/clock.ts';
import { GatehouseError } from '../shared/errors.ts';
import type { MemberRecord } from '../members/service.ts';
import { emailDomain } from '../organizations/service.ts';
import type { Actor } from '../projects/service.ts';
import type { ChangeFeed } from '../store/change-feed.ts';
import type { SqlExecutor } from '../store/database.ts';
import type { SsoConnectionRecord } from './connections.ts';

/** Why a connection may sign a member in by email; null when it may not. */
export type LinkReason = 'provisioned' | 'linked' | 'verified_domain';

/** Whether the email's domain is verified for the connection (the organization vouches for its addresses). */
export function isVerifiedDomain(connection: SsoConnectionRecord, email: string): boolean {
  return (connection.verified_email_domains ?? []).includes(emailDomain(email));
}

export class SsoMemberLinks {
  readonly #db: SqlExecutor;
  readonly #feed: ChangeFeed;
  readonly #clock: Clock;
  readonly #audit: AuditLog;

  constructor(db: SqlExecutor, feed: ChangeFeed, clock: Clock, audit: AuditLog) {
    this.#db = db;
    this.#feed = feed;
    this.#clock = clock;
    this.#audit = audit;
  }

  /** Why `connection` may sign `member` in by its email, or null. */
  async reason(connection: SsoConnectionRecord, member: MemberRecord): Promise<LinkReason | null> {
    const { rows } = await this.#db.query<{ reason: 'provisioned' | 'linked' }>(
      'SELECT reason FROM sso_member_links WHERE member_id = $1 AND connection_id = $2', [member.member_id, connection.connection_id]);
    if (rows[0]) return rows[0].reason;
    return isVerifiedDomain(connection, member.email_address) ? 'verified_domain' : null;
  }

  /** Records, inside the creating transaction, that the connection provisioned the member. */
  async recordProvisioned(tx: SqlExecutor, connection: SsoConnectionRecord, memberId: string): Promise<void> {
    await tx.query(
      `INSERT INTO sso_member_links (member_id, connection_id, organization_id, project_id, reason, created_at)
       VALUES ($1, $2, $3, $4, 'provisioned', $5) ON CONFLICT DO NOTHING`,
      [memberId, connection.connection_id, connection.organization_id, connection.project_id, this.#clock.now()],
    );
  }

  /** An explicit link: the connection may sign this member in by email from now on. Idempotent; audited. */
  async link(connection: SsoConnectionRecord, member: MemberRecord, actor: Actor, authorize?: (tx: SqlExecutor) => Promise<void>): Promise<void> {
    if (member.organization_id !== connection.organization_id || member.status === 'deleted') {
      throw new GatehouseError('member_not_found', { params: { member_id: member.member_id } });
    }
    await this.#feed.write(async (tx, emit) => {
      await authorize?.(tx);
      const { rowCount } = await tx.query(
        `INSERT INTO sso_member_links (member_id, connection_id, organization_id, project_id, reason, created_at)
         VALUES ($1, $2, $3, $4, 'linked', $5) ON CONFLICT DO NOTHING`,
        [member.member_id, connection.connection_id, connection.organization_id, connection.project_id, this.#clock.now()],
      );
      if (rowCount === 0) return;
      await this.#audit.record(tx, {
        project_id: connection.project_id, actor, action: 'member.sso_link.created', target_type: 'member', target_id: member.member_id,
        organization_id: connection.organization_id, before: null, after: { connection_id: connection.connection_id, reason: 'linked' },
      });
      emit({ type: 'member', project_id: connection.project_id, organization_id: connection.organization_id, member_id: member.member_id });
    });
  }

  /**
   * Ends the link and the member's registration with the connection (and so the roles it gave): the
   * next sign-in through it is judged like a first one. Audited; a member that was not linked is a 404.
   */
  async unlink(connection: SsoConnectionRecord, memberId: string, actor: Actor): Promise<void> {
    await this.#feed.write(async (tx, emit) => {
      const { rows: links } = await tx.query<{ reason: string }>(
        'DELETE FROM sso_member_links WHERE member_id = $1 AND connection_id = $2 RETURNING reason', [memberId, connection.connection_id]);
      const { rowCount: registrations } = await tx.query(
        'DELETE FROM sso_registrations WHERE member_id = $1 AND connection_id = $2', [memberId, connection.connection_id]);
      if (links.length === 0 && registrations === 0) {
        throw new GatehouseError('sso_member_link_not_found');
      }
      await this.#audit.record(tx, {
        project_id: connection.project_id, actor, action: 'member.sso_link.deleted', target_type: 'member', target_id: memberId,
        organization_id: connection.organization_id, before: { connection_id: connection.connection_id, reason: links[0]?.reason ?? 'registered' }, after: null,
      });
      emit({ type: 'member', project_id: connection.project_id, organization_id: connection.organization_id, member_id: memberId });
    });
  }
}
