// The credential rate limits (src/rate-limit) on the email endpoints: per address on
// login_or_create, send, invite and reset/start; per IP on magic_links/authenticate and reset.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { expectError, ManualClock, startTestServer, type TestServer } from '../testing/harness.ts';

let server: TestServer;
const clock = new ManualClock();

before(async () => {
  server = await startTestServer({
    clock,
    env: {
      GATEHOUSE_RATE_LIMIT_IDENTIFIER: '3',
      GATEHOUSE_RATE_LIMIT_IDENTIFIER_WINDOW_SECONDS: '60',
      GATEHOUSE_RATE_LIMIT_IP: '12',
      GATEHOUSE_RATE_LIMIT_IP_WINDOW_SECONDS: '60',
    },
  });
});
after(() => server.close());

test('per address: the fourth request for one address in a window is 429 with Retry-After, others go on', async () => {
  const project = await server.createProject();
  const email = `limited.${randomBytes(3).toString('hex')}@example.com`;
  assert.equal((await server.api(project, 'POST', '/v1/magic_links/email/login_or_create', { email })).status, 200);
  assert.equal((await server.api(project, 'POST', '/v1/magic_links/email/send', { email })).status, 200);
  assert.equal((await server.api(project, 'POST', '/v1/passwords/email/reset/start', { email })).status, 200);
  // The address is counted however it is spelled.
  const limited = await server.api(project, 'POST', '/v1/magic_links/email/send', { email: ` ${email.toUpperCase()}` });
  expectError(limited, 429, 'too_many_requests');
  assert.ok(Number(limited.headers.get('retry-after')) >= 1);
  expectError(await server.api(project, 'POST', '/v1/magic_links/email/invite', { email }), 429, 'too_many_requests');
  expectError(await server.api(project, 'POST', '/v1/passwords/email/reset/start', { email }), 429, 'too_many_requests');
  // An unknown address is limited alike (reset/start must not tell them apart).
  const ghost = `ghost.${randomBytes(3).toString('hex')}@example.com`;
  for (let i = 0; i < 3; i++) assert.equal((await server.api(project, 'POST', '/v1/passwords/email/reset/start', { email: ghost })).status, 200);
  expectError(await server.api(project, 'POST', '/v1/passwords/email/reset/start', { email: ghost }), 429, 'too_many_requests');

  clock.advance(61_000);
  assert.equal((await server.api(project, 'POST', '/v1/magic_links/email/send', { email })).status, 200, 'a new window');
});

test('per IP: authenticate and reset are limited by the caller, whatever the token', async () => {
  const project = await server.createProject();
  clock.advance(60_000);
  const token = () => randomBytes(32).toString('base64url');
  for (let i = 0; i < 6; i++) expectError(await server.api(project, 'POST', '/v1/magic_links/authenticate', { token: token() }), 404, 'magic_link_not_found');
  for (let i = 0; i < 6; i++) {
    expectError(await server.api(project, 'POST', '/v1/passwords/email/reset', { token: token(), password: 'Quartz-lantern-Fjord-1987!' }), 401, 'unable_to_auth_password_reset_token');
  }
  expectError(await server.api(project, 'POST', '/v1/magic_links/authenticate', { token: token() }), 429, 'too_many_requests');
  expectError(await server.api(project, 'POST', '/v1/passwords/email/reset', { token: token(), password: 'x' }), 429, 'too_many_requests');
  // Limits are per project: another project's callers are not held back.
  const other = await server.createProject();
  expectError(await server.api(other, 'POST', '/v1/magic_links/authenticate', { token: token() }), 404, 'magic_link_not_found');
});

test('B2B discovery: the link send counts per address like the other sends; its authenticate per IP', async () => {
  const project = await server.createProject();
  clock.advance(60_000);
  const email_address = `discovering.${randomBytes(3).toString('hex')}@example.com`;
  for (let i = 0; i < 3; i++) assert.equal((await server.api(project, 'POST', '/v1/b2b/magic_links/email/discovery/send', { email_address })).status, 200);
  expectError(await server.api(project, 'POST', '/v1/b2b/magic_links/email/discovery/send', { email_address: email_address.toUpperCase() }), 429, 'too_many_requests');
  for (let i = 0; i < 8; i++) {
    expectError(await server.api(project, 'POST', '/v1/b2b/magic_links/discovery/authenticate', { discovery_magic_links_token: randomBytes(32).toString('base64url') }), 404, 'magic_link_not_found');
  }
  expectError(await server.api(project, 'POST', '/v1/b2b/magic_links/discovery/authenticate', { discovery_magic_links_token: 'x' }), 429, 'too_many_requests');
});
