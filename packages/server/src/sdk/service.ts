// The browser SDK API's view of projects: which project a public token names, and which web origins
// each project lets call /sdk/v1 (CORS), with the SDK vertical each origin runs. Both are read on
// every browser request, so they are kept in memory and dropped on the change feed (a `project`
// event) when any process changes them.
import { ALL, BoundedCache } from '../shared/bounded-cache.ts';
import type { Clock } from '../shared/clock.ts';
import { GatehouseError } from '../shared/errors.ts';
import type { ChangeFeed } from '../store/change-feed.ts';
import type { SqlExecutor } from '../store/database.ts';
import type { Project } from '../projects/service.ts';

export type SdkVertical = 'CONSUMER' | 'B2B';

export interface AllowedOrigin {
  origin: string;
  vertical: SdkVertical;
  created_at: Date;
}

const MAX_CACHED = 10_000;

/**
 * An origin as browsers serialize it in the Origin header (scheme://host[:port], lower-case host,
 * no default port), or a 400. Only http and https; no path, query, fragment or credentials.
 */
export function normalizeOrigin(input: string): string {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new GatehouseError('allowed_origin_not_a_url', { params: { input } });
  }
  const bare = input.replace(/\/$/, '');
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password || url.search || url.hash || url.pathname !== '/' || bare.length < url.origin.length) {
    throw new GatehouseError('allowed_origin_not_an_origin', { params: { input } });
  }
  return url.origin;
}

export class SdkService {
  readonly #db: SqlExecutor;
  readonly #feed: ChangeFeed;
  readonly #clock: Clock;
  /** public token → its project (null: no such token; kept too, so guessing tokens costs no reads — the cache is bounded). */
  readonly #byToken = new BoundedCache<string, Project | null>({ max: MAX_CACHED });
  /** project_id → origin → vertical. */
  readonly #origins = new BoundedCache<string, Map<string, SdkVertical>>({ max: MAX_CACHED });
  /** origin → whether any project allows it (preflights carry no credentials). */
  readonly #anywhere = new BoundedCache<string, boolean>({ max: MAX_CACHED });

  constructor(db: SqlExecutor, feed: ChangeFeed, clock: Clock) {
    this.#db = db;
    this.#feed = feed;
    this.#clock = clock;
    // A `project` event (a token or an origin changed) drops that project's origins and every
    // token and preflight answer; a gap in the feed drops everything.
    this.#origins.followFeed(feed, (event) => (event.type === 'project' ? event.project_id : undefined));
    this.#anywhere.followFeed(feed, (event) => (event.type === 'project' ? ALL : undefined));
    this.#byToken.followFeed(feed, (event) => (event.type === 'project' ? ALL : undefined));
  }

  /** The project whose public token this is, or null. */
  async projectByPublicToken(token: string): Promise<Project | null> {
    return this.#byToken.load(token, async () => {
      const { rows } = await this.#db.query<Project>(
        'SELECT project_id, environment, public_token, created_at FROM projects WHERE public_token = $1',
        [token],
      );
      return rows[0] ?? null;
    });
  }

  /** The vertical the project runs at this origin, or null when the origin is not allowed. */
  async originVertical(projectId: string, origin: string): Promise<SdkVertical | null> {
    const origins = await this.#origins.load(projectId, async () => {
      const { rows } = await this.#db.query<{ origin: string; vertical: SdkVertical }>(
        'SELECT origin, vertical FROM sdk_allowed_origins WHERE project_id = $1',
        [projectId],
      );
      return new Map(rows.map((row) => [row.origin, row.vertical]));
    });
    return origins.get(origin) ?? null;
  }

  /** Whether some project allows the origin: what a preflight, which names no project, can know. */
  async allowedAnywhere(origin: string): Promise<boolean> {
    return this.#anywhere.load(origin, async () => {
      const { rowCount } = await this.#db.query('SELECT 1 FROM sdk_allowed_origins WHERE origin = $1 LIMIT 1', [origin]);
      return rowCount > 0;
    });
  }

  async listOrigins(projectId: string): Promise<AllowedOrigin[]> {
    const { rows } = await this.#db.query<AllowedOrigin>(
      'SELECT origin, vertical, created_at FROM sdk_allowed_origins WHERE project_id = $1 ORDER BY created_at, origin',
      [projectId],
    );
    return rows;
  }

  /** Adds an origin, or changes the vertical of one already allowed. */
  async addOrigin(projectId: string, input: { origin: string; vertical?: SdkVertical }): Promise<AllowedOrigin> {
    const origin = normalizeOrigin(input.origin);
    const vertical = input.vertical ?? 'CONSUMER';
    return this.#feed.write(async (tx, emit) => {
      const { rows } = await tx.query<AllowedOrigin>(
        `INSERT INTO sdk_allowed_origins (project_id, origin, vertical, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (project_id, origin) DO UPDATE SET vertical = EXCLUDED.vertical
         RETURNING origin, vertical, created_at`,
        [projectId, origin, vertical, this.#clock.now()],
      );
      emit({ type: 'project', project_id: projectId });
      return rows[0]!;
    });
  }

  async removeOrigin(projectId: string, input: string): Promise<string> {
    const origin = normalizeOrigin(input);
    await this.#feed.write(async (tx, emit) => {
      const { rowCount } = await tx.query('DELETE FROM sdk_allowed_origins WHERE project_id = $1 AND origin = $2', [projectId, origin]);
      if (rowCount === 0) throw new GatehouseError('allowed_origin_not_found', { params: { origin } });
      emit({ type: 'project', project_id: projectId });
    });
    return origin;
  }
}
