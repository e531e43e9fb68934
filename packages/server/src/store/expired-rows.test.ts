// Rows that unauthenticated callers (the public token, or no credentials) make the server write expire
// and are purged by later writes of the same kind, so no table grows without bound. Covered elsewhere:
// SSO flows and tokens (sso/sso-start.test.ts), OAuth states and tokens (oauth/oauth.test.ts), rate-limit
// counters and failure counters for unknown addresses (rate-limit/, passwords/). Here: passcodes and
// discovery tokens (discovery magic links, intermediate sessions), each kept a day past its expiry.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ProjectCredentials } from '../projects/service.ts';
import { expectOk } from '../testing/b2b.ts';
import { ManualClock, startTestServer, TEST_REDIRECT_URLS, type TestServer } from '../testing/harness.ts';

const clock = new ManualClock(Date.now());
let server: TestServer;
before(async () => {
  server = await startTestServer({ clock, env: { GATEHOUSE_RATE_LIMIT_IDENTIFIER: '0', GATEHOUSE_RATE_LIMIT_IP: '0' } });
});
after(() => server.close());

const DAY = 24 * 60 * 60_000;

async function rows(table: 'email_otps' | 'discovery_tokens', project: ProjectCredentials, email: string): Promise<number> {
  const column = table === 'email_otps' ? 'address' : 'email_address';
  const { rows: found } = await server.gatehouse.db.query(`SELECT 1 FROM ${table} WHERE project_id = $1 AND ${column} = $2`, [project.project_id, email]);
  return found.length;
}

test('passcodes nobody used are deleted a day after they expired, by a later send in the project', async () => {
  const project = await server.createProject();
  expectOk(await server.api(project, 'POST', '/v1/b2b/otps/email/discovery/send', { email_address: 'first@example.com' }));
  assert.equal(await rows('email_otps', project, 'first@example.com'), 1);
  clock.advance(DAY - 60_000); // expired (10 minutes) but kept a day
  expectOk(await server.api(project, 'POST', '/v1/b2b/otps/email/discovery/send', { email_address: 'second@example.com' }));
  assert.equal(await rows('email_otps', project, 'first@example.com'), 1);
  clock.advance(20 * 60_000);
  expectOk(await server.api(project, 'POST', '/v1/b2b/otps/email/discovery/send', { email_address: 'third@example.com' }));
  assert.equal(await rows('email_otps', project, 'first@example.com'), 0);
  assert.equal(await rows('email_otps', project, 'third@example.com'), 1);
});

test('discovery links nobody followed are deleted a day after they expired, by a later one in the project', async () => {
  const project = await server.createProject();
  const send = (email_address: string) => server.api(project, 'POST', '/v1/b2b/magic_links/email/discovery/send', { email_address, discovery_redirect_url: TEST_REDIRECT_URLS[0] });
  expectOk(await send('first@example.com'));
  assert.equal(await rows('discovery_tokens', project, 'first@example.com'), 1);
  clock.advance(DAY + 2 * 60 * 60_000); // past the link's 60 minutes and the day kept after
  expectOk(await send('second@example.com'));
  assert.equal(await rows('discovery_tokens', project, 'first@example.com'), 0);
  assert.equal(await rows('discovery_tokens', project, 'second@example.com'), 1);
});
