// TOTP and recovery codes through the official @stytch/vanilla-js headless clients in headless
// Chromium against a started Gatehouse. B2B: an organization requiring MFA — password sign-in gives
// mfa_required and the intermediate session the SDK keeps; the member enrols TOTP with it and
// completes the sign-in (both factors); recovery codes listed, rotated, and one completes a later
// sign-in. Consumer: the signed-in user enrols, and a code adds the totp factor to its session.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { B2B_POLICY } from '../testing/b2b.ts';
import { b2bWorld, consumerWorld, memberWithPassword, PASSWORD } from '../testing/sdk.ts';
import { b2bHeadlessScript, openB2BHeadlessPage, startSdkPageWorld, type SdkPageWorld } from '../testing/sdk-page.ts';
import { totpCode } from './totp.ts';

const PAGE_SCRIPT = `
import { StytchHeadlessClient } from '@stytch/vanilla-js/headless';
${b2bHeadlessScript('totpTest', `
  startConsumer({ publicToken, api }) {
    window.client = new StytchHeadlessClient(publicToken, { endpoints: { testAPIURL: api, liveAPIURL: api } });
  },
  password: (args) => outcome(() => window.client.passwords.authenticate({ ...args, session_duration_minutes: 60 })),
  create: (args) => outcome(() => window.client.totp.create(args)),
  authenticate: (args) => outcome(() => window.client.totp.authenticate({ ...args, session_duration_minutes: 60 })),
  codes: () => outcome(() => window.client.recoveryCodes.get()),
  rotate: () => outcome(() => window.client.recoveryCodes.rotate()),
  recover: (args) => outcome(() => window.client.recoveryCodes.recover({ ...args, session_duration_minutes: 60 })),
  async session() {
    const authenticated = await window.client.session.authenticate();
    return authenticated.member_session.authentication_factors.map((f) => f.type + '/' + f.delivery_method);
  },
  signOut: () => outcome(() => window.client.session.revoke()),
  consumerPassword: (args) => outcome(() => window.client.passwords.authenticate({ ...args, session_duration_minutes: 60 })),
  consumerCreate: () => outcome(() => window.client.totps.create({ expiration_minutes: 30 })),
  consumerAuthenticate: (totp_code) => outcome(() => window.client.totps.authenticate({ totp_code, session_duration_minutes: 60 })),
  consumerCodes: () => outcome(() => window.client.totps.recoveryCodes()),
  consumerRecover: (recovery_code) => outcome(() => window.client.totps.recover({ recovery_code, session_duration_minutes: 60 })),
`)}`;

let world: SdkPageWorld;

before(async () => {
  world = await startSdkPageWorld(PAGE_SCRIPT);
});
after(() => world?.close());

test('vanilla-js B2B headless: an organization requiring MFA — password, enrol TOTP with the intermediate session, a session with both factors; recovery codes', async () => {
  const { project, organization } = await b2bWorld(world.server, world.pageOrigin, B2B_POLICY);
  const organization_id: string = organization.organization_id;
  await project.updateOrganization(organization_id, { mfa_policy: 'REQUIRED_FOR_ALL' });
  const email = `totp.${Math.random().toString(36).slice(2, 8)}@example.com`;
  const { member_id } = await memberWithPassword(project, organization_id, email);
  const { context, call, failures } = await openB2BHeadlessPage(world, 'totpTest', project.credentials.public_token);
  try {
    const first = await call('password', { organization_id, email_address: email, password: PASSWORD });
    assert.equal(first.ok?.member_authenticated, false, JSON.stringify(first));
    assert.ok(first.ok.mfa_required);
    const created = await call('create', { organization_id, member_id });
    assert.match(created.ok?.secret ?? '', /^[A-Z2-7]{32}$/, JSON.stringify(created));
    assert.equal(created.ok.recovery_codes.length, 10);
    assert.deepEqual(await call('authenticate', { organization_id, member_id, code: '000000' }), { error: 'otp_code_not_found' });
    const done = await call('authenticate', { organization_id, member_id, code: totpCode(created.ok.secret, new Date()), set_mfa_enrollment: 'enroll' });
    assert.equal(done.ok?.member_authenticated, true, JSON.stringify(done));
    assert.deepEqual((await call('session')).sort(), ['password/knowledge', 'totp/authenticator_app']);
    assert.equal(done.ok.member.totp_registration_id, created.ok.totp_registration_id);

    const listed = await call('codes');
    assert.deepEqual(listed.ok?.recovery_codes, created.ok.recovery_codes, JSON.stringify(listed));
    const rotated = await call('rotate');
    assert.equal(rotated.ok?.recovery_codes.length, 10);

    await call('signOut');
    const again = await call('password', { organization_id, email_address: email, password: PASSWORD });
    assert.equal(again.ok?.mfa_required?.member_options?.totp_registration_id, created.ok.totp_registration_id);
    const recovered = await call('recover', { organization_id, member_id, recovery_code: rotated.ok.recovery_codes[0] });
    assert.equal(recovered.ok?.recovery_codes_remaining, 9, JSON.stringify(recovered));
    assert.deepEqual((await call('session')).sort(), ['password/knowledge', 'recovery_codes/recovery_code']);
  } finally {
    await context.close();
  }
  assert.deepEqual(failures, []);
});

test('vanilla-js consumer headless: the signed-in user enrols TOTP; a code adds the totp factor to its session; recovery codes', async () => {
  const email = `ada.${Math.random().toString(36).slice(2, 8)}@example.com`;
  const { credentials } = await consumerWorld(world.server, world.pageOrigin, [], email);
  const { context, call, failures } = await openB2BHeadlessPage(world, 'totpTest', credentials.public_token);
  try {
    await call('startConsumer', { publicToken: credentials.public_token, api: world.server.baseUrl });
    // Signed out: no enrolment.
    assert.ok((await call('consumerCreate')).error);
    const signedIn = await call('consumerPassword', { email, password: PASSWORD });
    assert.ok(signedIn.ok?.session_token, JSON.stringify(signedIn));
    const created = await call('consumerCreate');
    assert.match(created.ok?.secret ?? '', /^[A-Z2-7]{32}$/, JSON.stringify(created));
    const done = await call('consumerAuthenticate', totpCode(created.ok.secret, new Date()));
    assert.deepEqual(done.ok?.session?.authentication_factors.map((f: any) => f.type).sort(), ['password', 'totp'], JSON.stringify(done));
    const codes = await call('consumerCodes');
    assert.deepEqual(codes.ok?.totps?.[0]?.recovery_codes, created.ok.recovery_codes, JSON.stringify(codes));
    const recovered = await call('consumerRecover', created.ok.recovery_codes[1]);
    assert.ok(recovered.ok?.session?.authentication_factors.some((f: any) => f.type === 'recovery_codes'), JSON.stringify(recovered));
    assert.deepEqual(await call('consumerRecover', created.ok.recovery_codes[1]), { error: 'recovery_code_not_found' });
  } finally {
    await context.close();
  }
  assert.deepEqual(failures, []);
});
