// Server configuration: every option, its environment variable and its default, in one place.
// Only the CLI reads the environment; everything else receives a validated ServerConfig.
import { resolve } from 'node:path';

export type Environment = 'test' | 'live';

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
  /** GATEHOUSE_PUBLIC_URL — the base URL clients use; defaults to http://HOST:PORT. */
  publicUrl: string;
  /** GATEHOUSE_PROJECT_ID / GATEHOUSE_SECRET / GATEHOUSE_PUBLIC_TOKEN — known credentials for first start. */
  initialCredentials: { projectId?: string; secret?: string; publicToken?: string };
  /** GATEHOUSE_BODY_LIMIT — largest accepted request body in bytes. */
  bodyLimitBytes: number;
  /** GATEHOUSE_LOG_LEVEL — fatal, error, warn, info, debug, trace or silent. */
  logLevel: string;
}

export const DEFAULTS = {
  port: 4000,
  host: '127.0.0.1',
  dataDir: '.gatehouse',
  environment: 'test' as Environment,
  bodyLimitBytes: 1024 * 1024,
  logLevel: 'info',
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

function parseInteger(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value)) throw new ConfigError(`${name} must be a whole number, got "${value}"`);
  const n = Number(value);
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

export function loadConfig(env: Record<string, string | undefined>, cwd = process.cwd()): LoadedConfig {
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
  const logLevel = env.GATEHOUSE_LOG_LEVEL || DEFAULTS.logLevel;
  if (!LOG_LEVELS.has(logLevel)) throw new ConfigError(`GATEHOUSE_LOG_LEVEL must be one of ${[...LOG_LEVELS].join(', ')}`);

  const publicUrl = (env.GATEHOUSE_PUBLIC_URL || `http://${host.includes(':') ? `[${host}]` : host}:${port}`).replace(/\/+$/, '');
  try {
    const url = new URL(publicUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw new ConfigError(`GATEHOUSE_PUBLIC_URL must be an http(s) URL, got "${publicUrl}"`);
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
  };

  if (!databaseUrl) {
    if (production) {
      throw new ConfigError('Production mode needs PostgreSQL: set DATABASE_URL. The embedded PGlite database is for development and CI.');
    }
    warnings.push(`Using the embedded PGlite database in ${config.dataDir}: fine for development, not for production (set DATABASE_URL).`);
  }
  if (production && !publicUrl.startsWith('https://')) {
    throw new ConfigError('Production mode needs GATEHOUSE_PUBLIC_URL to be an https:// URL.');
  }
  if (!production && !config.initialCredentials.secret) {
    warnings.push('Development mode: generated project credentials are printed to the log on first start.');
  }
  return { config, warnings };
}
