// B2B password reset by email through the official @stytch/vanilla-js B2B headless client in headless
// Chromium (/sdk/v1/b2b/passwords/email/reset/start and /reset): the page starts the reset, the link
// (taken from the outbox) says multi_tenant_passwords, and resetting signs the member in with a
// session cookie; the new password then works and the token does not work twice.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { B2B_POLICY } from '../testing/b2b.ts';
import { b2bWorld, memberWithPassword } from '../testing/sdk.ts';
import { b2bHeadlessScript, openB2BHeadlessPage, startSdkPageWorld, type SdkPageWorld } from '../testing/sdk-page.ts';

const PAGE_SCRIPT = b2bHeadlessScript('resetTest', `
  resetStart: (args) => outcome(() => window.client.passwords.resetByEmailStart(args)),
  reset: (args) => outcome(() => window.client.passwords.resetByEmail({ ...args, session_duration_minutes: 60 })),
  signIn: (args) => outcome(() => window.client.passwords.authenticate({ ...args, session_duration_minutes: 60 })),
  async session() {
    const authenticated = await window.client.session.authenticate();
    return { memberId: authenticated.member.member_id, cookie: document.cookie.includes('stytch_session=') };
  },
`);

const NEW_PASSWORD = 'Mellow-Cactus-Parade-2044?';

let world: SdkPageWorld;

before(async () => {
  world = await startSdkPageWorld(PAGE_SCRIPT);
});
after(() => world?.close());

test('vanilla-js B2B headless: reset a member password by email and sign in with the new one', async () => {
  const { project, organization } = await b2bWorld(world.server, world.pageOrigin, B2B_POLICY);
  const organization_id: string = organization.organization_id;
  const email = `forgetful.${Math.random().toString(36).slice(2, 8)}@example.com`;
  const member = await memberWithPassword(project, organization_id, email);
  const { context, call, failures } = await openB2BHeadlessPage(world, 'resetTest', project.credentials.public_token);
  try {
    const started = await call('resetStart', { organization_id, email_address: email, reset_password_redirect_url: 'https://app.test/reset' });
    assert.equal(started.ok?.status_code, 200, JSON.stringify(started));
    assert.equal(started.ok.member_id, undefined, 'the answer says nothing of the member');
    // The link is made after the answer (a stranger's answer is the same, and as quick).
    let outbox = await project.api('GET', `/v1/project/outbox?to=${encodeURIComponent(email)}&limit=1`);
    for (let i = 0; i < 100 && outbox.body.messages.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      outbox = await project.api('GET', `/v1/project/outbox?to=${encodeURIComponent(email)}&limit=1`);
    }
    const link = new URL(outbox.body.messages[0].link);
    assert.equal(`${link.origin}${link.pathname}`, 'https://app.test/reset');
    assert.equal(link.searchParams.get('stytch_token_type'), 'multi_tenant_passwords');
    const password_reset_token = link.searchParams.get('token')!;

    const reset = await call('reset', { password_reset_token, password: NEW_PASSWORD });
    assert.equal(reset.ok?.member_id, member.member_id, JSON.stringify(reset));
    const session = await call('session');
    assert.equal(session.memberId, member.member_id);
    assert.equal(session.cookie, true);
    assert.deepEqual(await call('reset', { password_reset_token, password: 'Another-Lovely-Walrus-1999' }), { error: 'unable_to_auth_password_reset_token' });
    assert.equal((await call('signIn', { organization_id, email_address: email, password: NEW_PASSWORD })).ok?.member_id, member.member_id);
  } finally {
    await context.close();
  }
  assert.deepEqual(failures, []);
});
