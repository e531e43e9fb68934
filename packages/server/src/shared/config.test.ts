import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspect } from 'node:util';
import { ConfigError, DEFAULTS, loadConfig } from './config.ts';
import { EncryptionKey } from '../encryption/keyring.ts';

const KEY_A = EncryptionKey.generate().text;
const KEY_B = EncryptionKey.generate().text;
const KEY_C = EncryptionKey.generate().text;

test('defaults: port 4000 on loopback, PGlite in .gatehouse, test environment, with a warning', () => {
  const { config, warnings } = loadConfig({}, '/srv/app');
  assert.equal(config.port, DEFAULTS.port);
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.dataDir, '/srv/app/.gatehouse');
  assert.equal(config.databaseUrl, undefined);
  assert.equal(config.environment, 'test');
  assert.equal(config.publicUrl, 'http://127.0.0.1:4000');
  assert.equal(config.production, false);
  assert.ok(warnings.some((w) => w.includes('PGlite')));
});

test('environment variables set every option', () => {
  const { config, warnings } = loadConfig({
    PORT: '8080',
    HOST: '0.0.0.0',
    GATEHOUSE_DATA_DIR: '/var/lib/gatehouse',
    DATABASE_URL: 'postgres://u@db/gatehouse',
    GATEHOUSE_ENVIRONMENT: 'live',
    GATEHOUSE_PUBLIC_URL: 'https://auth.example.com/',
    GATEHOUSE_PROJECT_ID: 'project-live-0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9',
    GATEHOUSE_SECRET: 'a-known-secret-of-enough-length',
    GATEHOUSE_BODY_LIMIT: '2048',
    GATEHOUSE_LOG_LEVEL: 'warn',
    GATEHOUSE_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1',
    GATEHOUSE_ENCRYPTION_KEY: KEY_A,
    GATEHOUSE_ENCRYPTION_KEYS_PREVIOUS: `${KEY_B}, ${KEY_C}`,
  });
  assert.equal(config.port, 8080);
  assert.equal(config.host, '0.0.0.0');
  assert.equal(config.dataDir, '/var/lib/gatehouse');
  assert.equal(config.databaseUrl, 'postgres://u@db/gatehouse');
  assert.equal(config.environment, 'live');
  assert.equal(config.publicUrl, 'https://auth.example.com');
  assert.equal(config.initialCredentials.projectId, 'project-live-0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9');
  assert.equal(config.bodyLimitBytes, 2048);
  assert.equal(config.logLevel, 'warn');
  assert.deepEqual(config.trustProxy, ['10.0.0.0/8', '127.0.0.1']);
  assert.equal(config.encryption.key?.id, EncryptionKey.parse(KEY_A)!.id);
  assert.deepEqual(config.encryption.previousKeys.map((key) => key.id), [EncryptionKey.parse(KEY_B)!.id, EncryptionKey.parse(KEY_C)!.id]);
  assert.deepEqual(warnings, []);
  assert.equal(loadConfig({ GATEHOUSE_TRUST_PROXY: '2' }).config.trustProxy, 2);
  assert.equal(loadConfig({}).config.trustProxy, false);
});

test('bad values are refused with the variable named', () => {
  assert.throws(() => loadConfig({ PORT: 'eighty' }), (e: unknown) => e instanceof ConfigError && /PORT/.test(e.message));
  assert.throws(() => loadConfig({ PORT: '70000' }), /PORT/);
  assert.throws(() => loadConfig({ DATABASE_URL: 'mysql://x' }), /DATABASE_URL/);
  assert.throws(() => loadConfig({ GATEHOUSE_ENVIRONMENT: 'prod' }), /GATEHOUSE_ENVIRONMENT/);
  assert.throws(() => loadConfig({ GATEHOUSE_LOG_LEVEL: 'loud' }), /GATEHOUSE_LOG_LEVEL/);
  assert.throws(() => loadConfig({ GATEHOUSE_PUBLIC_URL: 'ftp://x' }), /GATEHOUSE_PUBLIC_URL/);
  assert.throws(() => loadConfig({ GATEHOUSE_TRUST_PROXY: 'everyone' }), /GATEHOUSE_TRUST_PROXY/);
});

test('production mode refuses the embedded database and a plain-http public URL', () => {
  assert.throws(() => loadConfig({ NODE_ENV: 'production' }), /DATABASE_URL/);
  assert.throws(() => loadConfig({ GATEHOUSE_MODE: 'production', DATABASE_URL: 'postgres://db/x' }), /https/);
  const { config } = loadConfig({ GATEHOUSE_MODE: 'production', DATABASE_URL: 'postgres://db/x', GATEHOUSE_PUBLIC_URL: 'https://auth.example.com', GATEHOUSE_ENCRYPTION_KEY: KEY_A });
  assert.equal(config.production, true);
});

test('outbound fetches: https to public addresses by default; the development setting (all, or CIDR ranges) is refused in production', () => {
  assert.deepEqual(loadConfig({}).config.outbound, { allowedPrivateRanges: [], timeoutMs: 10_000, maxBodyBytes: 1024 * 1024, maxRedirects: 3 });
  assert.deepEqual(loadConfig({ GATEHOUSE_OUTBOUND_ALLOW_PRIVATE: 'true' }).config.outbound.allowedPrivateRanges, ['0.0.0.0/0', '::/0']);
  const ranges = loadConfig({ GATEHOUSE_OUTBOUND_ALLOW_PRIVATE: '127.0.0.1/32, 10.0.0.0/8' });
  assert.deepEqual(ranges.config.outbound.allowedPrivateRanges, ['127.0.0.1/32', '10.0.0.0/8']);
  assert.ok(ranges.warnings.some((warning) => warning.includes('GATEHOUSE_OUTBOUND_ALLOW_PRIVATE')));
  assert.throws(() => loadConfig({ GATEHOUSE_OUTBOUND_ALLOW_PRIVATE: 'localhost' }), /GATEHOUSE_OUTBOUND_ALLOW_PRIVATE must be/);
  const production = { GATEHOUSE_MODE: 'production', DATABASE_URL: 'postgres://db/x', GATEHOUSE_PUBLIC_URL: 'https://auth.example.com', GATEHOUSE_ENCRYPTION_KEY: KEY_A };
  assert.throws(() => loadConfig({ ...production, GATEHOUSE_OUTBOUND_ALLOW_PRIVATE: 'true' }), /development only/);
  assert.throws(() => loadConfig({ ...production, GATEHOUSE_OUTBOUND_ALLOW_PRIVATE: '127.0.0.1/32' }), /development only/);
  assert.deepEqual(loadConfig({ ...production, GATEHOUSE_OUTBOUND_ALLOW_PRIVATE: 'false' }).config.outbound.allowedPrivateRanges, []);
});

test('the encryption key: required in production, generated in development, never printed when refused', () => {
  const production = { GATEHOUSE_MODE: 'production', DATABASE_URL: 'postgres://db/x', GATEHOUSE_PUBLIC_URL: 'https://auth.example.com' };
  assert.throws(() => loadConfig(production), (e: unknown) => e instanceof ConfigError && /GATEHOUSE_ENCRYPTION_KEY/.test(e.message));
  // 32 bytes, but a pattern, not random: a warning in development, refused in production.
  const weak = Buffer.alloc(32, 'ab').toString('base64');
  assert.throws(() => loadConfig({ ...production, GATEHOUSE_ENCRYPTION_KEY: weak }), (e: unknown) => e instanceof ConfigError && /GATEHOUSE_ENCRYPTION_KEY/.test(e.message) && !e.message.includes(weak));
  assert.ok(loadConfig({ GATEHOUSE_ENCRYPTION_KEY: weak }).warnings.some((w) => w.includes('GATEHOUSE_ENCRYPTION_KEY') && !w.includes(weak)));
  assert.throws(() => loadConfig({ ...production, GATEHOUSE_ENCRYPTION_KEY: KEY_A, GATEHOUSE_ENCRYPTION_KEYS_PREVIOUS: weak }), /GATEHOUSE_ENCRYPTION_KEYS_PREVIOUS/);
  // Not 32 bytes of base64 or hex: refused in every mode, the value not repeated.
  for (const bad of ['correct horse battery staple', KEY_A.slice(0, 40), `${KEY_A}x`]) {
    assert.throws(() => loadConfig({ GATEHOUSE_ENCRYPTION_KEY: bad }), (e: unknown) => e instanceof ConfigError && /GATEHOUSE_ENCRYPTION_KEY/.test(e.message) && !e.message.includes(bad));
    assert.throws(() => loadConfig({ GATEHOUSE_ENCRYPTION_KEY: KEY_A, GATEHOUSE_ENCRYPTION_KEYS_PREVIOUS: bad }), (e: unknown) => e instanceof ConfigError && !e.message.includes(bad));
  }
  assert.equal(loadConfig({ GATEHOUSE_ENCRYPTION_KEY: Buffer.from(KEY_A, 'base64').toString('hex') }).config.encryption.key?.id, EncryptionKey.parse(KEY_A)!.id);
  // Development without a key: one is kept in the data folder, and the start says so.
  const development = loadConfig({}, '/srv/app');
  assert.equal(development.config.encryption.key, undefined);
  assert.ok(development.warnings.some((w) => w.includes('/srv/app/.gatehouse/encryption.key')));
  // The key never shows in the configuration's JSON or inspection.
  const { config } = loadConfig({ GATEHOUSE_ENCRYPTION_KEY: KEY_A });
  assert.ok(!JSON.stringify(config).includes(KEY_A) && !inspect(config, { depth: 9 }).includes(KEY_A));
  assert.ok(!inspect(config, { depth: 9 }).includes(Buffer.from(KEY_A, 'base64').toString('hex')));
});

test('SMS webhook: unset means the outbox; the URL needs a secret of 32+ characters, and https in production', () => {
  assert.deepEqual(loadConfig({}).config.sms, { webhookUrl: undefined, webhookSecret: undefined });
  const secret = 'x'.repeat(32);
  assert.deepEqual(loadConfig({ GATEHOUSE_SMS_WEBHOOK_URL: 'https://sms.example/hook', GATEHOUSE_SMS_WEBHOOK_SECRET: secret }).config.sms, { webhookUrl: 'https://sms.example/hook', webhookSecret: secret });
  const refused = (env: Record<string, string>, name: RegExp) => assert.throws(() => loadConfig(env), (e: unknown) => e instanceof ConfigError && name.test(e.message));
  refused({ GATEHOUSE_SMS_WEBHOOK_URL: 'https://sms.example/hook' }, /GATEHOUSE_SMS_WEBHOOK_SECRET/);
  refused({ GATEHOUSE_SMS_WEBHOOK_URL: 'https://sms.example/hook', GATEHOUSE_SMS_WEBHOOK_SECRET: 'short' }, /at least 32/);
  refused({ GATEHOUSE_SMS_WEBHOOK_SECRET: secret }, /without GATEHOUSE_SMS_WEBHOOK_URL/);
  refused({ GATEHOUSE_SMS_WEBHOOK_URL: 'ftp://sms.example', GATEHOUSE_SMS_WEBHOOK_SECRET: secret }, /GATEHOUSE_SMS_WEBHOOK_URL/);
  refused({ GATEHOUSE_MODE: 'production', DATABASE_URL: 'postgres://db/x', GATEHOUSE_PUBLIC_URL: 'https://auth.example', GATEHOUSE_ENCRYPTION_KEY: KEY_A,
    GATEHOUSE_SMS_WEBHOOK_URL: 'http://sms.example/hook', GATEHOUSE_SMS_WEBHOOK_SECRET: secret }, /https/);
});

test('logs: readable lines on a terminal, JSON lines otherwise, unless GATEHOUSE_LOG_FORMAT says which', () => {
  assert.equal(loadConfig({}, '/srv/app', true).config.logFormat, 'pretty');
  assert.equal(loadConfig({}, '/srv/app', false).config.logFormat, 'json');
  assert.equal(loadConfig({ GATEHOUSE_LOG_FORMAT: 'json' }, '/srv/app', true).config.logFormat, 'json');
  assert.equal(loadConfig({ GATEHOUSE_LOG_FORMAT: 'pretty' }, '/srv/app', false).config.logFormat, 'pretty');
  assert.throws(() => loadConfig({ GATEHOUSE_LOG_FORMAT: 'xml' }), (e: unknown) => e instanceof ConfigError && /GATEHOUSE_LOG_FORMAT/.test(e.message));
});
