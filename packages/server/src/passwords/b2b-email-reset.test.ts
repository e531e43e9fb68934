// B2B password reset by email through the official `stytch` B2BClient, the link delivered through a
// real SMTP server on loopback: reset/start mails a multi_tenant_passwords link to a registered
// RESET_PASSWORD URL; the token and a new password replace the member's password, verify its
// address, end its other sessions and sign it in. Tokens are single use, expire, honour PKCE; the
// start is rate limited per address.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { nextTokenTo, uniqueAddress } from '../email/smtp-test-server.ts';
import { B2BProject } from '../testing/b2b.ts';
import { DEVELOPMENT_REDIRECT_URL, ManualClock, startTestServer, type TestServer } from '../testing/harness.ts';
import { useMailServer } from '../testing/mail-server.ts';
import { memberWithPassword, PASSWORD } from '../testing/sdk.ts';
import { b2bClient, expectStytchError } from '../testing/stytch-clients.ts';

const setup = useMailServer();
const { clock } = setup;
const NEW_PASSWORD = 'Mellow-Cactus-Parade-2044?';

async function world(s: TestServer = setup.server) {
  const p = await B2BProject.create(s);
  const client = b2bClient(s, p.credentials);
  const organization_id: string = (await p.createOrganization()).organization_id;
  const email = uniqueAddress('Rhea').toLowerCase();
  const member = await memberWithPassword(p, organization_id, email);
  return { p, client, organization_id, email, member };
}

const resetLink = (email: string) => nextTokenTo(setup.smtp, email, 'multi_tenant_passwords');

test('reset/start mails a multi_tenant_passwords link; reset replaces the password, verifies the address, ends old sessions and signs in', async () => {
  const { client, organization_id, email, member } = await world();
  const old = await client.passwords.authenticate({ organization_id, email_address: email, password: PASSWORD, session_duration_minutes: 60 });

  const started = await client.passwords.email.resetStart({ organization_id, email_address: email, reset_password_redirect_url: 'https://app.test/choose-password?from=mail' });
  assert.equal(started.member_id, member.member_id);
  assert.equal(started.member_email_id, member.member_id);
  assert.equal(started.member.email_address, email);
  const { token, link, mail } = await resetLink(email);
  assert.equal(`${link.origin}${link.pathname}`, 'https://app.test/choose-password');
  assert.equal(link.searchParams.get('from'), 'mail');
  assert.equal(mail.subject, 'Reset your password');
  assert.match(mail.text, /expires in 30 minutes/);

  await expectStytchError(client.passwords.email.reset({ password_reset_token: token, password: 'password' }), 'breached_password', 400);
  const reset = await client.passwords.email.reset({ password_reset_token: token, password: NEW_PASSWORD, session_duration_minutes: 60 });
  assert.equal(reset.member_id, member.member_id);
  assert.equal(reset.member.email_address_verified, true);
  assert.equal(reset.member_session!.authentication_factors[0]!.type, 'password');
  await client.sessions.authenticate({ session_token: reset.session_token });
  await expectStytchError(client.sessions.authenticate({ session_token: old.session_token }), 'session_not_found', 404);

  await expectStytchError(client.passwords.authenticate({ organization_id, email_address: email, password: PASSWORD }), 'unauthorized_credentials');
  await client.passwords.authenticate({ organization_id, email_address: email, password: NEW_PASSWORD });
  // Single use.
  await expectStytchError(client.passwords.email.reset({ password_reset_token: token, password: 'Another-Lovely-Walrus-1999' }), 'unable_to_auth_password_reset_token', 401);
});

test('reset/start: an unknown member, an unregistered URL and a bad expiration are refused; the default URL is used when none is given', async () => {
  const { client, organization_id, email } = await world();
  await expectStytchError(client.passwords.email.resetStart({ organization_id, email_address: uniqueAddress('Nobody') }), 'member_not_found', 404);
  await expectStytchError(client.passwords.email.resetStart({ organization_id, email_address: email, reset_password_redirect_url: 'https://evil.test/reset' }), 'no_match_for_provided_magic_link_url');
  await expectStytchError(client.passwords.email.resetStart({ organization_id, email_address: email, reset_password_expiration_minutes: 2 }), 'invalid_expiration', 400);
  // No URL given: the project's default RESET_PASSWORD URL.
  await client.passwords.email.resetStart({ organization_id, email_address: email });
  const { link } = await resetLink(email);
  assert.equal(`${link.origin}${link.pathname}`, DEVELOPMENT_REDIRECT_URL);
});

test('reset: tokens expire, and one started with a PKCE challenge needs its verifier', async () => {
  const { client, organization_id, email } = await world();
  await client.passwords.email.resetStart({ organization_id, email_address: email, reset_password_redirect_url: 'https://app.test/reset', reset_password_expiration_minutes: 5 });
  const { token } = await resetLink(email);
  clock.advance(5 * 60_000);
  await expectStytchError(client.passwords.email.reset({ password_reset_token: token, password: NEW_PASSWORD }), 'unable_to_auth_password_reset_token', 401);

  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  await client.passwords.email.resetStart({ organization_id, email_address: email, reset_password_redirect_url: 'https://app.test/reset', code_challenge: challenge });
  const pkce = await resetLink(email);
  await expectStytchError(client.passwords.email.reset({ password_reset_token: pkce.token, password: NEW_PASSWORD }), 'pkce_expected_code_verifier');
  await expectStytchError(client.passwords.email.reset({ password_reset_token: pkce.token, password: NEW_PASSWORD, code_verifier: randomBytes(32).toString('base64url') }), 'pkce_mismatch');
  const reset = await client.passwords.email.reset({ password_reset_token: pkce.token, password: NEW_PASSWORD, code_verifier: verifier });
  assert.equal(reset.member.email_address, email);
});

test('reset/start is rate limited per address', async () => {
  const limited = await startTestServer({ clock: new ManualClock(), env: { GATEHOUSE_SMTP_URL: setup.smtp.url, GATEHOUSE_RATE_LIMIT_IDENTIFIER: '2', GATEHOUSE_RATE_LIMIT_IP: '100' } });
  try {
    const { client, organization_id, email } = await world(limited);
    for (let i = 0; i < 2; i++) {
      await client.passwords.email.resetStart({ organization_id, email_address: email, reset_password_redirect_url: 'https://app.test/reset' });
      await resetLink(email);
    }
    await expectStytchError(client.passwords.email.resetStart({ organization_id, email_address: email, reset_password_redirect_url: 'https://app.test/reset' }), 'too_many_requests', 429);
  } finally {
    await limited.close();
  }
});
