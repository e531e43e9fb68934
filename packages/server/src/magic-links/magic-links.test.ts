// Email magic links over real HTTP, delivered through a real SMTP server on loopback: each test
// receives the message, takes the link out of it and authenticates the token it carries.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { nextTokenTo, startSmtpServer, uniqueAddress, type TestSmtpServer } from '../email/smtp-test-server.ts';
import type { ProjectCredentials } from '../projects/service.ts';
import { expectError, ManualClock, startTestServer, type TestServer } from '../testing/harness.ts';

let smtp: TestSmtpServer;
let server: TestServer;
const clock = new ManualClock();
const MINUTE = 60_000;
const DEFAULT_REDIRECT = 'http://localhost:3000/authenticate';

before(async () => {
  smtp = await startSmtpServer();
  server = await startTestServer({ clock, env: { GATEHOUSE_SMTP_URL: smtp.url, GATEHOUSE_EMAIL_FROM: 'Acme Login <login@acme.test>' } });
});
after(async () => {
  await server.close();
  await smtp.close();
});

const address = uniqueAddress;

const tokenFromMail = (email: string) => nextTokenTo(smtp, email, 'magic_links');

const authenticate = (project: ProjectCredentials, body: Record<string, unknown>) => server.api(project, 'POST', '/v1/magic_links/authenticate', body);

async function getUser(project: ProjectCredentials, userId: string) {
  const response = await server.api(project, 'GET', `/v1/users/${userId}`);
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body;
}

async function sessionCount(project: ProjectCredentials, userId: string): Promise<number> {
  return (await server.api(project, 'GET', `/v1/sessions?user_id=${userId}`)).body.sessions.length;
}

test('login_or_create with a new address creates the user, mails a sign-up link, and the link signs them in', async () => {
  const project = await server.createProject();
  const email = address('Ada');
  const created = await server.api(project, 'POST', '/v1/magic_links/email/login_or_create', { email });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  assert.equal(created.body.user_created, true);
  assert.match(created.body.user_id, /^user-test-/);
  assert.match(created.body.email_id, /^email-test-/);
  assert.equal(typeof created.body.request_id, 'string');
  const before = await getUser(project, created.body.user_id);
  assert.equal(before.status, 'active', "Stytch's default: create_user_as_pending is false");
  assert.deepEqual(before.emails, [{ email_id: created.body.email_id, email, verified: false }]);

  const { token, link, mail } = await tokenFromMail(email);
  assert.equal(`${link.origin}${link.pathname}`, DEFAULT_REDIRECT, 'the configured default redirect URL');
  assert.equal(mail.from, '"Acme Login" <login@acme.test>');
  assert.equal(mail.mailFrom, 'login@acme.test');
  assert.equal(mail.subject, 'Finish signing up');
  assert.ok(mail.html.includes(link.toString().replaceAll('&', '&amp;')) || mail.html.includes(link.toString().replaceAll('&', '&#38;')), mail.html);

  const response = await authenticate(project, { token, session_duration_minutes: 60 });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  const body = response.body;
  assert.equal(body.user_id, created.body.user_id);
  assert.equal(body.method_id, created.body.email_id);
  assert.equal(body.reset_sessions, false);
  assert.equal(typeof body.session_token, 'string');
  assert.ok(body.session_token.length > 0);
  assert.equal(body.session_jwt.split('.').length, 3);
  assert.deepEqual(body.session.roles, ['stytch_user']);
  const [factor] = body.session.authentication_factors;
  assert.equal(factor.type, 'magic_link');
  assert.equal(factor.delivery_method, 'email');
  assert.deepEqual(factor.email_factor, { email_id: created.body.email_id, email_address: email });
  assert.equal(body.user.emails[0].verified, true);
  assert.equal(body.user.status, 'active');

  // The session is a real one.
  const session = await server.api(project, 'POST', '/v1/sessions/authenticate', { session_token: body.session_token });
  assert.equal(session.status, 200, JSON.stringify(session.body));
  assert.equal(session.body.session.user_id, created.body.user_id);
});

test('create_user_as_pending: the user is pending until the link is followed', async () => {
  const project = await server.createProject();
  const email = address('pending');
  const created = await server.api(project, 'POST', '/v1/magic_links/email/login_or_create', { email, create_user_as_pending: true });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  assert.equal((await getUser(project, created.body.user_id)).status, 'pending');

  // Asking again for a pending user is still the sign-up flow, and does not create another user.
  const again = await server.api(project, 'POST', '/v1/magic_links/email/login_or_create', { email, signup_magic_link_url: 'https://app.test/signup' });
  assert.equal(again.body.user_created, false);
  assert.equal(again.body.user_id, created.body.user_id);
  await smtp.nextMailTo(email);
  const second = await tokenFromMail(email);
  assert.equal(second.link.origin + second.link.pathname, 'https://app.test/signup');

  const response = await authenticate(project, { token: second.token });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  assert.equal(response.body.user.status, 'active');
  // No session_duration_minutes: no session, as Stytch does.
  assert.equal(response.body.session, null);
  assert.equal(response.body.session_token, '');
  assert.equal(response.body.session_jwt, '');
  assert.equal((await getUser(project, created.body.user_id)).status, 'active');
});

test('login_or_create with an existing address sends a login link to the given URL, keeping its query', async () => {
  const project = await server.createProject();
  const email = address('Existing');
  const user = await server.api(project, 'POST', '/v1/users', { email });
  // Addresses match case-insensitively.
  const response = await server.api(project, 'POST', '/v1/magic_links/email/login_or_create', {
    email: email.toUpperCase(),
    login_magic_link_url: 'https://app.test/login?next=%2Fdocs',
  });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  assert.deepEqual(
    { user_id: response.body.user_id, email_id: response.body.email_id, user_created: response.body.user_created },
    { user_id: user.body.user_id, email_id: user.body.email_id, user_created: false },
  );
  const { token, link, mail } = await tokenFromMail(email);
  assert.equal(mail.subject, 'Your login link');
  assert.equal(link.origin + link.pathname, 'https://app.test/login');
  assert.equal(link.searchParams.get('next'), '/docs');
  const signedIn = await authenticate(project, { token, session_duration_minutes: 5 });
  assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
  assert.equal(signedIn.body.user_id, user.body.user_id);
});

test('send: a link for an existing address; an unknown address is email_not_found and nothing is sent', async () => {
  const project = await server.createProject();
  const email = address('sendee');
  const user = await server.api(project, 'POST', '/v1/users', { email });
  const sent = await server.api(project, 'POST', '/v1/magic_links/email/send', { email, login_expiration_minutes: 15 });
  assert.equal(sent.status, 200, JSON.stringify(sent.body));
  assert.deepEqual({ user_id: sent.body.user_id, email_id: sent.body.email_id }, { user_id: user.body.user_id, email_id: user.body.email_id });
  const { token, mail } = await tokenFromMail(email);
  assert.match(mail.text, /expires in 15 minutes/);
  const response = await authenticate(project, { token, session_duration_minutes: 30 });
  assert.equal(response.status, 200, JSON.stringify(response.body));

  const ghost = address('ghost');
  const mailsBefore = smtp.received.length;
  expectError(await server.api(project, 'POST', '/v1/magic_links/email/send', { email: ghost }), 404, 'email_not_found');
  const search = await server.api(project, 'POST', '/v1/users/search', {});
  assert.equal(search.body.results_metadata.total, 1);
  assert.equal(smtp.received.length, mailsBefore);

  // user_id naming someone else is refused rather than ignored.
  const other = await server.api(project, 'POST', '/v1/users', { email: address('other') });
  expectError(await server.api(project, 'POST', '/v1/magic_links/email/send', { email, user_id: other.body.user_id }), 400, 'invalid_argument');
  const own = await server.api(project, 'POST', '/v1/magic_links/email/send', { email, user_id: user.body.user_id });
  assert.equal(own.status, 200, JSON.stringify(own.body));
  await smtp.nextMailTo(email);
});

test('invite creates a pending user with its name and metadata; following the invite activates it', async () => {
  const project = await server.createProject();
  const email = address('invitee');
  const invited = await server.api(project, 'POST', '/v1/magic_links/email/invite', {
    email,
    name: { first_name: 'Grace', last_name: 'Hopper' },
    trusted_metadata: { plan: 'team' },
    untrusted_metadata: { theme: 'dark' },
    invite_magic_link_url: 'https://app.test/invite',
    invite_expiration_minutes: 120,
  });
  assert.equal(invited.status, 200, JSON.stringify(invited.body));
  const pending = await getUser(project, invited.body.user_id);
  assert.equal(pending.status, 'pending');
  assert.deepEqual(pending.name, { first_name: 'Grace', middle_name: '', last_name: 'Hopper' });
  assert.deepEqual(pending.trusted_metadata, { plan: 'team' });
  assert.deepEqual(pending.untrusted_metadata, { theme: 'dark' });

  const { token, link, mail } = await tokenFromMail(email);
  assert.equal(mail.subject, "You've been invited");
  assert.match(mail.text, /expires in 2 hours/);
  assert.equal(link.origin + link.pathname, 'https://app.test/invite');
  const accepted = await authenticate(project, { token, session_duration_minutes: 60 });
  assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
  assert.equal(accepted.body.user.status, 'active');
  assert.equal(accepted.body.user.emails[0].verified, true);

  // An active user cannot be invited again.
  expectError(await server.api(project, 'POST', '/v1/magic_links/email/invite', { email }), 409, 'duplicate_email');
});

test('revoke_invite voids outstanding invites: the link then fails and the user stays pending', async () => {
  const project = await server.createProject();
  const email = address('revoked');
  const invited = await server.api(project, 'POST', '/v1/magic_links/email/invite', { email });
  const first = await tokenFromMail(email);
  // Re-inviting a pending user sends another link to the same user.
  const reinvited = await server.api(project, 'POST', '/v1/magic_links/email/invite', { email });
  assert.equal(reinvited.body.user_id, invited.body.user_id);
  const second = await tokenFromMail(email);

  const revoked = await server.api(project, 'POST', '/v1/magic_links/email/revoke_invite', { email });
  assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
  expectError(await authenticate(project, { token: first.token }), 401, 'unable_to_auth_magic_link');
  expectError(await authenticate(project, { token: second.token, session_duration_minutes: 60 }), 401, 'unable_to_auth_magic_link');
  assert.equal((await getUser(project, invited.body.user_id)).status, 'pending');
  assert.equal(await sessionCount(project, invited.body.user_id), 0);

  expectError(await server.api(project, 'POST', '/v1/magic_links/email/revoke_invite', { email: address('nobody') }), 404, 'email_not_found');

  // A new invite after the revocation works.
  await server.api(project, 'POST', '/v1/magic_links/email/invite', { email });
  const third = await tokenFromMail(email);
  assert.equal((await authenticate(project, { token: third.token })).status, 200);
});

test('expiry: login links last 60 minutes by default, sign-up links a week, and the requested minutes when given', async () => {
  const project = await server.createProject();
  const email = address('expiry');
  await server.api(project, 'POST', '/v1/users', { email });

  await server.api(project, 'POST', '/v1/magic_links/email/send', { email });
  const login = await tokenFromMail(email);
  await server.api(project, 'POST', '/v1/magic_links/email/send', { email, login_expiration_minutes: 5 });
  const short = await tokenFromMail(email);
  await server.api(project, 'POST', '/v1/magic_links/email/send', { email });
  const usedInTime = await tokenFromMail(email);

  clock.advance(4 * MINUTE);
  assert.equal((await authenticate(project, { token: usedInTime.token })).status, 200);
  clock.advance(2 * MINUTE);
  expectError(await authenticate(project, { token: short.token }), 401, 'unable_to_auth_magic_link');
  clock.advance(55 * MINUTE);
  expectError(await authenticate(project, { token: login.token }), 401, 'unable_to_auth_magic_link');

  const early = address('newcomer');
  await server.api(project, 'POST', '/v1/magic_links/email/login_or_create', { email: early });
  const signupInTime = await tokenFromMail(early);
  const late = address('newcomer');
  await server.api(project, 'POST', '/v1/magic_links/email/login_or_create', { email: late });
  const signupLate = await tokenFromMail(late);
  clock.advance(7 * 24 * 60 * MINUTE - MINUTE);
  assert.equal((await authenticate(project, { token: signupInTime.token })).status, 200);
  clock.advance(2 * MINUTE);
  expectError(await authenticate(project, { token: signupLate.token }), 401, 'unable_to_auth_magic_link');

  for (const minutes of [4, 10_081, 1.5, -1]) {
    expectError(await server.api(project, 'POST', '/v1/magic_links/email/send', { email, login_expiration_minutes: minutes }), 400, minutes === 1.5 ? 'invalid_argument' : 'invalid_expiration');
  }
});

test('a used link cannot be used again, and the refusal creates no session', async () => {
  const project = await server.createProject();
  const email = address('replay');
  const created = await server.api(project, 'POST', '/v1/magic_links/email/login_or_create', { email });
  const { token } = await tokenFromMail(email);
  assert.equal((await authenticate(project, { token, session_duration_minutes: 60 })).status, 200);
  assert.equal(await sessionCount(project, created.body.user_id), 1);
  expectError(await authenticate(project, { token, session_duration_minutes: 60 }), 401, 'unable_to_auth_magic_link');
  assert.equal(await sessionCount(project, created.body.user_id), 1);
  // Unknown tokens are not found, as Stytch answers.
  expectError(await authenticate(project, { token: randomBytes(32).toString('base64url') }), 404, 'magic_link_not_found');
});

test('one token authenticated concurrently: exactly one request wins', async () => {
  const project = await server.createProject();
  const email = address('race');
  const created = await server.api(project, 'POST', '/v1/magic_links/email/login_or_create', { email });
  const { token } = await tokenFromMail(email);
  const responses = await Promise.all(Array.from({ length: 12 }, () => authenticate(project, { token, session_duration_minutes: 60 })));
  const statuses = responses.map((r) => r.status).sort();
  assert.equal(statuses.filter((s) => s === 200).length, 1, JSON.stringify(responses.map((r) => r.body)));
  for (const r of responses) if (r.status !== 200) expectError(r, 401, 'unable_to_auth_magic_link');
  assert.equal(await sessionCount(project, created.body.user_id), 1);
});

test('PKCE: a link started with a code_challenge needs the right code_verifier; failures leave it usable', async () => {
  const project = await server.createProject();
  const email = address('pkce');
  const verifier = randomBytes(32).toString('hex');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const sent = await server.api(project, 'POST', '/v1/magic_links/email/login_or_create', { email, code_challenge: challenge });
  assert.equal(sent.status, 200, JSON.stringify(sent.body));
  const { token } = await tokenFromMail(email);

  expectError(await authenticate(project, { token }), 400, 'pkce_expected_code_verifier');
  expectError(await authenticate(project, { token, code_verifier: randomBytes(32).toString('hex') }), 400, 'pkce_mismatch');
  expectError(await authenticate(project, { token, code_verifier: 'short' }), 400, 'invalid_pkce_code_verifier');
  assert.equal((await getUser(project, sent.body.user_id)).emails[0].verified, false);
  const response = await authenticate(project, { token, code_verifier: verifier, session_duration_minutes: 60 });
  assert.equal(response.status, 200, JSON.stringify(response.body));

  // A verifier for a link that had no challenge is refused too.
  await server.api(project, 'POST', '/v1/magic_links/email/send', { email });
  const plain = await tokenFromMail(email);
  expectError(await authenticate(project, { token: plain.token, code_verifier: verifier }), 400, 'pkce_did_not_expect_code_verifier');
  assert.equal((await authenticate(project, { token: plain.token })).status, 200);

  // A malformed challenge is refused before anything is sent.
  const mails = smtp.received.length;
  expectError(await server.api(project, 'POST', '/v1/magic_links/email/send', { email, code_challenge: 'not-a-challenge' }), 400, 'invalid_pkce_code_challenge');
  assert.equal(smtp.received.length, mails);
});

test("a token of project A is not found in project B, and still works in A", async () => {
  const projectA = await server.createProject();
  const projectB = await server.createProject();
  const email = address('tenant');
  await server.api(projectA, 'POST', '/v1/magic_links/email/login_or_create', { email });
  const { token } = await tokenFromMail(email);
  expectError(await authenticate(projectB, { token, session_duration_minutes: 60 }), 404, 'magic_link_not_found');
  assert.equal((await server.api(projectB, 'POST', '/v1/users/search', {})).body.results_metadata.total, 0);
  assert.equal((await authenticate(projectA, { token })).status, 200);
});

test('a refused session field leaves the link usable; a session of another user is refused', async () => {
  const project = await server.createProject();
  const email = address('session-fields');
  const created = await server.api(project, 'POST', '/v1/magic_links/email/login_or_create', { email, create_user_as_pending: true });
  const { token } = await tokenFromMail(email);

  expectError(await authenticate(project, { token, session_duration_minutes: 1 }), 400, 'invalid_session_duration_minutes');
  expectError(await authenticate(project, { token, session_duration_minutes: 60, session_custom_claims: { iss: 'me' } }), 400, 'reserved_claims_in_custom_claims');
  const untouched = await getUser(project, created.body.user_id);
  assert.equal(untouched.status, 'pending');
  assert.equal(untouched.emails[0].verified, false);

  // Someone else's session cannot be extended with this user's link.
  const otherEmail = address('other-session');
  await server.api(project, 'POST', '/v1/magic_links/email/login_or_create', { email: otherEmail });
  const other = await tokenFromMail(otherEmail);
  const otherSession = await authenticate(project, { token: other.token, session_duration_minutes: 60 });
  expectError(await authenticate(project, { token, session_token: otherSession.body.session_token }), 400, 'session_user_mismatch');

  const response = await authenticate(project, { token, session_duration_minutes: 60, session_custom_claims: { tier: 'gold' } });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  assert.deepEqual(response.body.session.custom_claims, { tier: 'gold' });

  // A second link adds to the session the user already has.
  await server.api(project, 'POST', '/v1/magic_links/email/send', { email });
  const next = await tokenFromMail(email);
  const extended = await authenticate(project, { token: next.token, session_token: response.body.session_token });
  assert.equal(extended.status, 200, JSON.stringify(extended.body));
  assert.equal(extended.body.session.session_id, response.body.session.session_id);
});

test('bad input: 400 in the Stytch envelope, nothing written, nothing sent', async () => {
  const project = await server.createProject();
  const email = address('bad-input');
  await server.api(project, 'POST', '/v1/users', { email });
  const mails = smtp.received.length;
  const routes = ['/v1/magic_links/email/login_or_create', '/v1/magic_links/email/send', '/v1/magic_links/email/invite', '/v1/magic_links/email/revoke_invite', '/v1/magic_links/authenticate'];
  for (const path of routes) {
    const raw = await server.raw(path, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${project.project_id}:${project.secret}`).toString('base64')}`, 'content-type': 'application/json' },
      body: '{"email": ',
    });
    expectError(raw, 400, 'bad_request');
    for (const body of [{}, { email: 5 }, { email: ['a@b.cc'] }, { token: 5 }, { email: null }]) {
      const response = await server.api(project, 'POST', path, body);
      assert.equal(response.status, 400, `${path} ${JSON.stringify(body)} → ${response.status} ${JSON.stringify(response.body)}`);
      assert.equal(typeof response.body.error_type, 'string');
    }
  }
  const fresh = address('fresh');
  const refusals: [Record<string, unknown>, string][] = [
    [{ email: 'not-an-email' }, 'invalid_email'],
    [{ email: fresh, login_expiration_minutes: 'ten' }, 'invalid_argument'],
    [{ email: fresh, signup_expiration_minutes: 20_000 }, 'invalid_expiration'],
    [{ email: fresh, login_magic_link_url: 'javascript:alert(1)' }, 'invalid_login_magic_link_url'],
    [{ email: fresh, signup_magic_link_url: 'not a url' }, 'invalid_signup_magic_link_url'],
    [{ email: fresh, create_user_as_pending: 'yes' }, 'invalid_argument'],
    [{ email: fresh, code_challenge: 'x' }, 'invalid_pkce_code_challenge'],
  ];
  for (const [body, errorType] of refusals) {
    expectError(await server.api(project, 'POST', '/v1/magic_links/email/login_or_create', body), 400, errorType);
  }
  expectError(await server.api(project, 'POST', '/v1/magic_links/email/invite', { email: fresh, invite_magic_link_url: 'data:text/html,x' }), 400, 'invalid_invite_magic_link_url');
  expectError(await server.api(project, 'POST', '/v1/magic_links/email/invite', { email: fresh, invite_expiration_minutes: 0 }), 400, 'invalid_expiration');
  expectError(await server.api(project, 'POST', '/v1/magic_links/email/invite', { email: fresh, trusted_metadata: [] }), 400, 'metadata_invalid_format');
  expectError(await server.api(project, 'POST', '/v1/magic_links/authenticate', { token: '' }), 400, 'invalid_argument');
  expectError(await server.api(project, 'POST', '/v1/magic_links/authenticate', { token: 'x', session_duration_minutes: '60' }), 400, 'invalid_argument');
  expectError(await server.api(null, 'POST', '/v1/magic_links/email/send', { email }), 401, 'unauthorized_credentials');

  const search = await server.api(project, 'POST', '/v1/users/search', {});
  assert.equal(search.body.results_metadata.total, 1, 'no user was created');
  assert.equal(smtp.received.length, mails, 'no mail was sent');
});
