// Server configuration: every option, its environment variable and its default, in one place.
// Only the CLI reads the environment; everything else receives a validated ServerConfig.
import { join, resolve } from 'node:path';
import type { Environment } from '@gatehouse/contracts';
import ipaddr from 'ipaddr.js';
import { EncryptionKey } from '../encryption/keyring.ts';

export type { Environment };

export interface ServerConfig {
  /** PORT — TCP port to listen on. */
  port: number;
  /** HOST — interface to bind. Loopback by default so a dev server is not reachable from the network. */
  host: string;
  /** GATEHOUSE_DATA_DIR — folder for the embedded database and the credentials file. */
  dataDir: string;
  /** DATABASE_URL — postgres://… to use PostgreSQL; unset means embedded PGlite in `dataDir`. */
  databaseUrl: string | undefined;
  /** GATEHOUSE_DATABASE_SCHEMA — PostgreSQL schema for Gatehouse's tables (created if missing); default `public`. */
  databaseSchema: string | undefined;
  /** GATEHOUSE_MODE=production (or NODE_ENV=production) refuses insecure defaults. */
  production: boolean;
  /** GATEHOUSE_ENVIRONMENT — `test` or `live`; ids carry it (`user-test-…`). */
  environment: Environment;
  /**
   * Password lockout: GATEHOUSE_LOCKOUT_ATTEMPTS wrong passwords for one user within
   * GATEHOUSE_LOCKOUT_WINDOW_MINUTES lock the user's password sign-in for GATEHOUSE_LOCKOUT_MINUTES.
   * 0 attempts turns lockout off.
   */
  lockout: LockoutConfig;
  /**
   * Rate limits on credential endpoints, per project: GATEHOUSE_RATE_LIMIT_IP requests per
   * GATEHOUSE_RATE_LIMIT_IP_WINDOW_SECONDS from one IP, and GATEHOUSE_RATE_LIMIT_IDENTIFIER per
   * GATEHOUSE_RATE_LIMIT_IDENTIFIER_WINDOW_SECONDS for one email address. A limit of 0 turns it off.
   */
  rateLimits: { perIp: RateLimitRule; perIdentifier: RateLimitRule };
  /** GATEHOUSE_PUBLIC_URL — the base URL clients use; defaults to http://HOST:PORT. */
  publicUrl: string;
  /** GATEHOUSE_PROJECT_ID / GATEHOUSE_SECRET / GATEHOUSE_PUBLIC_TOKEN — known credentials for first start. */
  initialCredentials: { projectId?: string; secret?: string; publicToken?: string };
  /** GATEHOUSE_BODY_LIMIT — largest accepted request body in bytes. */
  bodyLimitBytes: number;
  /** GATEHOUSE_LOG_LEVEL — fatal, error, warn, info, debug, trace or silent. */
  logLevel: string;
  /** GATEHOUSE_LOG_FORMAT — `json` (JSON lines, pino's format) or `pretty` (one readable line each); default pretty on a terminal, JSON otherwise. */
  logFormat: 'json' | 'pretty';
  /**
   * GATEHOUSE_TRUST_PROXY — whose X-Forwarded-For to believe for the client's IP (rate limits):
   * unset/`false` none, `true` any, a hop count, or addresses/CIDRs separated by commas.
   */
  trustProxy: boolean | number | string[];
  /** Email delivery and the links in magic-link, invite and password-reset messages. */
  email: EmailConfig;
  /** SMS delivery (one-time passcodes): email/sms.ts. */
  sms: SmsConfig;
  /** Dashboard admins, their sessions and the dashboard's files. */
  admin: AdminConfig;
  /** Requests the server makes to URLs others configure (SAML metadata, OIDC discovery, JWKS…): shared/outbound-fetch.ts. */
  outbound: OutboundConfig;
  /**
   * GATEHOUSE_SSO_START_LIMIT — public SSO starts (GET /v1/public/sso/start) per minute from one IP,
   * and GATEHOUSE_SSO_START_CONNECTION_LIMIT per minute for one connection. 0 turns a limit off.
   */
  ssoStartLimits: { perIp: RateLimitRule; perConnection: RateLimitRule };
  /** Encryption of the secrets stored to be read back: signing keys, OIDC client secrets. */
  encryption: EncryptionConfig;
  /**
   * GATEHOUSE_SDK_PKCE_EMAIL_MAGIC_LINKS — `true`: the browser SDK's bootstrap asks it to use PKCE for
   * email magic links (pkce_required_for_email_magic_links), and /sdk/v1 magic-link sends without a
   * code challenge are refused. Default false (the backend API is not affected either way).
   */
  sdk: { pkceRequiredForEmailMagicLinks: boolean };
}

export interface OutboundConfig {
  /**
   * GATEHOUSE_OUTBOUND_ALLOW_PRIVATE — development only (refused in production mode): `true` lets
   * outbound requests reach loopback, private and link-local addresses, or a comma-separated list of
   * CIDR ranges (e.g. `127.0.0.1/32`) names the ones they may reach; either also allows plain http.
   * Unset: https to public addresses only.
   */
  allowedPrivateRanges: string[];
  /** GATEHOUSE_OUTBOUND_TIMEOUT_MS — the whole of one outbound exchange, redirects included. */
  timeoutMs: number;
  /** GATEHOUSE_OUTBOUND_MAX_BYTES — largest response body read; larger ones are refused. */
  maxBodyBytes: number;
  /** Redirect hops followed (GET only), each checked like the first URL. */
  maxRedirects: number;
}

export interface EncryptionConfig {
  /**
   * GATEHOUSE_ENCRYPTION_KEY — 32 random bytes as base64 or hex (`openssl rand -base64 32`).
   * Required in production mode. Unset in development: a key generated once into
   * DATA_DIR/encryption.key (mode 600) and used from there.
   */
  key: EncryptionKey | undefined;
  /**
   * GATEHOUSE_ENCRYPTION_KEYS_PREVIOUS — earlier keys, separated by commas: they only open values
   * sealed before a rotation, until `gatehouse encryption reencrypt` has sealed everything anew.
   */
  previousKeys: EncryptionKey[];
}

export interface AdminConfig {
  /**
   * GATEHOUSE_ADMIN_EMAIL / GATEHOUSE_ADMIN_PASSWORD — the first admin, made on first start when
   * there is none. Without a password one is generated and printed once (development mode only;
   * production mode makes no admin without GATEHOUSE_ADMIN_PASSWORD).
   */
  initialEmail: string;
  initialPassword: string | undefined;
  /**
   * GATEHOUSE_ADMIN_SESSION_MINUTES — an admin session's absolute lifetime (and the cookie's
   * Max-Age); GATEHOUSE_ADMIN_IDLE_MINUTES — it also ends after this long without a request. The
   * cookie is Secure whenever GATEHOUSE_PUBLIC_URL is https (always, in production mode).
   */
  sessionMinutes: number;
  idleMinutes: number;
  /** GATEHOUSE_DASHBOARD_DIR — the built dashboard served at /dashboard/; default @gatehouse/dashboard's dist. */
  dashboardDir: string | undefined;
}

export interface EmailConfig {
  /**
   * GATEHOUSE_SMTP_URL — smtp://user:pass@host:587 (STARTTLS when offered) or smtps://…:465. Unset:
   * messages go to the outbox table (GET /v1/project/outbox) and the log instead of being sent.
   */
  smtpUrl: string | undefined;
  /** GATEHOUSE_EMAIL_FROM — the From header of every message. */
  from: string;
  /**
   * GATEHOUSE_REDIRECT_URL — registered on first start (when the project is made) as the default
   * redirect URL for LOGIN, SIGNUP, INVITE and DISCOVERY. Development default
   * http://localhost:3000/authenticate; production mode registers nothing unless it is set.
   * Afterwards the registered list (/v1/project/redirect_urls) is what counts.
   */
  redirectUrl: string | undefined;
  /** GATEHOUSE_RESET_PASSWORD_URL — registered on first start as the RESET_PASSWORD default; default the redirect URL. */
  resetPasswordUrl: string | undefined;
}

export interface SmsConfig {
  /**
   * GATEHOUSE_SMS_WEBHOOK_URL — where each SMS is POSTed as signed JSON (README: "SMS delivery"),
   * through shared/outbound-fetch.ts (so https on a public address, unless
   * GATEHOUSE_OUTBOUND_ALLOW_PRIVATE allows more in development). Unset: SMS go to the outbox
   * (GET /v1/project/outbox, channel "sms") and the log instead of being sent.
   */
  webhookUrl: string | undefined;
  /**
   * GATEHOUSE_SMS_WEBHOOK_SECRET — the HMAC-SHA256 key of the Gatehouse-Signature header; at least
   * 32 characters; required with the URL.
   */
  webhookSecret: string | undefined;
}

export interface LockoutConfig {
  attempts: number;
  windowMinutes: number;
  lockMinutes: number;
}

/** At most `max` requests per `windowSeconds`; `max` 0 turns the rule off. */
export interface RateLimitRule {
  max: number;
  windowSeconds: number;
}

export const DEFAULTS = {
  port: 4000,
  host: '127.0.0.1',
  dataDir: '.gatehouse',
  environment: 'test' as Environment,
  bodyLimitBytes: 1024 * 1024,
  logLevel: 'info',
  lockoutAttempts: 10,
  lockoutWindowMinutes: 60,
  lockoutMinutes: 60,
  // Backend calls come from the application's own servers, so the per-IP limit caps the whole
  // application's credential traffic; the per-email limit is the one that protects one account.
  rateLimitIp: 600,
  rateLimitIpWindowSeconds: 60,
  rateLimitIdentifier: 30,
  rateLimitIdentifierWindowSeconds: 60,
  emailFrom: 'Gatehouse <no-reply@localhost>',
  redirectUrl: 'http://localhost:3000/authenticate',
  adminEmail: 'admin@localhost',
  // A working day, but an unattended browser loses its admin session within the hour.
  adminSessionMinutes: 12 * 60,
  adminIdleMinutes: 60,
  outboundTimeoutMs: 10_000,
  outboundMaxBytes: 1024 * 1024,
  outboundMaxRedirects: 3,
  // A browser starts one sign-in at a time; these stop a script filling the flows table.
  ssoStartPerIp: 60,
  ssoStartPerConnection: 600,
} as const;

/** Limits that mirror Stytch's API; not configurable because clients rely on them. */
export const LIMITS = {
  metadataMaxKeys: 20,
  metadataMaxBytes: 4096,
  rolesPerUser: 100,
  searchDefaultLimit: 100,
  searchMaxLimit: 1000,
  externalIdMaxLength: 128,
} as const;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface LoadedConfig {
  config: ServerConfig;
  /** Insecure defaults in use, to be printed loudly at start. */
  warnings: string[];
}

const LOG_LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

function parseFlag(name: string, value: string | undefined): boolean {
  if (value === undefined || value === '' || value === 'false') return false;
  if (value === 'true') return true;
  throw new ConfigError(`${name} must be true or false`);
}

function parseInteger(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value)) throw new ConfigError(`${name} must be a whole number, got "${value}"`);
  const n = Number(value);
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

function loadEmailConfig(env: Record<string, string | undefined>, production: boolean): EmailConfig {
  const smtpUrl = env.GATEHOUSE_SMTP_URL || undefined;
  if (smtpUrl) {
    let url: URL | undefined;
    try {
      url = new URL(smtpUrl);
    } catch {
      // reported below
    }
    if (!url || (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') || !url.hostname) {
      throw new ConfigError('GATEHOUSE_SMTP_URL must look like smtp://user:password@host:587 or smtps://user:password@host:465');
    }
  }
  const from = env.GATEHOUSE_EMAIL_FROM || DEFAULTS.emailFrom;
  if (!/^[^\r\n]*@[^\r\n]*$/.test(from)) throw new ConfigError('GATEHOUSE_EMAIL_FROM must be an address, e.g. "Acme <login@acme.example>"');
  // Production registers no redirect URL it was not told about.
  const given = env.GATEHOUSE_REDIRECT_URL || (production ? undefined : DEFAULTS.redirectUrl);
  const redirectUrl = given && checkLinkUrl('GATEHOUSE_REDIRECT_URL', given);
  const givenReset = env.GATEHOUSE_RESET_PASSWORD_URL || redirectUrl;
  const resetPasswordUrl = givenReset && checkLinkUrl('GATEHOUSE_RESET_PASSWORD_URL', givenReset);
  return { smtpUrl, from, redirectUrl, resetPasswordUrl };
}

/** The shortest SMS webhook secret accepted. */
export const SMS_WEBHOOK_SECRET_MIN_LENGTH = 32;

function loadSmsConfig(env: Record<string, string | undefined>, production: boolean): SmsConfig {
  const webhookUrl = env.GATEHOUSE_SMS_WEBHOOK_URL || undefined;
  const webhookSecret = env.GATEHOUSE_SMS_WEBHOOK_SECRET || undefined;
  if (!webhookUrl) {
    if (webhookSecret) throw new ConfigError('GATEHOUSE_SMS_WEBHOOK_SECRET is set without GATEHOUSE_SMS_WEBHOOK_URL.');
    return { webhookUrl, webhookSecret };
  }
  checkLinkUrl('GATEHOUSE_SMS_WEBHOOK_URL', webhookUrl);
  if (production && !webhookUrl.startsWith('https://')) throw new ConfigError('Production mode needs GATEHOUSE_SMS_WEBHOOK_URL to be an https:// URL.');
  if (!webhookSecret || webhookSecret.length < SMS_WEBHOOK_SECRET_MIN_LENGTH) {
    throw new ConfigError(`GATEHOUSE_SMS_WEBHOOK_SECRET must be set with GATEHOUSE_SMS_WEBHOOK_URL, at least ${SMS_WEBHOOK_SECRET_MIN_LENGTH} characters (\`openssl rand -hex 32\`).`);
  }
  return { webhookUrl, webhookSecret };
}

function checkLinkUrl(name: string, value: string): string {
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return value;
  } catch {
    // reported below
  }
  throw new ConfigError(`${name} must be an http(s) URL, got "${value}"`);
}

function loadAbuseConfig(env: Record<string, string | undefined>): Pick<ServerConfig, 'lockout' | 'rateLimits'> {
  const day = 24 * 60;
  const rule = (name: string, max: number, window: number): RateLimitRule => ({
    max: parseInteger(name, env[name], max, 0, 1_000_000),
    windowSeconds: parseInteger(`${name}_WINDOW_SECONDS`, env[`${name}_WINDOW_SECONDS`], window, 1, day * 60),
  });
  return {
    lockout: {
      attempts: parseInteger('GATEHOUSE_LOCKOUT_ATTEMPTS', env.GATEHOUSE_LOCKOUT_ATTEMPTS, DEFAULTS.lockoutAttempts, 0, 1000),
      windowMinutes: parseInteger('GATEHOUSE_LOCKOUT_WINDOW_MINUTES', env.GATEHOUSE_LOCKOUT_WINDOW_MINUTES, DEFAULTS.lockoutWindowMinutes, 1, 30 * day),
      lockMinutes: parseInteger('GATEHOUSE_LOCKOUT_MINUTES', env.GATEHOUSE_LOCKOUT_MINUTES, DEFAULTS.lockoutMinutes, 1, 30 * day),
    },
    rateLimits: {
      perIp: rule('GATEHOUSE_RATE_LIMIT_IP', DEFAULTS.rateLimitIp, DEFAULTS.rateLimitIpWindowSeconds),
      perIdentifier: rule('GATEHOUSE_RATE_LIMIT_IDENTIFIER', DEFAULTS.rateLimitIdentifier, DEFAULTS.rateLimitIdentifierWindowSeconds),
    },
  };
}

export function loadConfig(env: Record<string, string | undefined>, cwd = process.cwd(), stdoutIsTerminal = Boolean(process.stdout.isTTY)): LoadedConfig {
  const warnings: string[] = [];
  const production = env.GATEHOUSE_MODE === 'production' || env.NODE_ENV === 'production';
  const port = parseInteger('PORT', env.PORT, DEFAULTS.port, 0, 65535);
  const host = env.HOST || DEFAULTS.host;
  const environment = (env.GATEHOUSE_ENVIRONMENT || DEFAULTS.environment) as Environment;
  if (environment !== 'test' && environment !== 'live') {
    throw new ConfigError(`GATEHOUSE_ENVIRONMENT must be "test" or "live", got "${environment}"`);
  }
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must start with postgres:// or postgresql://');
  }
  const databaseSchema = env.GATEHOUSE_DATABASE_SCHEMA || undefined;
  if (databaseSchema && !/^[a-z_][a-z0-9_]{0,62}$/.test(databaseSchema)) {
    throw new ConfigError('GATEHOUSE_DATABASE_SCHEMA must be a lower-case SQL identifier (letters, digits, _)');
  }
  const trustProxy = parseTrustProxy(env.GATEHOUSE_TRUST_PROXY);
  const logLevel = env.GATEHOUSE_LOG_LEVEL || DEFAULTS.logLevel;
  if (!LOG_LEVELS.has(logLevel)) throw new ConfigError(`GATEHOUSE_LOG_LEVEL must be one of ${[...LOG_LEVELS].join(', ')}`);
  const logFormat = env.GATEHOUSE_LOG_FORMAT || (stdoutIsTerminal ? 'pretty' : 'json');
  if (logFormat !== 'json' && logFormat !== 'pretty') throw new ConfigError('GATEHOUSE_LOG_FORMAT must be json or pretty');

  const publicUrl = (env.GATEHOUSE_PUBLIC_URL || `http://${host.includes(':') ? `[${host}]` : host}:${port}`).replace(/\/+$/, '');
  try {
    const url = new URL(publicUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw new ConfigError(`GATEHOUSE_PUBLIC_URL must be an http(s) URL, got "${publicUrl}"`);
  }

  if (production && !databaseUrl) {
    throw new ConfigError('Production mode needs PostgreSQL: set DATABASE_URL. The embedded PGlite database is for development and CI.');
  }
  if (production && !publicUrl.startsWith('https://')) {
    throw new ConfigError('Production mode needs GATEHOUSE_PUBLIC_URL to be an https:// URL.');
  }

  const config: ServerConfig = {
    port,
    host,
    dataDir: resolve(cwd, env.GATEHOUSE_DATA_DIR || DEFAULTS.dataDir),
    databaseUrl,
    databaseSchema,
    production,
    environment,
    publicUrl,
    initialCredentials: {
      projectId: env.GATEHOUSE_PROJECT_ID || undefined,
      secret: env.GATEHOUSE_SECRET || undefined,
      publicToken: env.GATEHOUSE_PUBLIC_TOKEN || undefined,
    },
    bodyLimitBytes: parseInteger('GATEHOUSE_BODY_LIMIT', env.GATEHOUSE_BODY_LIMIT, DEFAULTS.bodyLimitBytes, 1024, 64 * 1024 * 1024),
    logLevel,
    logFormat,
    trustProxy,
    ...loadAbuseConfig(env),
    email: loadEmailConfig(env, production),
    sms: loadSmsConfig(env, production),
    admin: loadAdminConfig(env, cwd),
    outbound: loadOutboundConfig(env, production),
    ssoStartLimits: {
      perIp: { max: parseInteger('GATEHOUSE_SSO_START_LIMIT', env.GATEHOUSE_SSO_START_LIMIT, DEFAULTS.ssoStartPerIp, 0, 1_000_000), windowSeconds: 60 },
      perConnection: {
        max: parseInteger('GATEHOUSE_SSO_START_CONNECTION_LIMIT', env.GATEHOUSE_SSO_START_CONNECTION_LIMIT, DEFAULTS.ssoStartPerConnection, 0, 1_000_000),
        windowSeconds: 60,
      },
    },
    encryption: loadEncryptionConfig(env, production, warnings),
    sdk: { pkceRequiredForEmailMagicLinks: parseFlag('GATEHOUSE_SDK_PKCE_EMAIL_MAGIC_LINKS', env.GATEHOUSE_SDK_PKCE_EMAIL_MAGIC_LINKS) },
  };
  if (config.outbound.allowedPrivateRanges.length > 0) {
    warnings.push(`GATEHOUSE_OUTBOUND_ALLOW_PRIVATE: SSO metadata, discovery and key fetches may reach ${config.outbound.allowedPrivateRanges.join(', ')} over plain http (development only).`);
  }

  if (!databaseUrl) {
    warnings.push(`Using the embedded PGlite database in ${config.dataDir}: fine for development, not for production (set DATABASE_URL).`);
  }
  if (!config.encryption.key) {
    warnings.push(`Development mode: secrets stored in the database are encrypted with the key kept in ${developmentKeyFile(config.dataDir)}; set GATEHOUSE_ENCRYPTION_KEY elsewhere.`);
  }
  if (!production && !config.initialCredentials.secret) {
    warnings.push('Development mode: generated project credentials are printed to the log on first start.');
  }
  return { config, warnings };
}

function loadOutboundConfig(env: Record<string, string | undefined>, production: boolean): OutboundConfig {
  const allow = env.GATEHOUSE_OUTBOUND_ALLOW_PRIVATE ?? '';
  let allowedPrivateRanges: string[] = [];
  if (allow === 'true') allowedPrivateRanges = ['0.0.0.0/0', '::/0'];
  else if (allow !== '' && allow !== 'false') {
    allowedPrivateRanges = allow.split(',').map((range) => range.trim());
    for (const range of allowedPrivateRanges) {
      try {
        ipaddr.parseCIDR(range);
      } catch {
        throw new ConfigError(`GATEHOUSE_OUTBOUND_ALLOW_PRIVATE must be true, false or CIDR ranges separated by commas (e.g. 127.0.0.1/32), got "${range}"`);
      }
    }
  }
  if (allowedPrivateRanges.length > 0 && production) {
    throw new ConfigError('GATEHOUSE_OUTBOUND_ALLOW_PRIVATE is for development only: production mode fetches only https URLs on public addresses.');
  }
  return {
    allowedPrivateRanges,
    timeoutMs: parseInteger('GATEHOUSE_OUTBOUND_TIMEOUT_MS', env.GATEHOUSE_OUTBOUND_TIMEOUT_MS, DEFAULTS.outboundTimeoutMs, 100, 120_000),
    maxBodyBytes: parseInteger('GATEHOUSE_OUTBOUND_MAX_BYTES', env.GATEHOUSE_OUTBOUND_MAX_BYTES, DEFAULTS.outboundMaxBytes, 1024, 64 * 1024 * 1024),
    maxRedirects: DEFAULTS.outboundMaxRedirects,
  };
}

/** Where development mode keeps its generated encryption key. */
export function developmentKeyFile(dataDir: string): string {
  return join(dataDir, 'encryption.key');
}

const KEY_FORMAT = 'must be 32 random bytes written as base64 (44 characters) or hex (64 characters); make one with `openssl rand -base64 32`';

function loadEncryptionConfig(env: Record<string, string | undefined>, production: boolean, warnings: string[]): EncryptionConfig {
  // The messages name the variable, never its value: a refused key may be the real one, mistyped.
  const parse = (name: string, text: string): EncryptionKey => {
    const key = EncryptionKey.parse(text);
    if (!key) throw new ConfigError(`${name} ${KEY_FORMAT}.`);
    if (key.weak) {
      const message = `${name} has too few distinct bytes to be random (key id ${key.id}); generate one with \`openssl rand -base64 32\`.`;
      if (production) throw new ConfigError(`Production mode refuses a weak key: ${message}`);
      warnings.push(message);
    }
    return key;
  };
  const key = env.GATEHOUSE_ENCRYPTION_KEY ? parse('GATEHOUSE_ENCRYPTION_KEY', env.GATEHOUSE_ENCRYPTION_KEY) : undefined;
  if (!key && production) {
    throw new ConfigError(`Production mode needs GATEHOUSE_ENCRYPTION_KEY: it encrypts the signing keys and OIDC client secrets in the database; it ${KEY_FORMAT}.`);
  }
  const previousKeys = (env.GATEHOUSE_ENCRYPTION_KEYS_PREVIOUS ?? '')
    .split(',')
    .map((text) => text.trim())
    .filter(Boolean)
    .map((text) => parse('GATEHOUSE_ENCRYPTION_KEYS_PREVIOUS', text));
  if (previousKeys.length > 0 && !key) throw new ConfigError('GATEHOUSE_ENCRYPTION_KEYS_PREVIOUS needs GATEHOUSE_ENCRYPTION_KEY: the key that seals from now on.');
  return { key, previousKeys };
}

/** Admin passwords: long rather than clever (they are generated unless given). */
export const ADMIN_PASSWORD_LENGTH = { min: 12, max: 256 } as const;

function loadAdminConfig(env: Record<string, string | undefined>, cwd: string): AdminConfig {
  const initialEmail = (env.GATEHOUSE_ADMIN_EMAIL || DEFAULTS.adminEmail).trim().toLowerCase();
  if (!/^[^\s@]+@[^\s@]+$/.test(initialEmail)) throw new ConfigError(`GATEHOUSE_ADMIN_EMAIL must be an email address, got "${initialEmail}"`);
  const initialPassword = env.GATEHOUSE_ADMIN_PASSWORD || undefined;
  if (initialPassword !== undefined && (initialPassword.length < ADMIN_PASSWORD_LENGTH.min || initialPassword.length > ADMIN_PASSWORD_LENGTH.max)) {
    throw new ConfigError(`GATEHOUSE_ADMIN_PASSWORD must be ${ADMIN_PASSWORD_LENGTH.min} to ${ADMIN_PASSWORD_LENGTH.max} characters`);
  }
  const year = 366 * 24 * 60;
  return {
    initialEmail,
    initialPassword,
    sessionMinutes: parseInteger('GATEHOUSE_ADMIN_SESSION_MINUTES', env.GATEHOUSE_ADMIN_SESSION_MINUTES, DEFAULTS.adminSessionMinutes, 5, year),
    idleMinutes: parseInteger('GATEHOUSE_ADMIN_IDLE_MINUTES', env.GATEHOUSE_ADMIN_IDLE_MINUTES, DEFAULTS.adminIdleMinutes, 1, year),
    dashboardDir: env.GATEHOUSE_DASHBOARD_DIR ? resolve(cwd, env.GATEHOUSE_DASHBOARD_DIR) : undefined,
  };
}

function parseTrustProxy(value: string | undefined): boolean | number | string[] {
  if (value === undefined || value === '' || value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  const addresses = value.split(',').map((part) => part.trim()).filter(Boolean);
  if (addresses.some((address) => !/^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(address))) {
    throw new ConfigError('GATEHOUSE_TRUST_PROXY must be true, false, a hop count, or IP addresses/CIDRs separated by commas');
  }
  return addresses;
}
