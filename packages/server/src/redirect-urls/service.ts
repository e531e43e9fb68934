// Registered redirect URLs, as Stytch's Redirect URLs: a project lists the URLs its links and
// sign-ins may deliver a token to, each valid for some types (LOGIN, SIGNUP, INVITE,
// RESET_PASSWORD, DISCOVERY), with at most one default per type. A URL a caller passes must equal a
// registered URL of the flow's type once both are parsed and serialized by WHATWG URL (so only
// scheme and host case and a default port are forgiven); an omitted URL takes the type's default.
// Parsing is strict on both sides: no credentials, fragments, backslashes, whitespace, wildcards
// or schemes that run code; a custom scheme (a mobile app's deep link) only when registered.
import type { AuditLog } from '../audit/log.ts';
import type { Clock } from '../shared/clock.ts';
import type { Environment } from '../shared/config.ts';
import { GatehouseError, type CatalogueErrorType } from '../shared/errors.ts';
import type { Actor } from '../projects/service.ts';
import type { ChangeFeed } from '../store/change-feed.ts';
import type { SqlExecutor } from '../store/database.ts';

export const REDIRECT_URL_TYPES = ['LOGIN', 'SIGNUP', 'INVITE', 'RESET_PASSWORD', 'DISCOVERY'] as const;
export type RedirectUrlType = (typeof REDIRECT_URL_TYPES)[number];

export const MAX_REDIRECT_URLS = 100;
const MAX_URL_LENGTH = 2048;

export interface RedirectUrlTypeEntry {
  type: RedirectUrlType;
  is_default: boolean;
}

export interface RedirectUrl {
  url: string;
  valid_types: RedirectUrlTypeEntry[];
  created_at: Date;
}

/** How a flow names a URL field in its errors: its name, its malformed-URL error, its not-registered error. */
export interface RedirectUrlField {
  name: string;
  invalid: `invalid_${string}_url` & CatalogueErrorType;
  noMatch: 'no_match_for_provided_magic_link_url' | 'no_match_for_provided_sso_url';
}

const NO_DEFAULT = {
  LOGIN: 'no_default_login_redirect_url_set',
  SIGNUP: 'no_default_signup_redirect_url_set',
  INVITE: 'no_default_invite_redirect_url_set',
  DISCOVERY: 'no_default_discovery_redirect_url_set',
  RESET_PASSWORD: 'no_password_reset_redirect_url',
} as const satisfies Record<RedirectUrlType, CatalogueErrorType>;

// Schemes that run code in the browser, read local files, or hand the URL to another app of the
// attacker's choosing (Android intents): never a place for a token, registered or not.
const FORBIDDEN_SCHEMES = new Set(['javascript:', 'data:', 'vbscript:', 'file:', 'blob:', 'about:', 'filesystem:', 'intent:', 'view-source:', 'jar:']);
const WEB_SCHEMES = new Set(['http:', 'https:']);
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

type Parsed = { url: URL } | { problem: 'scheme' | 'malformed'; reason: string };

/**
 * Parses a redirect URL the strict way. WHATWG URL repairs much (`\` becomes `/`, tabs vanish,
 * `user@` is split off), and a browser repairs the same way, so anything it would have to repair
 * is refused rather than compared in its repaired form.
 */
export function parseRedirectUrl(raw: string): Parsed {
  if (raw.length > MAX_URL_LENGTH) return { problem: 'malformed', reason: `is longer than ${MAX_URL_LENGTH} characters` };
  // Whitespace, control characters and backslashes anywhere; non-ASCII is fine (WHATWG encodes it).
  if (/[\u0000-\u0020\u007f\\]/.test(raw)) return { problem: 'malformed', reason: 'contains whitespace, a control character or a backslash' };
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(raw);
  if (!scheme) return { problem: 'malformed', reason: 'is not an absolute URL' };
  if (FORBIDDEN_SCHEMES.has(`${scheme[1]!.toLowerCase()}:`)) return { problem: 'scheme', reason: `uses the ${scheme[1]!.toLowerCase()}: scheme` };
  if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]/.test(raw)) return { problem: 'malformed', reason: 'is not of the form scheme://host/…' };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { problem: 'malformed', reason: 'is not a URL' };
  }
  const authority = raw.slice(scheme[0].length + 2).split(/[/?#]/, 1)[0]!;
  if (authority.includes('@') || url.username || url.password) return { problem: 'malformed', reason: 'carries credentials (user@)' };
  if (raw.includes('#')) return { problem: 'malformed', reason: 'has a fragment (#…)' };
  if (authority.includes('*')) return { problem: 'malformed', reason: 'has a wildcard; register each URL exactly' };
  if (WEB_SCHEMES.has(url.protocol) && !url.hostname) return { problem: 'malformed', reason: 'has no host' };
  return { url };
}

/** The stored form of a URL being registered, or a 400 saying what is wrong with it. */
export function normalizeRegisteredUrl(raw: string, environment: Environment): string {
  const parsed = parseRedirectUrl(raw);
  if ('problem' in parsed) {
    throw new GatehouseError(parsed.problem === 'scheme' ? 'redirect_url_cannot_use_protocol' : 'invalid_url', { params: { reason: parsed.reason } });
  }
  const { url } = parsed;
  if (environment === 'live' && url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname)) {
    throw new GatehouseError('redirect_url_must_use_https');
  }
  return url.href;
}

function checkTypes(input: { type: string; is_default?: boolean }[] | undefined): { type: RedirectUrlType; is_default: boolean }[] {
  // Stytch's Create without valid_types: the URL is valid for every type.
  const given: { type: string; is_default?: boolean }[] = input ?? REDIRECT_URL_TYPES.map((type) => ({ type }));
  const seen = new Set<string>();
  for (const entry of given) {
    if (!(REDIRECT_URL_TYPES as readonly string[]).includes(entry.type) || seen.has(entry.type)) {
      throw new GatehouseError('unknown_redirect_url_type', { params: { type: String(entry.type).slice(0, 40), types: REDIRECT_URL_TYPES.join(', ') } });
    }
    seen.add(entry.type);
  }
  if (given.length === 0) throw new GatehouseError('no_redirect_url_type');
  return given.map((entry) => ({ type: entry.type as RedirectUrlType, is_default: entry.is_default === true }));
}

export interface RedirectUrlInput {
  url: string;
  valid_types?: { type: string; is_default?: boolean }[];
  /** Stytch's flag: a type left without a default does not get this URL as its default. */
  do_not_promote_defaults?: boolean;
}

interface TypeRow {
  url: string;
  type: RedirectUrlType;
  is_default: boolean;
  created_at: Date;
}

export class RedirectUrlService {
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

  async list(projectId: string, db: SqlExecutor = this.#db): Promise<RedirectUrl[]> {
    const { rows: urls } = await db.query<{ url: string; created_at: Date }>(
      'SELECT url, created_at FROM redirect_urls WHERE project_id = $1 ORDER BY created_at, url', [projectId],
    );
    const { rows: types } = await db.query<{ url: string; type: RedirectUrlType; is_default: boolean }>(
      'SELECT url, type, is_default FROM redirect_url_types WHERE project_id = $1', [projectId],
    );
    const order = (type: RedirectUrlType) => REDIRECT_URL_TYPES.indexOf(type);
    return urls.map((row) => ({
      url: row.url,
      valid_types: types.filter((t) => t.url === row.url).sort((a, b) => order(a.type) - order(b.type)).map(({ type, is_default }) => ({ type, is_default })),
      created_at: row.created_at,
    }));
  }

  async create(projectId: string, environment: Environment, input: RedirectUrlInput, actor: Actor): Promise<RedirectUrl> {
    const url = normalizeRegisteredUrl(input.url, environment);
    const types = checkTypes(input.valid_types);
    return this.#write(projectId, actor, url, 'redirect_url.created', async (tx) => {
      const { rows } = await tx.query<{ count: string }>('SELECT count(*)::text AS count FROM redirect_urls WHERE project_id = $1', [projectId]);
      if (Number(rows[0]!.count) >= MAX_REDIRECT_URLS) throw new GatehouseError('too_many_redirect_urls');
      const inserted = await tx.query(
        'INSERT INTO redirect_urls (project_id, url, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [projectId, url, this.#clock.now()],
      );
      if (inserted.rowCount === 0) throw new GatehouseError('duplicate_redirect_url');
      await this.#setTypes(tx, projectId, url, types, input.do_not_promote_defaults === true);
    });
  }

  /** Replaces the types of a registered URL (Stytch's Update). */
  async update(projectId: string, rawUrl: string, input: Omit<RedirectUrlInput, 'url'>, actor: Actor): Promise<RedirectUrl> {
    const url = this.#registeredForm(rawUrl);
    const types = checkTypes(input.valid_types);
    return this.#write(projectId, actor, url, 'redirect_url.updated', async (tx) => {
      await this.#requireRegistered(tx, projectId, url);
      await tx.query('DELETE FROM redirect_url_types WHERE project_id = $1 AND url = $2', [projectId, url]);
      await this.#promoteOldest(tx, projectId, input.do_not_promote_defaults === true);
      await this.#setTypes(tx, projectId, url, types, input.do_not_promote_defaults === true);
    });
  }

  /** Removes a URL; a type whose default it was gets the oldest URL left for it (unless told not to). */
  async remove(projectId: string, rawUrl: string, options: { do_not_promote_defaults?: boolean }, actor: Actor): Promise<string> {
    const url = this.#registeredForm(rawUrl);
    await this.#write(projectId, actor, url, 'redirect_url.deleted', async (tx) => {
      await this.#requireRegistered(tx, projectId, url);
      await tx.query('DELETE FROM redirect_urls WHERE project_id = $1 AND url = $2', [projectId, url]);
      await this.#promoteOldest(tx, projectId, options.do_not_promote_defaults === true);
    });
    return url;
  }

  /**
   * The URL a flow of this type sends its token to: the given one when it is registered for the
   * type, the type's default when none is given; otherwise a 400 (before the flow writes anything).
   * Callers check a given URL of a flow they may not take with `if (given)` then resolve.
   */
  async resolve(projectId: string, type: RedirectUrlType, given: string | undefined, field: RedirectUrlField): Promise<string> {
    // An empty string is an omitted field, as in Stytch's API.
    if (given === undefined || given === '') {
      const { rows } = await this.#db.query<{ url: string }>(
        'SELECT url FROM redirect_url_types WHERE project_id = $1 AND type = $2 AND is_default', [projectId, type],
      );
      if (!rows[0]) throw new GatehouseError(NO_DEFAULT[type]);
      return rows[0].url;
    }
    const parsed = parseRedirectUrl(given);
    // The reason, never the URL itself: it may carry credentials.
    if ('problem' in parsed) throw new GatehouseError(field.invalid, { params: { reason: parsed.reason } });
    const { rowCount } = await this.#db.query(
      'SELECT 1 FROM redirect_url_types WHERE project_id = $1 AND url = $2 AND type = $3', [projectId, parsed.url.href, type],
    );
    if (rowCount === 0) {
      throw new GatehouseError(field.noMatch, { params: { field: field.name, type } });
    }
    return parsed.url.href;
  }

  /** The URL as it would be stored, to find it again (an unparsable one cannot be registered). */
  #registeredForm(raw: string): string {
    const parsed = parseRedirectUrl(raw);
    if ('problem' in parsed) throw new GatehouseError('redirect_url_not_found');
    return parsed.url.href;
  }

  async #requireRegistered(tx: SqlExecutor, projectId: string, url: string): Promise<void> {
    // FOR UPDATE: two changes to one URL take turns.
    const { rowCount } = await tx.query('SELECT 1 FROM redirect_urls WHERE project_id = $1 AND url = $2 FOR UPDATE', [projectId, url]);
    if (rowCount === 0) throw new GatehouseError('redirect_url_not_found');
  }

  /** A change, its audit entry and the URL as it is afterwards, in one transaction. */
  async #write(projectId: string, actor: Actor, url: string, action: 'redirect_url.created' | 'redirect_url.updated' | 'redirect_url.deleted', change: (tx: SqlExecutor) => Promise<void>): Promise<RedirectUrl> {
    return this.#feed.write(async (tx) => {
      // One writer per project at a time: the default-per-type and count rules read then write.
      await tx.query('SELECT 1 FROM projects WHERE project_id = $1 FOR UPDATE', [projectId]);
      const before = (await this.list(projectId, tx)).find((entry) => entry.url === url) ?? null;
      await change(tx);
      const after = (await this.list(projectId, tx)).find((entry) => entry.url === url) ?? null;
      const view = (entry: RedirectUrl | null) => entry && { url: entry.url, valid_types: entry.valid_types };
      await this.#audit.record(tx, { project_id: projectId, actor, action, target_type: 'redirect_url', target_id: url, before: view(before), after: view(after) });
      return after ?? before!;
    });
  }

  /** Writes a URL's types: an explicit default takes over its type; a type with no default gets this URL unless told not to. */
  async #setTypes(tx: SqlExecutor, projectId: string, url: string, types: { type: RedirectUrlType; is_default: boolean }[], doNotPromote: boolean): Promise<void> {
    for (const { type, is_default } of types) {
      if (is_default) await tx.query('UPDATE redirect_url_types SET is_default = false WHERE project_id = $1 AND type = $2 AND is_default', [projectId, type]);
      const { rowCount: hasDefault } = is_default ? { rowCount: 0 } : await tx.query('SELECT 1 FROM redirect_url_types WHERE project_id = $1 AND type = $2 AND is_default', [projectId, type]);
      await tx.query('INSERT INTO redirect_url_types (project_id, url, type, is_default) VALUES ($1, $2, $3, $4)',
        [projectId, url, type, is_default || (!doNotPromote && hasDefault === 0)]);
    }
  }

  /** Each type left without a default gets the oldest URL registered for it. */
  async #promoteOldest(tx: SqlExecutor, projectId: string, doNotPromote: boolean): Promise<void> {
    if (doNotPromote) return;
    const { rows } = await tx.query<TypeRow>(
      `SELECT t.url, t.type, t.is_default, u.created_at FROM redirect_url_types t JOIN redirect_urls u USING (project_id, url)
        WHERE t.project_id = $1 ORDER BY u.created_at, t.url`, [projectId],
    );
    for (const type of REDIRECT_URL_TYPES) {
      const ofType = rows.filter((row) => row.type === type);
      if (ofType.length > 0 && !ofType.some((row) => row.is_default)) {
        await tx.query('UPDATE redirect_url_types SET is_default = true WHERE project_id = $1 AND url = $2 AND type = $3', [projectId, ofType[0]!.url, type]);
      }
    }
  }
}

const field = (name: string, invalid: RedirectUrlField['invalid'], noMatch: RedirectUrlField['noMatch']): RedirectUrlField => ({ name, invalid, noMatch });

/** The URL fields callers pass, with Stytch's error types for each. */
export const REDIRECT_URL_FIELDS = {
  login_magic_link_url: field('login_magic_link_url', 'invalid_login_magic_link_url', 'no_match_for_provided_magic_link_url'),
  signup_magic_link_url: field('signup_magic_link_url', 'invalid_signup_magic_link_url', 'no_match_for_provided_magic_link_url'),
  invite_magic_link_url: field('invite_magic_link_url', 'invalid_invite_magic_link_url', 'no_match_for_provided_magic_link_url'),
  reset_password_redirect_url: field('reset_password_redirect_url', 'invalid_password_reset_redirect_url', 'no_match_for_provided_magic_link_url'),
  login_redirect_url: field('login_redirect_url', 'invalid_login_redirect_url', 'no_match_for_provided_magic_link_url'),
  signup_redirect_url: field('signup_redirect_url', 'invalid_signup_redirect_url', 'no_match_for_provided_magic_link_url'),
  invite_redirect_url: field('invite_redirect_url', 'invalid_invite_redirect_url', 'no_match_for_provided_magic_link_url'),
  discovery_redirect_url: field('discovery_redirect_url', 'invalid_discovery_redirect_url', 'no_match_for_provided_magic_link_url'),
  sso_login_redirect_url: field('login_redirect_url', 'invalid_login_redirect_url', 'no_match_for_provided_sso_url'),
  sso_signup_redirect_url: field('signup_redirect_url', 'invalid_signup_redirect_url', 'no_match_for_provided_sso_url'),
} as const;
