// sso.authenticate of the official @stytch/vanilla-js B2B headless client in headless Chromium
// (/sdk/v1/b2b/sso/authenticate): after a SAML sign-in at a real test IdP, the page hands the one-time
// token from the redirect to the SDK, which signs the member in with the browser's session cookie;
// the session records the browser, and authorization is checked on it. PKCE: a sign-in started with a
// code challenge is finished only with its verifier, as the SDK sends it. The intermediate session the
// SDK keeps (from a sign-in the organization's rules did not accept alone) goes with it.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { B2B_POLICY, expectOk } from '../testing/b2b.ts';
import { expectError } from '../testing/harness.ts';
import { createSamlIdp, readAuthnRequest, type SamlTestIdp } from '../testing/saml-idp.ts';
import { b2bWorld, memberWithPassword, PASSWORD, sdkCall } from '../testing/sdk.ts';
import { b2bHeadlessScript, openB2BHeadlessPage, startSdkPageWorld, type SdkPageWorld } from '../testing/sdk-page.ts';
import { APP_REDIRECT, createSamlConnection, postAcs, samlAcs, ssoTokenOf } from '../testing/sso.ts';

const PAGE_SCRIPT = b2bHeadlessScript('ssoTest', `
  password: (body) => outcome(() => window.client.passwords.authenticate({ ...body, session_duration_minutes: 60 })),
  authenticate: (sso_token) => outcome(async () => {
    const answer = await window.client.sso.authenticate({ sso_token, session_duration_minutes: 60 });
    const authenticated = await window.client.session.authenticate();
    return {
      answer,
      session: authenticated.member_session,
      cookie: document.cookie.includes('stytch_session='),
      userAgent: navigator.userAgent,
      canWrite: await window.client.rbac.isAuthorized('documents', 'write'),
    };
  }),
`);

let world: SdkPageWorld;
let idp: SamlTestIdp;

before(async () => {
  world = await startSdkPageWorld(PAGE_SCRIPT);
  idp = await createSamlIdp();
});
after(() => world?.close());

async function setUp() {
  const { project, organization } = await b2bWorld(world.server, world.pageOrigin, B2B_POLICY);
  const connection = await createSamlConnection((method, path, body) => project.api(method, path, body), organization.organization_id, idp, {
    saml_connection_implicit_role_assignments: [{ role_id: 'editor' }],
  });
  return { project, organization, connection };
}

const person = () => {
  const email = `sam.${Math.random().toString(36).slice(2, 8)}@acme.example`;
  return { nameId: email, email };
};

test('sso.authenticate: the SDK signs the member in with the token from the redirect; session attributes; authorization checks; the token is single use', async () => {
  const { project, organization, connection } = await setUp();
  const user = person();
  const token = ssoTokenOf(await samlAcs(world.server, idp, project.credentials, connection, user));
  const { call, context, failures } = await openB2BHeadlessPage(world, 'ssoTest', project.credentials.public_token);
  try {
    const signedIn = await call('authenticate', token);
    assert.deepEqual(failures, []);
    assert.equal(signedIn.ok?.answer.member.email_address, user.email, JSON.stringify(signedIn));
    assert.equal(signedIn.ok.answer.member_session.authentication_factors[0].type, 'sso');
    assert.equal(signedIn.ok.cookie, true);
    assert.equal(signedIn.ok.canWrite, true, 'the connection\'s role');
    assert.deepEqual(signedIn.ok.session.attributes, { ip_address: '127.0.0.1', user_agent: signedIn.ok.userAgent });

    const check = (action: string) => ({
      session_token: signedIn.ok.answer.session_token,
      authorization_check: { organization_id: organization.organization_id, resource_id: 'documents', action },
    });
    expectOk(await project.api('POST', '/v1/b2b/sessions/authenticate', check('write')));
    expectError(await project.api('POST', '/v1/b2b/sessions/authenticate', check('delete')), 403, 'session_authorization_error');

    assert.equal((await call('authenticate', token)).error, 'sso_token_not_found', 'used once');
  } finally {
    await context.close();
  }
});

test('PKCE: a sign-in started with a code challenge is finished only with its verifier', async () => {
  const { project, connection } = await setUp();
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const query = new URLSearchParams({
    connection_id: connection.connection_id, public_token: project.credentials.public_token, login_redirect_url: APP_REDIRECT, signup_redirect_url: APP_REDIRECT, pkce_code_challenge: challenge,
  });
  const started = await fetch(`${world.server.baseUrl}/v1/public/sso/start?${query}`, { redirect: 'manual' });
  assert.equal(started.status, 302, await started.text());
  const request = readAuthnRequest(started.headers.get('location')!);
  const user = person();
  const samlResponse = idp.response({ acsUrl: connection.acs_url, audience: connection.audience_uri, requestId: request.id, user });
  const token = ssoTokenOf(await postAcs(world.server, connection.connection_id, samlResponse, request.relayState!));

  const browser = { publicToken: project.credentials.public_token, origin: world.pageOrigin };
  const authenticate = (body: object) => sdkCall(world.server, browser, 'POST', '/b2b/sso/authenticate', { sso_token: token, session_duration_minutes: 60, ...body });
  expectError(await authenticate({}), 400, 'pkce_expected_code_verifier');
  expectError(await authenticate({ pkce_code_verifier: randomBytes(32).toString('base64url') }), 400, 'pkce_mismatch');
  const signedIn = await authenticate({ pkce_code_verifier: verifier });
  assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
  assert.equal(signedIn.body.data.member.email_address, user.email);
  assert.ok(signedIn.body.data.session_token);
});


test('an intermediate session the SDK holds (a password where only SSO is allowed) is completed by sso.authenticate, holding both factors', async () => {
  const { project, organization, connection } = await setUp();
  const organization_id = organization.organization_id;
  await project.updateOrganization(organization_id, { auth_methods: 'RESTRICTED', allowed_auth_methods: ['sso'] });
  const user = person();
  // The IdP's first sign-in creates the member (SSO is allowed); it then gets a password.
  expectOk(await project.api('POST', '/v1/b2b/sso/authenticate', { sso_token: ssoTokenOf(await samlAcs(world.server, idp, project.credentials, connection, user)) }));
  await memberWithPassword(project, organization_id, user.email);
  const { call, context } = await openB2BHeadlessPage(world, 'ssoTest', project.credentials.public_token);
  try {
    const byPassword = await call('password', { organization_id, email_address: user.email, password: PASSWORD });
    assert.equal(byPassword.ok?.member_authenticated, false, JSON.stringify(byPassword));
    assert.deepEqual(byPassword.ok.primary_required, { allowed_auth_methods: ['sso'] });
    const token = ssoTokenOf(await samlAcs(world.server, idp, project.credentials, connection, user));
    const bySso = await call('authenticate', token);
    assert.equal(bySso.ok?.answer.member_authenticated, true, JSON.stringify(bySso));
    assert.deepEqual(bySso.ok.session.authentication_factors.map((factor: { type: string }) => factor.type), ['password', 'sso']);
  } finally {
    await context.close();
  }
});
