import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, DEFAULTS, loadConfig } from './config.ts';

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
  const { config } = loadConfig({ GATEHOUSE_MODE: 'production', DATABASE_URL: 'postgres://db/x', GATEHOUSE_PUBLIC_URL: 'https://auth.example.com' });
  assert.equal(config.production, true);
});

test('outbound fetches: https to public addresses by default; the development setting (all, or CIDR ranges) is refused in production', () => {
  assert.deepEqual(loadConfig({}).config.outbound, { allowedPrivateRanges: [], timeoutMs: 10_000, maxBodyBytes: 1024 * 1024, maxRedirects: 3 });
  assert.deepEqual(loadConfig({ GATEHOUSE_OUTBOUND_ALLOW_PRIVATE: 'true' }).config.outbound.allowedPrivateRanges, ['0.0.0.0/0', '::/0']);
  const ranges = loadConfig({ GATEHOUSE_OUTBOUND_ALLOW_PRIVATE: '127.0.0.1/32, 10.0.0.0/8' });
  assert.deepEqual(ranges.config.outbound.allowedPrivateRanges, ['127.0.0.1/32', '10.0.0.0/8']);
  assert.ok(ranges.warnings.some((warning) => warning.includes('GATEHOUSE_OUTBOUND_ALLOW_PRIVATE')));
  assert.throws(() => loadConfig({ GATEHOUSE_OUTBOUND_ALLOW_PRIVATE: 'localhost' }), /GATEHOUSE_OUTBOUND_ALLOW_PRIVATE must be/);
  const production = { GATEHOUSE_MODE: 'production', DATABASE_URL: 'postgres://db/x', GATEHOUSE_PUBLIC_URL: 'https://auth.example.com' };
  assert.throws(() => loadConfig({ ...production, GATEHOUSE_OUTBOUND_ALLOW_PRIVATE: 'true' }), /development only/);
  assert.throws(() => loadConfig({ ...production, GATEHOUSE_OUTBOUND_ALLOW_PRIVATE: '127.0.0.1/32' }), /development only/);
  assert.deepEqual(loadConfig({ ...production, GATEHOUSE_OUTBOUND_ALLOW_PRIVATE: 'false' }).config.outbound.allowedPrivateRanges, []);
});
