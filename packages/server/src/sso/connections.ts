// SSO connections of organizations: SAML and OIDC, their protocol settings and their implicit role
// rules. A change is announced as an organization change: the organization record carries each
// connection's rules, and member roles are worked out from it.
import { randomUUID } from 'node:crypto';
import { environmentOfProject } from '@gatehouse/contracts';
import { IMPLICIT_ROLE_IDS } from '@gatehouse/policy';
import type { AuditAction, AuditLog } from '../audit/log.ts';
import type { Clock } from '../shared/clock.ts';
import type { Environment } from '../shared/config.ts';
import type { EncryptionKeyring } from '../encryption/keyring.ts';
import { SEALED } from '../encryption/stored-secrets.ts';
import { GatehouseError } from '../shared/errors.ts';
import type { OrganizationRecord, OrganizationService } from '../organizations/service.ts';
import { claimSsoDefaultConnection, releaseSsoDefaultConnection } from '../organizations/repository.ts';
import { requireGrantable } from '../authz/grants.ts';
import type { MemberActor } from '../authz/member-authorization.ts';
import type { Actor } from '../projects/service.ts';
import type { RbacService } from '../rbac/service.ts';
import type { ChangeFeed } from '../store/change-feed.ts';
import type { SqlExecutor } from '../store/database.ts';
import type { OidcConnectionConfig } from './oidc.ts';
import type { SamlConnectionConfig } from './saml.ts';

export type ConnectionKind = 'saml' | 'oidc' | 'external';
/** The connections that speak to an IdP themselves. */
export type ProtocolKind = 'saml' | 'oidc';

/** An external connection's settings: the other organization's connection it signs in through (external.ts). */
export interface ExternalSettings {
  external_organization_id: string;
  external_connection_id: string;
}

export interface ConnectionRoleRule {
  role_id: string;
}

export interface GroupRoleRule {
  role_id: string;
  group: string;
}

/** SAML settings as stored (without the connection id, which the record has). */
export type SamlSettings = Omit<SamlConnectionConfig, 'connection_id'> & { idp_initiated_auth_disabled: boolean };
/** OIDC settings as stored. */
export type OidcSettings = Omit<OidcConnectionConfig, 'connection_id'>;

export interface SsoConnectionRecord<K extends ConnectionKind = ConnectionKind> {
  connection_id: string;
  organization_id: string;
  project_id: string;
  kind: K;
  status: 'pending' | 'active';
  display_name: string;
  identity_provider: string;
  config: K extends 'saml' ? SamlSettings : K extends 'oidc' ? OidcSettings : ExternalSettings;
  connection_role_rules: ConnectionRoleRule[];
  group_role_rules: GroupRoleRule[];
  /** Email domains the organization vouches for at this connection (project secret only): an address there may be linked by email. */
  verified_email_domains: string[];
  created_at: Date;
  updated_at: Date;
}

/** A row of sso_connections: the record, its OIDC client secret sealed apart from `config`. */
type StoredConnection = SsoConnectionRecord & { client_secret_encrypted: string | null; external_connection_id: string | null };

export const DEFAULT_SAML_SETTINGS: SamlSettings = {
  idp_entity_id: '',
  idp_sso_url: '',
  verification_certificates: [],
  attribute_mapping: { email: 'email', first_name: 'first_name', last_name: 'last_name', groups: 'groups' },
  nameid_format: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  alternative_audience_uri: '',
  idp_initiated_auth_disabled: true,
};

export const DEFAULT_OIDC_SETTINGS: OidcSettings = {
  issuer: '',
  client_id: '',
  client_secret: '',
  authorization_url: '',
  token_url: '',
  userinfo_url: '',
  jwks_url: '',
  custom_scopes: '',
  attribute_mapping: { email: 'email', name: 'name', groups: 'groups' },
};

/** Whether the connection has what a sign-in needs. */
export function isComplete(record: SsoConnectionRecord): boolean {
  // An external connection is as complete as its source, which the sign-in checks (flows.ts).
  if (record.kind === 'external') return true;
  if (record.kind === 'saml') {
    const config = record.config as SamlSettings;
    return config.idp_entity_id !== '' && config.idp_sso_url !== '' && config.verification_certificates.length > 0;
  }
  const config = record.config as OidcSettings;
  return config.issuer !== '' && config.client_id !== '' && config.client_secret !== '' && config.authorization_url !== '' && config.token_url !== '';
}

function notFound(connectionId: string): GatehouseError {
  return new GatehouseError('sso_connection_not_found', { params: { connection_id: connectionId } });
}

export class SsoConnectionService {
  readonly #db: SqlExecutor;
  readonly #feed: ChangeFeed;
  readonly #rbac: RbacService;
  readonly #organizations: OrganizationService;
  readonly #clock: Clock;
  readonly #audit: AuditLog;
  readonly #keyring: EncryptionKeyring;

  constructor(db: SqlExecutor, feed: ChangeFeed, rbac: RbacService, organizations: OrganizationService, clock: Clock, audit: AuditLog, keyring: EncryptionKeyring) {
    this.#db = db;
    this.#feed = feed;
    this.#rbac = rbac;
    this.#organizations = organizations;
    this.#clock = clock;
    this.#audit = audit;
    this.#keyring = keyring;
  }

  /**
   * A stored row as a record: the OIDC client secret, kept sealed in its own column, opened into
   * `config` where the flows read it. `open: false` leaves it sealed (a deletion needs only to know
   * whether there was one, and must work even when the value no longer opens).
   */
  #fromRow(row: StoredConnection, open = true): SsoConnectionRecord {
    const { client_secret_encrypted: sealed, external_connection_id: _source, ...record } = row;
    if (record.kind !== 'oidc') return record;
    const clientSecret = !sealed ? '' : open ? this.#keyring.open(sealed, SEALED.oidcClientSecret.field(record.connection_id)) : sealed;
    return { ...record, config: { ...(record.config as OidcSettings), client_secret: clientSecret } };
  }

  /** What is stored for a record's settings: `config` without the client secret, and the secret sealed. */
  #toStored(record: SsoConnectionRecord): { config: string; client_secret_encrypted: string | null } {
    if (record.kind !== 'oidc') return { config: JSON.stringify(record.config), client_secret_encrypted: null };
    const { client_secret, ...config } = record.config as OidcSettings;
    const sealed = client_secret ? this.#keyring.seal(client_secret, SEALED.oidcClientSecret.field(record.connection_id)) : null;
    return { config: JSON.stringify(config), client_secret_encrypted: sealed };
  }

  async create<K extends ConnectionKind>(
    projectId: string,
    environment: Environment,
    organizationId: string,
    kind: K,
    input: { display_name?: string; identity_provider?: string },
    actor: Actor,
  ): Promise<SsoConnectionRecord<K>> {
    await this.#organizations.requireOrganization(projectId, organizationId);
    const connectionId = `${kind}-connection-${environment}-${randomUUID()}`;
    const now = this.#clock.now();
    await this.#feed.write(async (tx, emit) => {
      await tx.query(
        `INSERT INTO sso_connections (connection_id, organization_id, project_id, kind, status, display_name, identity_provider, config, created_at, updated_at)
         VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7, $8, $8)`,
        [connectionId, organizationId, projectId, kind, input.display_name ?? '', input.identity_provider ?? 'generic',
          this.#toStored({ kind, connection_id: connectionId, config: kind === 'saml' ? DEFAULT_SAML_SETTINGS : DEFAULT_OIDC_SETTINGS } as SsoConnectionRecord).config, now],
      );
      const { rows } = await tx.query<StoredConnection>('SELECT * FROM sso_connections WHERE connection_id = $1', [connectionId]);
      await this.#record(tx, actor, 'sso_connection.created', null, this.#fromRow(rows[0]!));
      await claimSsoDefaultConnection(tx, organizationId, connectionId, now);
      emit({ type: 'organization', project_id: projectId, organization_id: organizationId });
    });
    return this.require(projectId, organizationId, connectionId, kind);
  }

  /**
   * An external connection in `organizationId` through another organization's SAML or OIDC connection
   * of the same project; its role rules are checked as an update's are.
   */
  async createExternal(
    projectId: string,
    organizationId: string,
    input: ExternalSettings & { display_name?: string; connection_role_rules?: ConnectionRoleRule[]; group_role_rules?: GroupRoleRule[] },
    actor: Actor,
    grantor: MemberActor | null,
  ): Promise<SsoConnectionRecord<'external'>> {
    const organization = await this.#organizations.requireOrganization(projectId, organizationId);
    const source = await this.find(input.external_connection_id);
    if (!source || source.project_id !== projectId || source.organization_id !== input.external_organization_id
      || source.kind === 'external' || source.organization_id === organizationId) {
      throw notFound(input.external_connection_id);
    }
    const connectionId = `external-connection-${environmentOfProject(projectId)}-${randomUUID()}`;
    const now = this.#clock.now();
    const config: ExternalSettings = { external_organization_id: source.organization_id, external_connection_id: source.connection_id };
    const connectionRules = dedupe(input.connection_role_rules ?? [], (r) => r.role_id);
    const groupRules = dedupe(input.group_role_rules ?? [], (r) => `${r.role_id}\n${r.group}`);
    await this.#feed.write(async (tx, emit) => {
      await this.#checkRules(tx, organization, [...connectionRules, ...groupRules], grantor);
      await tx.query(
        `INSERT INTO sso_connections (connection_id, organization_id, project_id, kind, status, display_name, identity_provider, config,
                                      connection_role_rules, group_role_rules, external_connection_id, created_at, updated_at)
         VALUES ($1, $2, $3, 'external', 'active', $4, $5, $6, $7, $8, $9, $10, $10)`,
        [connectionId, organizationId, projectId, input.display_name ?? source.display_name, source.identity_provider, JSON.stringify(config),
          JSON.stringify(connectionRules), JSON.stringify(groupRules), source.connection_id, now],
      );
      const { rows } = await tx.query<StoredConnection>('SELECT * FROM sso_connections WHERE connection_id = $1', [connectionId]);
      await this.#record(tx, actor, 'sso_connection.created', null, this.#fromRow(rows[0]!));
      await claimSsoDefaultConnection(tx, organizationId, connectionId, now);
      emit({ type: 'organization', project_id: projectId, organization_id: organizationId });
    });
    return this.require(projectId, organizationId, connectionId, 'external');
  }

  async list(projectId: string, organizationId: string): Promise<SsoConnectionRecord[]> {
    await this.#organizations.requireOrganization(projectId, organizationId);
    const { rows } = await this.#db.query<StoredConnection>(
      'SELECT * FROM sso_connections WHERE project_id = $1 AND organization_id = $2 ORDER BY created_at, connection_id',
      [projectId, organizationId],
    );
    return rows.map((row) => this.#fromRow(row));
  }

  /** A connection by id alone (sign-in flows arrive with the connection id only). */
  async find(connectionId: string, db: SqlExecutor = this.#db): Promise<SsoConnectionRecord | null> {
    const { rows } = await db.query<StoredConnection>('SELECT * FROM sso_connections WHERE connection_id = $1', [connectionId]);
    return rows[0] ? this.#fromRow(rows[0]) : null;
  }

  async require<K extends ConnectionKind>(projectId: string, organizationId: string, connectionId: string, kind?: K): Promise<SsoConnectionRecord<K>> {
    const record = await this.find(connectionId);
    if (!record || record.project_id !== projectId || record.organization_id !== organizationId || (kind && record.kind !== kind)) {
      throw notFound(connectionId);
    }
    return record as SsoConnectionRecord<K>;
  }

  /**
   * Changes a connection: its names, protocol settings and role rules. The connection becomes
   * active once it has what a sign-in needs. Role rules are checked against the B2B policy and the
   * organization's custom roles in the same transaction.
   */
  async update<K extends ConnectionKind>(
    projectId: string,
    organizationId: string,
    connectionId: string,
    kind: K,
    change: {
      display_name?: string;
      identity_provider?: string;
      config?: Partial<SsoConnectionRecord<K>['config']>;
      connection_role_rules?: ConnectionRoleRule[];
      group_role_rules?: GroupRoleRule[];
      verified_email_domains?: string[];
    },
    actor: Actor,
    grantor: MemberActor | null = null,
  ): Promise<SsoConnectionRecord<K>> {
    const organization = await this.#organizations.requireOrganization(projectId, organizationId);
    await this.#feed.write(async (tx, emit) => {
      const { rows } = await tx.query<StoredConnection>(
        'SELECT * FROM sso_connections WHERE connection_id = $1 AND project_id = $2 AND organization_id = $3 AND kind = $4 FOR UPDATE',
        [connectionId, projectId, organizationId, kind],
      );
      const current = rows[0] && this.#fromRow(rows[0]);
      if (!current) throw notFound(connectionId);
      // On a member session's authority, what the connection trusts (the IdP's certificate, issuer,
      // endpoints, client, attribute mapping) may change only while it signs no existing member in:
      // otherwise whoever controls the new IdP signs in as those members, with their roles.
      if (grantor && changesTrust(change.config) && (await signsMembersIn(tx, current))) {
        throw new GatehouseError('sso_idp_change_needs_project_secret');
      }
      await this.#checkRules(tx, organization, [...(change.connection_role_rules ?? []), ...(change.group_role_rules ?? [])], grantor);
      const next: SsoConnectionRecord = {
        ...current,
        display_name: change.display_name ?? current.display_name,
        identity_provider: change.identity_provider ?? current.identity_provider,
        config: { ...current.config, ...change.config } as SsoConnectionRecord['config'],
        connection_role_rules: change.connection_role_rules ? dedupe(change.connection_role_rules, (r) => r.role_id) : current.connection_role_rules,
        group_role_rules: change.group_role_rules ? dedupe(change.group_role_rules, (r) => `${r.role_id}\n${r.group}`) : current.group_role_rules,
        verified_email_domains: change.verified_email_domains ? [...new Set(change.verified_email_domains)] : current.verified_email_domains,
      };
      next.status = isComplete(next) ? 'active' : 'pending';
      const stored = this.#toStored(next);
      await tx.query(
        `UPDATE sso_connections SET display_name = $2, identity_provider = $3, config = $4, connection_role_rules = $5,
                group_role_rules = $6, status = $7, updated_at = $8, verified_email_domains = $9, client_secret_encrypted = $10 WHERE connection_id = $1`,
        [connectionId, next.display_name, next.identity_provider, stored.config, JSON.stringify(next.connection_role_rules),
          JSON.stringify(next.group_role_rules), next.status, this.#clock.now(), next.verified_email_domains, stored.client_secret_encrypted],
      );
      await this.#record(tx, actor, 'sso_connection.updated', current, next);
      emit({ type: 'organization', project_id: projectId, organization_id: organizationId });
    });
    return this.require(projectId, organizationId, connectionId, kind);
  }

  /** Role rules name no default role, only roles of the policy or the organization, and (on a member session's authority) only roles the member could grant itself. */
  async #checkRules(tx: SqlExecutor, organization: OrganizationRecord, rules: { role_id: string }[], grantor: MemberActor | null) {
    const roles = [...new Set(rules.map((rule) => rule.role_id))];
    if (roles.length === 0) return;
    if (roles.some((role) => IMPLICIT_ROLE_IDS.b2b.includes(role))) throw new GatehouseError('default_role_in_rule');
    const { project_id: projectId, organization_id: organizationId } = organization;
    if (grantor) await requireGrantable(tx, this.#rbac, grantor, () => this.#organizations.lock(tx, projectId, organizationId), roles);
    await this.#rbac.checkAssignableRoles(tx, projectId, 'b2b', roles, organization.custom_roles);
  }

  #record(tx: SqlExecutor, actor: Actor, action: AuditAction, before: SsoConnectionRecord | null, after: SsoConnectionRecord | null) {
    const record = (after ?? before)!;
    return this.#audit.record(tx, {
      project_id: record.project_id, actor, action, target_type: 'sso_connection', target_id: record.connection_id,
      organization_id: record.organization_id, before: before && auditView(before), after: after && auditView(after),
    });
  }

  /** Deletes the connection and the members' registrations with it (their roles from it go too). */
  async delete(projectId: string, organizationId: string, connectionId: string, actor: Actor): Promise<void> {
    await this.#feed.write(async (tx, emit) => {
      // External connections through this one go with it (the foreign key cascades): their organizations and members are announced too.
      const { rows } = await tx.query<{ member_id: string; organization_id: string }>(
        `SELECT member_id, organization_id FROM sso_registrations WHERE connection_id = $1
            OR connection_id IN (SELECT connection_id FROM sso_connections WHERE external_connection_id = $1)`, [connectionId],
      );
      const { rows: externals } = await tx.query<StoredConnection>('SELECT * FROM sso_connections WHERE external_connection_id = $1', [connectionId]);
      const { rows: deleted } = await tx.query<StoredConnection>(
        'DELETE FROM sso_connections WHERE connection_id = $1 AND project_id = $2 AND organization_id = $3 RETURNING *',
        [connectionId, projectId, organizationId]);
      if (deleted.length === 0) throw notFound(connectionId);
      await this.#record(tx, actor, 'sso_connection.deleted', this.#fromRow(deleted[0]!, false), null);
      await releaseSsoDefaultConnection(tx, organizationId, connectionId, this.#clock.now());
      emit({ type: 'organization', project_id: projectId, organization_id: organizationId });
      for (const external of externals) {
        await this.#record(tx, actor, 'sso_connection.deleted', this.#fromRow(external, false), null);
        await releaseSsoDefaultConnection(tx, external.organization_id, external.connection_id, this.#clock.now());
        emit({ type: 'organization', project_id: projectId, organization_id: external.organization_id });
      }
      for (const row of rows) emit({ type: 'member', project_id: projectId, organization_id: row.organization_id, member_id: row.member_id });
    });
  }
}

/** What the audit log keeps of a connection: its names, status, settings (never the OIDC client secret) and role rules. */
function auditView(record: SsoConnectionRecord) {
  const { client_secret, ...config } = record.config as OidcSettings;
  return {
    kind: record.kind, status: record.status, display_name: record.display_name, identity_provider: record.identity_provider,
    config: record.kind === 'oidc' ? { ...config, client_secret_set: client_secret !== '' } : record.config,
    connection_role_rules: record.connection_role_rules, group_role_rules: record.group_role_rules,
    verified_email_domains: record.verified_email_domains,
  };
}

function dedupe<T>(items: T[], key: (item: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const item of items) if (!seen.has(key(item))) seen.set(key(item), item);
  return [...seen.values()];
}

/** Settings that decide who the connection's IdP is and which identity it asserts. */
const TRUST_SETTINGS = new Set([
  'idp_entity_id', 'idp_sso_url', 'verification_certificates', 'attribute_mapping',
  'issuer', 'client_id', 'client_secret', 'authorization_url', 'token_url', 'userinfo_url', 'jwks_url',
]);

function changesTrust(config: object | undefined): boolean {
  return Object.keys(config ?? {}).some((key) => TRUST_SETTINGS.has(key));
}

/** Whether the connection can sign an existing member in: verified domains, links or registrations. */
async function signsMembersIn(tx: SqlExecutor, connection: SsoConnectionRecord): Promise<boolean> {
  if (connection.verified_email_domains.length > 0) return true;
  const { rowCount } = await tx.query(
    `SELECT 1 FROM sso_member_links WHERE connection_id = $1
     UNION ALL SELECT 1 FROM sso_registrations WHERE connection_id = $1 LIMIT 1`,
    [connection.connection_id],
  );
  return rowCount > 0;
}
