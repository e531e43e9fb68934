// The OAuth providers a project signs people in with, and the presets that make each one work with
// nothing but a client id and secret. A project configures a provider through the API
// (PUT /v1/project/oauth_providers/{provider}); the secret is sealed at rest
// (encryption/stored-secrets.ts) and never answered back. Endpoint overrides replace the preset's
// (a provider on loopback stands in for Google or Microsoft in development and tests).
import { randomUUID } from 'node:crypto';
import type { AuditLog } from '../audit/log.ts';
import type { EncryptionKeyring } from '../encryption/keyring.ts';
import { SEALED } from '../encryption/stored-secrets.ts';
import type { Clock } from '../shared/clock.ts';
import { GatehouseError } from '../shared/errors.ts';
import type { OutboundFetch } from '../shared/outbound-fetch.ts';
import type { Actor } from '../projects/service.ts';
import type { ChangeFeed } from '../store/change-feed.ts';
import type { SqlExecutor } from '../store/database.ts';

export const OAUTH_PROVIDERS = ['google', 'microsoft', 'github'] as const;
export type OAuthProviderName = (typeof OAUTH_PROVIDERS)[number];

export interface OAuthEndpoints {
  authorization_url: string;
  token_url: string;
  /** OpenID providers: the userinfo endpoint; GitHub: the API's /user. */
  userinfo_url: string;
  /** OpenID providers only ('' for GitHub). */
  jwks_url: string;
  /** OpenID providers only. Microsoft's holds `{tenantid}`, filled from the ID token's `tid`. */
  issuer: string;
}

export interface OAuthPreset extends OAuthEndpoints {
  /** 'oidc': an ID token (signature, issuer, audience, nonce checked); 'github': plain OAuth 2 and GitHub's API. */
  protocol: 'oidc' | 'github';
  scopes: string[];
}

/**
 * How each provider says an address is verified (oauth/protocol.ts reads it):
 * - Google: the ID token's `email_verified`.
 * - Microsoft: the `email` claim is whatever the tenant's administrator or the user typed; only the
 *   optional `xms_edov` claim ("email domain owner verified") vouches for it. Without it the address
 *   counts as unverified.
 * - GitHub: /user/emails, the address that is `primary` and `verified`.
 */
export const OAUTH_PRESETS: Record<OAuthProviderName, OAuthPreset> = {
  google: {
    protocol: 'oidc',
    authorization_url: 'https://accounts.google.com/o/oauth2/v2/auth',
    token_url: 'https://oauth2.googleapis.com/token',
    userinfo_url: 'https://openidconnect.googleapis.com/v1/userinfo',
    jwks_url: 'https://www.googleapis.com/oauth2/v3/certs',
    issuer: 'https://accounts.google.com',
    scopes: ['openid', 'email', 'profile'],
  },
  microsoft: {
    protocol: 'oidc',
    authorization_url: 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize',
    token_url: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
    userinfo_url: 'https://graph.microsoft.com/oidc/userinfo',
    jwks_url: 'https://login.microsoftonline.com/common/discovery/v2.0/keys',
    issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0',
    scopes: ['openid', 'email', 'profile'],
  },
  github: {
    protocol: 'github',
    authorization_url: 'https://github.com/login/oauth/authorize',
    token_url: 'https://github.com/login/oauth/access_token',
    userinfo_url: 'https://api.github.com/user',
    jwks_url: '',
    issuer: '',
    scopes: ['read:user', 'user:email'],
  },
};

export function checkProviderName(name: string): OAuthProviderName {
  if (!(OAUTH_PROVIDERS as readonly string[]).includes(name)) throw new GatehouseError('oauth_provider_unknown', { params: { provider: name.slice(0, 40) } });
  return name as OAuthProviderName;
}

const ENDPOINT_FIELDS = ['authorization_url', 'token_url', 'userinfo_url', 'jwks_url', 'issuer'] as const;
type EndpointOverrides = Partial<Record<(typeof ENDPOINT_FIELDS)[number], string | null>>;

export interface OAuthProviderInput extends EndpointOverrides {
  client_id: string;
  /** Required when the provider is first configured; omitted on a later PUT keeps the stored one. */
  client_secret?: string;
  /** Space separated, added to the preset's scopes. */
  custom_scopes?: string;
}

/** A configured provider as the API shows it (no secret). */
export interface OAuthProviderRecord {
  provider_id: string;
  provider: OAuthProviderName;
  client_id: string;
  overrides: EndpointOverrides;
  custom_scopes: string;
  created_at: Date;
  updated_at: Date;
}

/** What a sign-in needs: the record, its open secret, the effective endpoints and scopes. */
export interface OAuthClient {
  record: OAuthProviderRecord;
  client_secret: string;
  preset: OAuthPreset;
  endpoints: OAuthEndpoints;
  scopes: string[];
}

interface Row {
  provider_id: string;
  provider: OAuthProviderName;
  client_id: string;
  client_secret_encrypted: string;
  authorization_url: string | null;
  token_url: string | null;
  userinfo_url: string | null;
  jwks_url: string | null;
  issuer: string | null;
  custom_scopes: string;
  created_at: Date;
  updated_at: Date;
}

const toRecord = (row: Row): OAuthProviderRecord => ({
  provider_id: row.provider_id,
  provider: row.provider,
  client_id: row.client_id,
  overrides: Object.fromEntries(ENDPOINT_FIELDS.map((field) => [field, row[field]])),
  custom_scopes: row.custom_scopes,
  created_at: row.created_at,
  updated_at: row.updated_at,
});

export class OAuthProviders {
  readonly #db: SqlExecutor;
  readonly #feed: ChangeFeed;
  readonly #clock: Clock;
  readonly #audit: AuditLog;
  readonly #keyring: EncryptionKeyring;
  readonly #outbound: OutboundFetch;

  constructor(deps: { db: SqlExecutor; feed: ChangeFeed; clock: Clock; audit: AuditLog; keyring: EncryptionKeyring; outbound: OutboundFetch }) {
    this.#db = deps.db;
    this.#feed = deps.feed;
    this.#clock = deps.clock;
    this.#audit = deps.audit;
    this.#keyring = deps.keyring;
    this.#outbound = deps.outbound;
  }

  async list(projectId: string): Promise<OAuthProviderRecord[]> {
    const { rows } = await this.#db.query<Row>('SELECT * FROM oauth_providers WHERE project_id = $1 ORDER BY provider', [projectId]);
    return rows.map(toRecord);
  }

  /** The provider ready for a sign-in, or oauth_config_not_found. */
  async client(projectId: string, provider: OAuthProviderName): Promise<OAuthClient> {
    const { rows } = await this.#db.query<Row>('SELECT * FROM oauth_providers WHERE project_id = $1 AND provider = $2', [projectId, provider]);
    const row = rows[0];
    if (!row) throw new GatehouseError('oauth_config_not_found', { params: { provider } });
    const preset = OAUTH_PRESETS[provider];
    const endpoints = Object.fromEntries(ENDPOINT_FIELDS.map((field) => [field, row[field] ?? preset[field]])) as unknown as OAuthEndpoints;
    const scopes = [...preset.scopes];
    for (const scope of row.custom_scopes.split(/\s+/)) if (scope !== '' && !scopes.includes(scope)) scopes.push(scope);
    return {
      record: toRecord(row),
      client_secret: this.#keyring.open(row.client_secret_encrypted, SEALED.oauthClientSecret.field(row.provider_id)),
      preset,
      endpoints,
      scopes,
    };
  }

  /** Creates or replaces the project's client at the provider (audited; the secret never in the log). */
  async put(projectId: string, provider: OAuthProviderName, input: OAuthProviderInput, actor: Actor): Promise<OAuthProviderRecord> {
    for (const field of ENDPOINT_FIELDS) {
      const value = input[field];
      if (value !== undefined && value !== null && value !== '' && !this.#outbound.isAllowedUrl(value)) throw new GatehouseError('oauth_url_insecure');
    }
    const now = this.#clock.now();
    return this.#feed.write(async (tx) => {
      const { rows } = await tx.query<Row>('SELECT * FROM oauth_providers WHERE project_id = $1 AND provider = $2 FOR UPDATE', [projectId, provider]);
      const before = rows[0];
      const providerId = before?.provider_id ?? `oauth-provider-${randomUUID()}`;
      let sealed = before?.client_secret_encrypted;
      if (input.client_secret !== undefined && input.client_secret !== '') {
        sealed = this.#keyring.seal(input.client_secret, SEALED.oauthClientSecret.field(providerId));
      }
      if (sealed === undefined) throw new GatehouseError('oauth_client_secret_required');
      const endpoint = (field: (typeof ENDPOINT_FIELDS)[number]) => (input[field] === undefined ? (before?.[field] ?? null) : input[field] || null);
      const { rows: written } = await tx.query<Row>(
        `INSERT INTO oauth_providers (provider_id, project_id, provider, client_id, client_secret_encrypted, authorization_url, token_url,
                                      userinfo_url, jwks_url, issuer, custom_scopes, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
         ON CONFLICT (project_id, provider) DO UPDATE SET client_id = EXCLUDED.client_id, client_secret_encrypted = EXCLUDED.client_secret_encrypted,
           authorization_url = EXCLUDED.authorization_url, token_url = EXCLUDED.token_url, userinfo_url = EXCLUDED.userinfo_url,
           jwks_url = EXCLUDED.jwks_url, issuer = EXCLUDED.issuer, custom_scopes = EXCLUDED.custom_scopes, updated_at = EXCLUDED.updated_at
         RETURNING *`,
        [providerId, projectId, provider, input.client_id, sealed, endpoint('authorization_url'), endpoint('token_url'), endpoint('userinfo_url'),
          endpoint('jwks_url'), endpoint('issuer'), input.custom_scopes ?? before?.custom_scopes ?? '', now],
      );
      const after = toRecord(written[0]!);
      const view = (record: OAuthProviderRecord) => ({ client_id: record.client_id, ...record.overrides, custom_scopes: record.custom_scopes });
      await this.#audit.record(tx, {
        project_id: projectId, actor, action: 'oauth_provider.updated', target_type: 'oauth_provider', target_id: provider,
        before: before ? view(toRecord(before)) : null,
        after: { ...view(after), secret_changed: input.client_secret !== undefined && input.client_secret !== '' },
      });
      return after;
    });
  }

  async remove(projectId: string, provider: OAuthProviderName, actor: Actor): Promise<void> {
    await this.#feed.write(async (tx) => {
      const { rows } = await tx.query<Row>('DELETE FROM oauth_providers WHERE project_id = $1 AND provider = $2 RETURNING *', [projectId, provider]);
      if (!rows[0]) throw new GatehouseError('oauth_config_not_found', { params: { provider } });
      await this.#audit.record(tx, {
        project_id: projectId, actor, action: 'oauth_provider.deleted', target_type: 'oauth_provider', target_id: provider,
        before: { client_id: rows[0].client_id }, after: null,
      });
    });
  }
}
