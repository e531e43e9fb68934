// M2M clients, as Stytch's: create (the secret shown once), get, search, update (an inactive client
// gets no tokens), delete, secret rotation (start: a next secret shown once, both work; complete:
// the next secret becomes the only one; cancel: it is dropped), and the client-credentials grant,
// which signs an access token with the project's session signing keys: sub = client_id, scope =
// the granted scopes space-separated, iss stytch.com/{project_id}, aud [project_id], one hour.
// Secrets are 256 random bits, kept as their SHA-256 digest and compared in constant time.
import { randomBytes, randomUUID } from 'node:crypto';
import { environmentOfProject } from '@gatehouse/contracts';
import { SignJWT } from 'jose';
import type { AuditLog } from '../audit/log.ts';
import type { Actor } from '../projects/service.ts';
import { compileSearchQuery, FilterValues, SearchCursors, searchLimit, type FilterCompiler, type SearchQuery } from '../search/query.ts';
import { M2M_TOKEN_LIFETIME_SECONDS, type SigningKeys } from '../sessions/keys.ts';
import type { Clock } from '../shared/clock.ts';
import type { Environment } from '../shared/config.ts';
import { GatehouseError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { applyMetadataUpdate, checkMetadata, type Metadata } from '../shared/metadata.ts';
import { digestsEqual, sha256 } from '../shared/secrets.ts';
import type { Database, SqlExecutor } from '../store/database.ts';
import { deleteClient, findClient, insertClient, saveClient, searchClients, type M2MClientRecord } from './repository.ts';

export type { M2MClientRecord };

const CLIENT_ID = /^[A-Za-z0-9._-]{1,128}$/;
/** An imported secret's least length: only its SHA-256 is kept, so it must be hard to guess. */
export const MIN_IMPORTED_SECRET_LENGTH = 32;
const MAX_SCOPES = 100;
const MAX_SCOPE_LENGTH = 128;
const MAX_TEXT_LENGTH = 1024;
/** Compared against when the client is unknown, so an unknown client_id costs what a wrong secret does. */
const NO_DIGEST = sha256('no client');

export interface M2MClientInput {
  client_id?: string;
  client_secret?: string;
  client_name?: string;
  client_description?: string;
  scopes?: string[];
  trusted_metadata?: Metadata;
  status?: 'active' | 'inactive';
}

function checkScopes(scopes: string[]): string[] {
  const unique = [...new Set(scopes)];
  if (unique.length > MAX_SCOPES || unique.some((scope) => scope.length === 0 || scope.length > MAX_SCOPE_LENGTH || /\s/.test(scope))) {
    throw new GatehouseError('m2m_scope_invalid');
  }
  return unique;
}

function checkText(value: string | undefined): string | undefined {
  if (value !== undefined && value.length > MAX_TEXT_LENGTH) throw new GatehouseError('invalid_argument');
  return value;
}

function newClientSecret(): string {
  return randomBytes(32).toString('base64url');
}

const values = new FilterValues('m2m_search');
const FILTERS: Record<string, FilterCompiler> = {
  client_id: (v, p) => `c.client_id = ANY(${p(values.stringList('client_id', v))}::text[])`,
  client_name: (v, p) => `c.client_name = ANY(${p(values.stringList('client_name', v))}::text[])`,
  scopes: (v, p) => `c.scopes && ${p(values.stringList('scopes', v))}::text[]`,
};
const cursors = new SearchCursors('m2m_search_invalid_cursor', (id) => CLIENT_ID.test(id));

/** What the audit log keeps of a client: never a secret, only its last four characters. */
function auditView(record: M2MClientRecord | undefined) {
  if (!record) return null;
  const { client_name, client_description, status, scopes, trusted_metadata, secret_last_four, next_secret_last_four } = record;
  return { client_name, client_description, status, scopes, trusted_metadata, secret_last_four, next_secret_last_four };
}

type AuditedAction = 'm2m_client.created' | 'm2m_client.updated' | 'm2m_client.deleted' | 'm2m_client.secret_rotation_started' | 'm2m_client.secret_rotated' | 'm2m_client.secret_rotation_cancelled';

export interface IssuedToken {
  access_token: string;
  expires_in: number;
}

export class M2MService {
  readonly #db: Database;
  readonly #clock: Clock;
  readonly #audit: AuditLog;
  readonly #keys: SigningKeys;

  constructor(deps: { db: Database; clock: Clock; audit: AuditLog; keys: SigningKeys }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#audit = deps.audit;
    this.#keys = deps.keys;
  }

  async create(projectId: string, environment: Environment, input: M2MClientInput & { scopes: string[] }, actor: Actor): Promise<{ record: M2MClientRecord; client_secret: string }> {
    const clientId = input.client_id ?? newId('m2m-client', environment);
    if (!CLIENT_ID.test(clientId)) throw new GatehouseError('m2m_client_id_invalid');
    if (input.client_secret !== undefined && input.client_secret.length < MIN_IMPORTED_SECRET_LENGTH) {
      throw new GatehouseError('m2m_client_secret_too_short', { params: { min: MIN_IMPORTED_SECRET_LENGTH } });
    }
    const secret = input.client_secret ?? newClientSecret();
    const now = this.#clock.now();
    const record: M2MClientRecord = {
      project_id: projectId,
      client_id: clientId,
      client_name: checkText(input.client_name) ?? '',
      client_description: checkText(input.client_description) ?? '',
      status: 'active',
      scopes: checkScopes(input.scopes),
      trusted_metadata: checkMetadata(input.trusted_metadata ?? {}, 'trusted_metadata'),
      secret_hash: sha256(secret),
      secret_last_four: secret.slice(-4),
      next_secret_hash: null,
      next_secret_last_four: null,
      created_at: now,
      updated_at: now,
    };
    await this.#db.transaction(async (tx) => {
      if (!(await insertClient(tx, record))) throw new GatehouseError('m2m_client_id_already_exists', { params: { client_id: clientId } });
      await this.#record(tx, actor, 'm2m_client.created', clientId, undefined, record);
    });
    return { record, client_secret: secret };
  }

  async get(projectId: string, clientId: string): Promise<M2MClientRecord> {
    const record = await findClient(this.#db, projectId, clientId);
    if (!record) throw new GatehouseError('m2m_client_not_found', { params: { client_id: clientId } });
    return record;
  }

  async search(projectId: string, input: { cursor?: unknown; limit?: unknown; query?: SearchQuery | null }) {
    const limit = searchLimit(input.limit, 'm2m_search_invalid_limit');
    const filter = compileSearchQuery(input.query ?? null, FILTERS, 'm2m_search', 2);
    const queryKey = sha256(JSON.stringify(input.query ?? null)).toString('base64url').slice(0, 12);
    const after = input.cursor ? cursors.decode(input.cursor, queryKey) : null;
    const { rows, total } = await searchClients(this.#db, projectId, filter, { limit, after });
    const results = rows.slice(0, limit);
    const last = results.at(-1);
    return { results, total, next_cursor: rows.length > limit && last ? cursors.encode(last, last.client_id, queryKey) : null };
  }

  update(projectId: string, clientId: string, input: M2MClientInput, actor: Actor): Promise<M2MClientRecord> {
    return this.#change(projectId, clientId, actor, 'm2m_client.updated', (record) => ({
      ...record,
      client_name: checkText(input.client_name) ?? record.client_name,
      client_description: checkText(input.client_description) ?? record.client_description,
      status: input.status ?? record.status,
      scopes: input.scopes === undefined ? record.scopes : checkScopes(input.scopes),
      trusted_metadata: applyMetadataUpdate(record.trusted_metadata, input.trusted_metadata, 'trusted_metadata'),
    }));
  }

  async remove(projectId: string, clientId: string, actor: Actor): Promise<void> {
    await this.#db.transaction(async (tx) => {
      const record = await findClient(tx, projectId, clientId, { lock: true });
      if (!record) throw new GatehouseError('m2m_client_not_found', { params: { client_id: clientId } });
      await deleteClient(tx, projectId, clientId);
      await this.#record(tx, actor, 'm2m_client.deleted', clientId, record, undefined);
    });
  }

  /** Starts a rotation (or starts it again: a new next secret replaces an earlier one). */
  async rotateStart(projectId: string, clientId: string, actor: Actor): Promise<{ record: M2MClientRecord; next_client_secret: string }> {
    const next = newClientSecret();
    const record = await this.#change(projectId, clientId, actor, 'm2m_client.secret_rotation_started', (current) => ({
      ...current,
      next_secret_hash: sha256(next),
      next_secret_last_four: next.slice(-4),
    }));
    return { record, next_client_secret: next };
  }

  /** Completes the rotation: the next secret becomes the only one. */
  rotateComplete(projectId: string, clientId: string, actor: Actor): Promise<M2MClientRecord> {
    return this.#change(projectId, clientId, actor, 'm2m_client.secret_rotated', (current) => {
      if (current.next_secret_hash === null) throw new GatehouseError('m2m_secret_rotation_not_started');
      return { ...current, secret_hash: current.next_secret_hash, secret_last_four: current.next_secret_last_four!, next_secret_hash: null, next_secret_last_four: null };
    });
  }

  rotateCancel(projectId: string, clientId: string, actor: Actor): Promise<M2MClientRecord> {
    return this.#change(projectId, clientId, actor, 'm2m_client.secret_rotation_cancelled', (current) => {
      if (current.next_secret_hash === null) throw new GatehouseError('m2m_secret_rotation_not_started');
      return { ...current, next_secret_hash: null, next_secret_last_four: null };
    });
  }

  /**
   * The client-credentials grant: the client's secret (current, or next during a rotation) checked in
   * constant time, the client active, the requested scopes (space-separated; none: all the client's)
   * each one of the client's. Returns a signed access token.
   */
  async issueToken(projectId: string, credentials: { client_id: string; client_secret: string }, scope: string | undefined): Promise<IssuedToken> {
    const record = CLIENT_ID.test(credentials.client_id) ? await findClient(this.#db, projectId, credentials.client_id) : undefined;
    const presented = sha256(credentials.client_secret);
    const current = digestsEqual(presented, record?.secret_hash ?? NO_DIGEST);
    const next = digestsEqual(presented, record?.next_secret_hash ?? NO_DIGEST);
    if (!record || !(current || next)) throw new GatehouseError('invalid_client');
    if (record.status !== 'active') throw new GatehouseError('m2m_client_inactive');
    const requested = scope === undefined ? [] : scope.split(' ').filter((s) => s !== '');
    const refused = requested.find((s) => !record.scopes.includes(s));
    if (refused !== undefined) throw new GatehouseError('invalid_scope', { params: { scope: refused.slice(0, MAX_SCOPE_LENGTH) } });
    const granted = requested.length > 0 ? [...new Set(requested)] : record.scopes;
    const { signing } = await this.#keys.forProject(projectId, environmentOfProject(projectId));
    const now = Math.floor(this.#clock.now().getTime() / 1000);
    const accessToken = await new SignJWT({ scope: granted.join(' ') })
      .setProtectedHeader({ alg: 'RS256', kid: signing.kid, typ: 'JWT' })
      .setIssuer(`stytch.com/${projectId}`)
      .setAudience([projectId])
      .setSubject(record.client_id)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + M2M_TOKEN_LIFETIME_SECONDS)
      .setJti(randomUUID())
      .sign(signing.key);
    return { access_token: accessToken, expires_in: M2M_TOKEN_LIFETIME_SECONDS };
  }

  /** Reads the client locked, applies `change`, writes it and its audit entry in one transaction. */
  async #change(projectId: string, clientId: string, actor: Actor, action: AuditedAction, change: (record: M2MClientRecord) => M2MClientRecord): Promise<M2MClientRecord> {
    return this.#db.transaction(async (tx) => {
      const before = await findClient(tx, projectId, clientId, { lock: true });
      if (!before) throw new GatehouseError('m2m_client_not_found', { params: { client_id: clientId } });
      const after = { ...change(before), updated_at: this.#clock.now() };
      await saveClient(tx, after);
      await this.#record(tx, actor, action, clientId, before, after);
      return after;
    });
  }

  #record(tx: SqlExecutor, actor: Actor, action: AuditedAction, clientId: string, before: M2MClientRecord | undefined, after: M2MClientRecord | undefined) {
    const projectId = (after ?? before)!.project_id;
    return this.#audit.record(tx, { project_id: projectId, actor, action, target_type: 'm2m_client', target_id: clientId, before: auditView(before), after: auditView(after) });
  }
}
