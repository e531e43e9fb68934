// Password reset by email, end to end through a real SMTP server on loopback: reset/start mails a
// link, the token in it and a new password set the password and start a session.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { linkInMail, nextTokenTo, startSmtpServer, uniqueAddress, type TestSmtpServer } from '../email/smtp-test-server.ts';
import type { ProjectCredentials } from '../projects/service.ts';
import { expectError, ManualClock, startTestServer, type TestServer } from '../testing/harness.ts';

let smtp: TestSmtpServer;
let server: TestServer;
const clock = new ManualClock();
const MINUTE = 60_000;
const STRONG = 'Quartz-lantern-Fjord-1987!';
const ALSO_STRONG = 'Mellow-Cactus-Parade-2044?';

before(async () => {
  smtp = await startSmtpServer();
  server = await startTestServer({
    clock,
    env: { GATEHOUSE_SMTP_URL: smtp.url },
  });
});
after(async () => {
  await server.close();
  await smtp.close();
});

const address = uniqueAddress;

const resetToken = (email: string) => nextTokenTo(smtp, email, 'reset_password');

const start = (project: ProjectCredentials, body: Record<string, unknown>) => server.api(project, 'POST', '/v1/passwords/email/reset/start', body);
const reset = (project: ProjectCredentials, body: Record<string, unknown>) => server.api(project, 'POST', '/v1/passwords/email/reset', body);
const signIn = (project: ProjectCredentials, email: string, password: string) =>
  server.api(project, 'POST', '/v1/passwords/authenticate', { email, password, session_duration_minutes: 60 });

/** A user with a password and a live session. */
async function userWithPassword(project: ProjectCredentials, email: string) {
  const created = await server.api(project, 'POST', '/v1/passwords', { email, password: STRONG, session_duration_minutes: 60 });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  return created.body;
}

test('reset/start mails a link; the token and a new password set it, verify the address and sign in', async () => {
  const project = await server.createProject();
  const email = address('reset');
  const user = await userWithPassword(project, email);

  const started = await start(project, { email, reset_password_redirect_url: 'https://app.test/choose-password?from=mail' });
  assert.equal(started.status, 200, JSON.stringify(started.body));
  assert.deepEqual({ user_id: started.body.user_id, email_id: started.body.email_id }, { user_id: user.user_id, email_id: user.email_id });
  const { token, link, mail } = await resetToken(email);
  assert.equal(link.origin + link.pathname, 'https://app.test/choose-password');
  assert.equal(link.searchParams.get('from'), 'mail');
  assert.equal(mail.subject, 'Reset your password');
  assert.match(mail.text, /expires in 30 minutes/);

  const response = await reset(project, { token, password: ALSO_STRONG, session_duration_minutes: 120 });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  assert.equal(response.body.user_id, user.user_id);
  assert.ok(response.body.session_token);
  assert.equal(response.body.session.authentication_factors[0].type, 'magic_link');
  assert.equal(response.body.session.authentication_factors[0].delivery_method, 'email');
  assert.equal(response.body.user.emails[0].verified, true);

  // The new password works, the old one does not.
  assert.equal((await signIn(project, email, ALSO_STRONG)).status, 200);
  expectError(await signIn(project, email, STRONG), 401, 'unauthorized_credentials');
  // The user's earlier session is gone (Stytch revokes them on reset); the new one lives.
  expectError(await server.api(project, 'POST', '/v1/sessions/authenticate', { session_token: user.session_token }), 404, 'session_not_found');
  assert.equal((await server.api(project, 'POST', '/v1/sessions/authenticate', { session_token: response.body.session_token })).status, 200);

  // The link works once.
  expectError(await reset(project, { token, password: 'Another-Sturdy-Phrase-3310' }), 401, 'unable_to_auth_password_reset_token');
  assert.equal((await signIn(project, email, ALSO_STRONG)).status, 200);
});

test('a user without a password gets one, and the link goes to the default reset URL', async () => {
  const project = await server.createProject();
  const madeDefault = await server.api(project, 'PUT', `/v1/project/redirect_urls?url=${encodeURIComponent('https://app.test/reset')}`, { valid_types: [{ type: 'RESET_PASSWORD', is_default: true }] });
  assert.equal(madeDefault.status, 200, JSON.stringify(madeDefault.body));
  const email = address('no-password');
  const user = await server.api(project, 'POST', '/v1/users', { email, create_user_as_pending: true });
  await start(project, { email });
  const { token, link } = await resetToken(email);
  assert.equal(link.origin + link.pathname, 'https://app.test/reset', "the project's default RESET_PASSWORD URL");
  const response = await reset(project, { token, password: STRONG });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  assert.equal(response.body.session, null, 'no session_duration_minutes: no session');
  assert.equal(response.body.user.status, 'active');
  assert.equal((await signIn(project, email, STRONG)).body.user_id, user.body.user_id);
});

test('reset/start answers the same for an address nobody has, and sends nothing', async () => {
  const project = await server.createProject();
  const known = address('known');
  await userWithPassword(project, known);
  const ghost = address('ghost');
  const mails = smtp.received.length;
  const unknown = await start(project, { email: ghost, reset_password_expiration_minutes: 60 });
  const real = await start(project, { email: known, reset_password_expiration_minutes: 60 });
  assert.equal(unknown.status, 200);
  assert.deepEqual(Object.keys(unknown.body).sort(), Object.keys(real.body).sort());
  assert.match(unknown.body.user_id, /^user-test-[0-9a-f-]{36}$/);
  assert.match(unknown.body.email_id, /^email-test-[0-9a-f-]{36}$/);
  await resetToken(known);
  await server.gatehouse.mailer.idle();
  assert.equal(smtp.received.length, mails + 1, 'only the known address got mail');
  assert.equal((await server.api(project, 'POST', '/v1/users/search', {})).body.results_metadata.total, 1, 'no user was created');
  // Bad input is refused alike for both.
  for (const email of [ghost, known]) {
    expectError(await start(project, { email, reset_password_expiration_minutes: 2 }), 400, 'invalid_expiration');
    expectError(await start(project, { email, reset_password_redirect_url: 'javascript:alert(1)' }), 400, 'invalid_password_reset_redirect_url');
  }
});

test('a weak password or a refused session field changes nothing and leaves the link usable', async () => {
  const project = await server.createProject();
  const email = address('weak');
  await userWithPassword(project, email);
  await start(project, { email });
  const { token } = await resetToken(email);
  const weak = expectError(await reset(project, { token, password: 'password1' }), 400, 'breached_password');
  assert.equal(typeof weak.error_message, 'string');
  expectError(await reset(project, { token, password: 'abcabc' }), 400, 'weak_password');
  expectError(await reset(project, { token, password: ALSO_STRONG, session_duration_minutes: 2 }), 400, 'invalid_session_duration_minutes');
  assert.equal((await signIn(project, email, STRONG)).status, 200, 'the old password still works');
  const response = await reset(project, { token, password: ALSO_STRONG, session_duration_minutes: 30 });
  assert.equal(response.status, 200, JSON.stringify(response.body));
});

test('expired, foreign-project and magic-link tokens are refused; reset tokens are not magic links', async () => {
  const projectA = await server.createProject();
  const projectB = await server.createProject();
  const email = address('expired');
  await userWithPassword(projectA, email);

  await start(projectA, { email });
  const stale = await resetToken(email);
  await start(projectA, { email, reset_password_expiration_minutes: 90 });
  const longer = await resetToken(email);
  clock.advance(31 * MINUTE);
  expectError(await reset(projectA, { token: stale.token, password: ALSO_STRONG }), 401, 'unable_to_auth_password_reset_token');
  expectError(await reset(projectB, { token: longer.token, password: ALSO_STRONG }), 401, 'unable_to_auth_password_reset_token');
  expectError(await server.api(projectA, 'POST', '/v1/magic_links/authenticate', { token: longer.token }), 404, 'magic_link_not_found');

  await server.api(projectA, 'POST', '/v1/magic_links/email/send', { email });
  const magic = linkInMail(await smtp.nextMailTo(email)).searchParams.get('token')!;
  expectError(await reset(projectA, { token: magic, password: ALSO_STRONG }), 401, 'unable_to_auth_password_reset_token');

  assert.equal((await reset(projectA, { token: longer.token, password: ALSO_STRONG })).status, 200);
});

test('PKCE on reset: the code_verifier must match the code_challenge of reset/start', async () => {
  const project = await server.createProject();
  const email = address('pkce-reset');
  await userWithPassword(project, email);
  const verifier = randomBytes(32).toString('hex');
  await start(project, { email, code_challenge: createHash('sha256').update(verifier).digest('base64url') });
  const { token } = await resetToken(email);
  expectError(await reset(project, { token, password: ALSO_STRONG }), 400, 'pkce_expected_code_verifier');
  expectError(await reset(project, { token, password: ALSO_STRONG, code_verifier: randomBytes(32).toString('hex') }), 400, 'pkce_mismatch');
  assert.equal((await reset(project, { token, password: ALSO_STRONG, code_verifier: verifier })).status, 200);
});

test('bad input on reset: 400, nothing written', async () => {
  const project = await server.createProject();
  const email = address('bad-reset');
  await userWithPassword(project, email);
  for (const body of [{}, { email: 5 }, { email }, { token: 'x' }, { token: 'x', password: 5 }, { token: ['x'], password: STRONG }]) {
    const response = await reset(project, body);
    assert.equal(response.status, 400, `${JSON.stringify(body)} → ${response.status} ${JSON.stringify(response.body)}`);
  }
  for (const body of [{}, { email: 5 }, { email: 'nope' }, { email, reset_password_expiration_minutes: '30' }, { email, code_challenge: 'short' }]) {
    const response = await start(project, body);
    assert.equal(response.status, 400, `${JSON.stringify(body)} → ${response.status} ${JSON.stringify(response.body)}`);
  }
  expectError(await reset(project, { token: randomBytes(32).toString('base64url'), password: ALSO_STRONG }), 401, 'unable_to_auth_password_reset_token');
  assert.equal((await signIn(project, email, STRONG)).status, 200);
});
