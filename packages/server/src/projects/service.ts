// Projects and their API secrets: creation on first start, rotation, and the authentication of
// backend callers (HTTP Basic project_id:secret) from an in-memory cache of secret digests.
import { environmentOfProject } from '@gatehouse/contracts';
import { systemActor, type AuditLog } from '../audit/log.ts';
import { BoundedCache } from '../shared/bounded-cache.ts';
import type { Clock } from '../shared/clock.ts';
import type { Environment } from '../shared/config.ts';
import { GatehouseError } from '../shared/errors.ts';
import { isId, isPublicToken, newId, newPublicToken, newSecret } from '../shared/ids.ts';
import { digestsEqual, sha256 } from '../shared/secrets.ts';
import type { ChangeFeed } from '../store/change-feed.ts';
import type { SqlExecutor } from '../store/database.ts';
import { insertInitialPolicy } from '../rbac/policy-store.ts';

export interface Project {
  project_id: string;
  environment: Environment;
  public_token: string;
  created_at: Date;
}

export interface ProjectCredentials {
  project_id: string;
  secret: string;
  public_token: string;
}

export interface SecretSummary {
  secret_id: string;
  last_four: string;
  created_at: Date;
}

/** Who is making a change: recorded in the audit log. */
export type Actor =
  | { type: 'project_secret'; id: string }
  | { type: 'admin'; id: string; email: string }
  | { type: 'member_session'; id: string; organization_id: string; session_id?: string }
  | { type: 'system'; id: string };

/** A backend caller that authenticated: its project and the secret it used. */
export interface Caller {
  projectId: string;
  actor: Actor;
}

export interface CreateProjectInput {
  environment: Environment;
  projectId?: string;
  secret?: string;
  publicToken?: string;
}

export function checkCredentialShapes(input: CreateProjectInput): void {
  if (input.projectId !== undefined && !isId('project', input.projectId)) {
    throw new GatehouseError('invalid_project_id_value');
  }
  // The environment is read from the id wherever a project's is needed: the two must agree.
  if (input.projectId !== undefined && environmentOfProject(input.projectId) !== input.environment) {
    throw new GatehouseError('project_environment_mismatch', { params: { project_id: input.projectId, environment: input.environment } });
  }
  if (input.publicToken !== undefined && !isPublicToken(input.publicToken)) {
    throw new GatehouseError('invalid_public_token_value');
  }
  if (input.secret !== undefined && (input.secret.length < 24 || input.secret.length > 256 || /[\s:]/.test(input.secret))) {
    throw new GatehouseError('invalid_secret_value');
  }
}

export class ProjectService {
  readonly #feed: ChangeFeed;
  readonly #db: SqlExecutor;
  readonly #clock: Clock;
  readonly #audit: AuditLog;
  /**
   * project_id → active secret digests; null caches "no such project", so guessing ids costs no
   * database reads (the cache is bounded, so guessing cannot grow it without limit).
   */
  readonly #secrets = new BoundedCache<string, { secret_id: string; digest: Buffer }[] | null>({ max: 10_000 });
  /** Authorization header values that authenticated → their caller; emptied when any secret changes. */
  readonly #callers = new BoundedCache<string, Caller>({ max: 1_000 });
  /** Counts those changes, so a check that began before one does not remember its header after it. */
  #secretsGeneration = 0;

  constructor(db: SqlExecutor, feed: ChangeFeed, clock: Clock, audit: AuditLog) {
    this.#db = db;
    this.#feed = feed;
    this.#clock = clock;
    this.#audit = audit;
    // A new project also clears the cached "no such project".
    this.#secrets.followFeed(feed, (event) => (event.type === 'secrets' || event.type === 'project' ? event.project_id : undefined));
    const forgetCallers = () => {
      this.#callers.clear();
      this.#secretsGeneration++;
    };
    feed.on((event) => {
      if (event.type === 'secrets' || event.type === 'project') forgetCallers();
    }, forgetCallers);
  }

  async createProject(input: CreateProjectInput): Promise<ProjectCredentials> {
    checkCredentialShapes(input);
    const credentials: ProjectCredentials = {
      project_id: input.projectId ?? newId('project', input.environment),
      secret: input.secret ?? newSecret(input.environment),
      public_token: input.publicToken ?? newPublicToken(input.environment),
    };
    const now = this.#clock.now();
    await this.#feed.write(async (tx, emit) => {
      await tx.query('INSERT INTO projects (project_id, environment, public_token, created_at) VALUES ($1, $2, $3, $4)', [
        credentials.project_id,
        input.environment,
        credentials.public_token,
        now,
      ]);
      const first = await insertSecret(tx, credentials.project_id, input.environment, credentials.secret, now);
      await this.#recordSecret(tx, credentials.project_id, systemActor('project.created'), null, first);
      await insertInitialPolicy(tx, credentials.project_id, 'consumer', now);
      await insertInitialPolicy(tx, credentials.project_id, 'b2b', now);
      emit({ type: 'project', project_id: credentials.project_id });
    });
    return credentials;
  }

  async findProject(projectId: string): Promise<Project | null> {
    const { rows } = await this.#db.query<Project>(
      'SELECT project_id, environment, public_token, created_at FROM projects WHERE project_id = $1',
      [projectId],
    );
    return rows[0] ?? null;
  }

  /** The project made on first start: the oldest one. */
  async findFirstProject(): Promise<Project | null> {
    const { rows } = await this.#db.query<Project>(
      'SELECT project_id, environment, public_token, created_at FROM projects ORDER BY created_at, project_id LIMIT 1',
    );
    return rows[0] ?? null;
  }

  /**
   * Checks a backend caller's project_id and secret. Every path does one digest comparison per
   * active secret, so timing does not tell an unknown project from a wrong secret.
   */
  async authenticateSecret(projectId: string, secret: string): Promise<boolean> {
    return (await this.#matchSecret(projectId, secret)) !== null;
  }

  /** The id of the active secret that matches, or null; constant-time as authenticateSecret says. */
  async #matchSecret(projectId: string, secret: string): Promise<string | null> {
    const digest = sha256(secret);
    const secrets = await this.#activeSecrets(projectId);
    let matched: string | null = null;
    for (const candidate of secrets ?? [{ secret_id: '', digest: UNKNOWN_PROJECT_DIGEST }]) {
      if (digestsEqual(candidate.digest, digest)) matched = candidate.secret_id;
    }
    return secrets === null ? null : matched;
  }

  /**
   * The project whose credentials an `Authorization: Basic base64(project_id:secret)` header value
   * carries, or null. A value that authenticated before is recognised by exact match (knownCaller)
   * until a secret changes; anything else takes authenticateSecret's constant-time path.
   */
  async authenticateHeader(header: string | undefined): Promise<Caller | null> {
    const known = this.knownCaller(header);
    if (known !== undefined) return known;
    const credentials = parseBasicAuth(header);
    if (!credentials) return null;
    const generation = this.#secretsGeneration;
    const secretId = await this.#matchSecret(credentials.user, credentials.password);
    if (secretId === null) return null;
    const caller: Caller = { projectId: credentials.user, actor: { type: 'project_secret', id: secretId } };
    if (generation === this.#secretsGeneration) {
      // Only values that authenticated are kept; bounded all the same.
      this.#callers.set(header!, caller);
    }
    return caller;
  }

  /** The caller of a header value that authenticated before and still would, without waiting. */
  knownCaller(header: string | undefined): Caller | undefined {
    return header === undefined ? undefined : this.#callers.get(header);
  }

  async createSecret(projectId: string, actor: Actor): Promise<SecretSummary & { secret: string }> {
    const project = await this.#requireProject(projectId);
    const secret = newSecret(project.environment);
    const summary = await this.#feed.write(async (tx, emit) => {
      const created = await insertSecret(tx, projectId, project.environment, secret, this.#clock.now());
      await this.#recordSecret(tx, projectId, actor, null, created);
      emit({ type: 'secrets', project_id: projectId });
      return created;
    });
    return { ...summary, secret };
  }

  async listSecrets(projectId: string): Promise<SecretSummary[]> {
    const { rows } = await this.#db.query<SecretSummary>(
      `SELECT secret_id, last_four, created_at FROM project_secrets
        WHERE project_id = $1 AND revoked_at IS NULL ORDER BY created_at, secret_id`,
      [projectId],
    );
    return rows;
  }

  async revokeSecret(projectId: string, secretId: string, actor: Actor): Promise<void> {
    await this.#feed.write(async (tx, emit) => {
      // Lock the project's secrets so two revocations cannot both pass the "last one" check.
      const { rows } = await tx.query<SecretSummary>(
        'SELECT secret_id, last_four, created_at FROM project_secrets WHERE project_id = $1 AND revoked_at IS NULL FOR UPDATE',
        [projectId],
      );
      const revoked = rows.find((row) => row.secret_id === secretId);
      if (!revoked) throw new GatehouseError('secret_not_found');
      if (rows.length === 1) throw new GatehouseError('cannot_revoke_last_secret');
      await tx.query('UPDATE project_secrets SET revoked_at = $1 WHERE secret_id = $2', [this.#clock.now(), secretId]);
      await this.#recordSecret(tx, projectId, actor, revoked, null);
      emit({ type: 'secrets', project_id: projectId });
    });
  }

  /** The audit entry of a secret created or revoked: its id and last four characters only, never the value or hash. */
  #recordSecret(tx: SqlExecutor, projectId: string, actor: Actor, before: SecretSummary | null, after: SecretSummary | null) {
    const view = (s: SecretSummary | null) => s && { secret_id: s.secret_id, last_four: s.last_four };
    return this.#audit.record(tx, {
      project_id: projectId, actor, action: after ? 'secret.created' : 'secret.revoked', target_type: 'secret',
      target_id: (after ?? before)!.secret_id, before: view(before), after: view(after),
    });
  }

  async #requireProject(projectId: string): Promise<Project> {
    const project = await this.findProject(projectId);
    if (!project) throw new GatehouseError('unauthorized_credentials');
    return project;
  }

  #activeSecrets(projectId: string) {
    // A change announced while the read is under way drops the entry: the answer is then used for
    // this check only, not kept (see BoundedCache.load).
    return this.#secrets.load(projectId, async () => {
      const { rows } = await this.#db.query<{ secret_id: string; secret_hash: Buffer | Uint8Array; exists: boolean }>(
        `SELECT s.secret_id, s.secret_hash FROM projects p
           JOIN project_secrets s ON s.project_id = p.project_id AND s.revoked_at IS NULL
          WHERE p.project_id = $1`,
        [projectId],
      );
      return rows.length === 0 ? null : rows.map((row) => ({ secret_id: row.secret_id, digest: Buffer.from(row.secret_hash) }));
    });
  }
}

export function parseBasicAuth(header: string | undefined): { user: string; password: string } | null {
  if (!header || !header.startsWith('Basic ')) return null;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return null;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

const UNKNOWN_PROJECT_DIGEST = sha256('no project has this secret');

async function insertSecret(tx: SqlExecutor, projectId: string, environment: Environment, secret: string, now: Date): Promise<SecretSummary> {
  const summary: SecretSummary = { secret_id: newId('secret-id', environment), last_four: secret.slice(-4), created_at: now };
  await tx.query(
    'INSERT INTO project_secrets (secret_id, project_id, secret_hash, last_four, created_at) VALUES ($1, $2, $3, $4, $5)',
    [summary.secret_id, projectId, sha256(secret), summary.last_four, now],
  );
  return summary;
}
