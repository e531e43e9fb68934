// Email delivery: the outbox when no SMTP server is configured (read through the admin endpoint,
// and the link in it works), and SMTP failures reported without leaving a usable token behind.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { expectError, startTestServer, TEST_ENCRYPTION_KEY, type TestServer } from '../testing/harness.ts';
import { OUTBOX_KEEP } from './mailer.ts';
import { linkInMail, startSmtpServer } from './smtp-test-server.ts';

let server: TestServer;

before(async () => {
  server = await startTestServer();
});
after(() => server.close());

test('without SMTP, messages go to the outbox, readable per project, and their links work', async () => {
  const project = await server.createProject();
  const other = await server.createProject();
  // Links go to the project's default redirect URL of their type when the request names none.
  const everyType = ['LOGIN', 'SIGNUP', 'INVITE', 'RESET_PASSWORD', 'DISCOVERY'].map((type) => ({ type, is_default: true }));
  const defaults = await server.api(project, 'PUT', `/v1/project/redirect_urls?url=${encodeURIComponent('https://app.test/authenticate')}`, { valid_types: everyType });
  assert.equal(defaults.status, 200, JSON.stringify(defaults.body));
  const created = await server.api(project, 'POST', '/v1/magic_links/email/login_or_create', { email: 'Outbox@Example.com' });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  await server.api(project, 'POST', '/v1/magic_links/email/invite', { email: 'second@example.com' });

  const outbox = await server.api(project, 'GET', '/v1/project/outbox');
  assert.equal(outbox.status, 200, JSON.stringify(outbox.body));
  assert.equal(outbox.body.transport, 'outbox');
  assert.deepEqual(outbox.body.messages.map((m: { to: string; kind: string }) => [m.to, m.kind]), [
    ['second@example.com', 'invite'],
    ['Outbox@Example.com', 'signup'],
  ]);
  const [, message] = outbox.body.messages;
  assert.equal(message.from, 'Gatehouse <no-reply@localhost>');
  assert.equal(message.subject, 'Finish signing up');
  assert.match(message.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.ok(message.text.includes(message.link));
  assert.ok(message.html.includes('<a href="https://app.test/authenticate?stytch_token_type=magic_links&#38;token='), message.html);
  const link = linkInMail(message);
  assert.equal(link.toString(), message.link);
  assert.equal(link.origin + link.pathname, 'https://app.test/authenticate', 'the default redirect URL');

  const filtered = await server.api(project, 'GET', '/v1/project/outbox?to=outbox@example.com&limit=5');
  assert.equal(filtered.body.messages.length, 1);
  assert.equal((await server.api(other, 'GET', '/v1/project/outbox')).body.messages.length, 0, 'another project sees nothing');
  expectError(await server.api(null, 'GET', '/v1/project/outbox'), 401, 'unauthorized_credentials');
  expectError(await server.api(project, 'GET', '/v1/project/outbox?limit=lots'), 400, 'invalid_argument');

  const signedIn = await server.api(project, 'POST', '/v1/magic_links/authenticate', { token: link.searchParams.get('token'), session_duration_minutes: 60 });
  assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
  assert.equal(signedIn.body.user_id, created.body.user_id);
});

test('the outbox keeps the latest 1000 messages of a project', async () => {
  const project = await server.createProject();
  await server.database.db.query(
    `INSERT INTO email_outbox (message_id, project_id, to_address, from_address, subject, text_body, html_body, kind, link, created_at)
     SELECT 'email-message-old-' || n, $1, 'old@example.com', 'x', 's', 't', 'h', 'login', NULL, now() FROM generate_series(1, $2::int) AS n`,
    [project.project_id, OUTBOX_KEEP],
  );
  await server.api(project, 'POST', '/v1/magic_links/email/login_or_create', { email: 'newest@example.com' });
  const { rows } = await server.database.db.query<{ n: number }>('SELECT count(*)::int AS n FROM email_outbox WHERE project_id = $1', [project.project_id]);
  assert.equal(rows[0]!.n, OUTBOX_KEEP);
  const latest = await server.api(project, 'GET', '/v1/project/outbox?limit=1');
  assert.equal(latest.body.messages[0].to, 'newest@example.com');
});

test('an SMTP server that refuses the login: 502 email_delivery_failed, and the token is not left behind', async () => {
  const smtp = await startSmtpServer();
  const wrong = new URL(smtp.url);
  wrong.password = 'wrong-password';
  const failing = await startTestServer({ database: server.database, env: { GATEHOUSE_SMTP_URL: wrong.toString() } });
  try {
    const project = await failing.createProject();
    await failing.api(project, 'POST', '/v1/users', { email: 'refused@example.com' });
    expectError(await failing.api(project, 'POST', '/v1/magic_links/email/send', { email: 'refused@example.com' }), 502, 'email_delivery_failed');
    assert.equal(smtp.received.length, 0);
    const { rows } = await failing.database.db.query<{ n: number }>('SELECT count(*)::int AS n FROM email_tokens WHERE project_id = $1', [project.project_id]);
    assert.equal(rows[0]!.n, 0);
    // Nothing went to the outbox either: with SMTP configured, the outbox is not used.
    assert.equal((await failing.api(project, 'GET', '/v1/project/outbox')).body.transport, 'smtp');
  } finally {
    await failing.close();
    await smtp.close();
  }
});

test('an SMTP server that is not there: 502 email_delivery_failed', async () => {
  // A port that was free a moment ago: nothing listens on it.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const failing = await startTestServer({ database: server.database, env: { GATEHOUSE_SMTP_URL: `smtp://127.0.0.1:${port}` } });
  try {
    const project = await failing.createProject();
    expectError(await failing.api(project, 'POST', '/v1/magic_links/email/login_or_create', { email: 'nowhere@example.com' }), 502, 'email_delivery_failed');
  } finally {
    await failing.close();
  }
});

test('configuration: SMTP and link settings are validated at start', async () => {
  const { loadConfig } = await import('../shared/config.ts');
  const { config } = loadConfig({});
  assert.deepEqual(config.email, {
    smtpUrl: undefined,
    from: 'Gatehouse <no-reply@localhost>',
    redirectUrl: 'http://localhost:3000/authenticate',
    resetPasswordUrl: 'http://localhost:3000/authenticate',
  });
  const set = loadConfig({
    GATEHOUSE_SMTP_URL: 'smtps://u:p@mail.example.com:465',
    GATEHOUSE_EMAIL_FROM: 'Acme <login@acme.example>',
    GATEHOUSE_REDIRECT_URL: 'https://acme.example/auth',
    GATEHOUSE_RESET_PASSWORD_URL: 'https://acme.example/reset',
  }).config.email;
  assert.deepEqual(set, { smtpUrl: 'smtps://u:p@mail.example.com:465', from: 'Acme <login@acme.example>', redirectUrl: 'https://acme.example/auth', resetPasswordUrl: 'https://acme.example/reset' });
  assert.throws(() => loadConfig({ GATEHOUSE_SMTP_URL: 'http://mail.example.com' }), /GATEHOUSE_SMTP_URL/);
  assert.throws(() => loadConfig({ GATEHOUSE_EMAIL_FROM: 'nobody' }), /GATEHOUSE_EMAIL_FROM/);
  assert.throws(() => loadConfig({ GATEHOUSE_REDIRECT_URL: 'app.test/auth' }), /GATEHOUSE_REDIRECT_URL/);
  // Production mode registers no redirect URL it was not given (see projects/bootstrap.ts).
  const production = { GATEHOUSE_MODE: 'production', DATABASE_URL: 'postgres://db/x', GATEHOUSE_PUBLIC_URL: 'https://auth.example.com', GATEHOUSE_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY };
  assert.equal(loadConfig(production).config.email.redirectUrl, undefined);
  assert.equal(loadConfig(production).config.email.resetPasswordUrl, undefined);
  assert.equal(loadConfig({ ...production, GATEHOUSE_REDIRECT_URL: 'https://acme.example/auth' }).config.email.resetPasswordUrl, 'https://acme.example/auth');
  assert.throws(() => loadConfig({ GATEHOUSE_RESET_PASSWORD_URL: 'ftp://x' }), /GATEHOUSE_RESET_PASSWORD_URL/);
});
