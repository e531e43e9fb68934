// OAuth sign-in against real peers on loopback: oidc-provider standing in for Google and Microsoft
// (the presets' endpoints overridden), and a GitHub stand-in (testing/oauth.ts) for GitHub's plain
// OAuth 2 flow and API. Driven as a browser and the official `stytch` clients would: the public
// start, the provider's sign-in, the callback, then oauth.authenticate / b2b oauth.authenticate /
// b2b oauth.discovery.authenticate, and an authorization check on each session made.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { ProjectCredentials } from '../projects/service.ts';
import { B2BProject, CONSUMER_POLICY, expectOk } from '../testing/b2b.ts';
import { expectError, ManualClock, startTestServer, type TestServer } from '../testing/harness.ts';
import { finishOAuth, githubOverrides, oauthFlow, oidcOverrides, startGitHubStandIn, startOAuth, tokenOf, type GitHubStandIn } from '../testing/oauth.ts';
import { startOidcProvider, type TestOidcProvider } from '../testing/oidc-provider.ts';
import { b2bClient, consumerClient, expectStytchError } from '../testing/stytch-clients.ts';

const APP = 'https://app.example.com/authenticate';
let server: TestServer;
let google: TestOidcProvider;
let microsoft: TestOidcProvider;
let github: GitHubStandIn;

before(async () => {
  server = await startTestServer({ env: { GATEHOUSE_OUTBOUND_ALLOW_PRIVATE: 'true' } });
  const callback = (provider: string) => [`${server.config.publicUrl}/v1/oauth/callback/${provider}`];
  google = await startOidcProvider({ redirectUris: callback('google'), tokenEndpointAuthMethod: 'client_secret_post' });
  microsoft = await startOidcProvider({ redirectUris: callback('microsoft'), tokenEndpointAuthMethod: 'client_secret_post' });
  github = await startGitHubStandIn();
});
after(async () => {
  await google?.stop();
  await microsoft?.stop();
  await github?.stop();
  await server?.close();
});

async function configure(project: ProjectCredentials) {
  expectOk(await server.api(project, 'PUT', '/v1/project/oauth_providers/google', oidcOverrides(google)));
  expectOk(await server.api(project, 'PUT', '/v1/project/oauth_providers/microsoft', oidcOverrides(microsoft)));
  expectOk(await server.api(project, 'PUT', '/v1/project/oauth_providers/github', githubOverrides(github)));
}

const pkce = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};
const sub = () => `sub-${randomBytes(6).toString('hex')}`;
const consumerStart = (provider: string) => `/v1/public/oauth/${provider}/start`;

describe('provider settings', () => {
  test('the secret is sealed at rest and never answered; endpoints show the override or the preset; unknown providers and insecure URLs are refused', async () => {
    const project = await server.createProject();
    const put = expectOk(await server.api(project, 'PUT', '/v1/project/oauth_providers/google', { client_id: 'gid', client_secret: 'very-secret-value' }));
    assert.equal(put.oauth_provider.token_url, 'https://oauth2.googleapis.com/token');
    assert.ok(!JSON.stringify(put).includes('very-secret-value'));
    const { rows } = await server.gatehouse.db.query<{ client_secret_encrypted: string }>('SELECT client_secret_encrypted FROM oauth_providers WHERE project_id = $1', [project.project_id]);
    assert.ok(!rows[0]!.client_secret_encrypted.includes('very-secret-value'));
    // A later PUT without a secret keeps the stored one.
    expectOk(await server.api(project, 'PUT', '/v1/project/oauth_providers/google', { client_id: 'gid2', issuer: 'https://accounts.google.com' }));
    const listed = expectOk(await server.api(project, 'GET', '/v1/project/oauth_providers')).oauth_providers;
    assert.deepEqual(listed.map((entry: any) => [entry.provider, entry.client_id]), [['google', 'gid2']]);
    expectError(await server.api(project, 'PUT', '/v1/project/oauth_providers/myspace', { client_id: 'x', client_secret: 'y' }), 400, 'oauth_provider_unknown');
    expectError(await server.api(project, 'PUT', '/v1/project/oauth_providers/github', { client_id: 'x' }), 400, 'invalid_argument');
    expectError(await server.api(project, 'PUT', '/v1/project/oauth_providers/github', { client_id: 'x', client_secret: 'y', token_url: 'javascript:alert(1)' }), 400, 'invalid_argument');
    expectOk(await server.api(project, 'DELETE', '/v1/project/oauth_providers/google'));
    expectError(await server.api(project, 'DELETE', '/v1/project/oauth_providers/google'), 404, 'oauth_config_not_found');
    const start = await startOAuth(server, consumerStart('google'), { public_token: project.public_token });
    assert.equal(start.status, 404);
  });
});

describe('consumer (stytch Client oauth.authenticate)', () => {
  test('Google sign-up then sign-in with PKCE; the session passes an authorization check; providers lists the registration', async () => {
    const project = await server.createProject();
    await configure(project);
    expectOk(await server.api(project, 'PUT', '/v1/rbac/policy', { policy: CONSUMER_POLICY }));
    const client = consumerClient(server, project);
    const id = sub();
    google.setUser({ sub: id, email: `${id}@gmail.test`, email_verified: true, name: 'Ann' });
    const { verifier, challenge } = pkce();
    const first = tokenOf(await oauthFlow(server, consumerStart('google'), {
      public_token: project.public_token, login_redirect_url: 'https://app.example.com/login', signup_redirect_url: 'https://app.example.com/signup', code_challenge: challenge,
    }, (url) => google.signIn(url)));
    assert.equal(first.type, 'oauth');
    assert.equal(first.url, 'https://app.example.com/signup');
    await expectStytchError(client.oauth.authenticate({ token: first.token, session_duration_minutes: 30 }), 'pkce_expected_code_verifier');
    const signedUp = await client.oauth.authenticate({ token: first.token, code_verifier: verifier, session_duration_minutes: 30 });
    assert.equal(signedUp.provider_type, 'Google');
    assert.equal(signedUp.provider_subject, id);
    assert.equal(signedUp.user.emails[0]!.email, `${id}@gmail.test`);
    assert.equal(signedUp.user.emails[0]!.verified, true);
    assert.deepEqual(signedUp.user.providers.map((entry) => [entry.provider_type, entry.provider_subject, entry.oauth_user_registration_id]), [['Google', id, signedUp.oauth_user_registration_id]]);
    assert.equal(signedUp.user_session!.authentication_factors[0]!.delivery_method, 'oauth_google');
    // The token is spent.
    await expectStytchError(client.oauth.authenticate({ token: first.token, code_verifier: verifier }), 'oauth_token_not_found');
    // Authorization on the session: refused with only stytch_user, allowed once the user holds viewer.
    const check = { resource_id: 'documents', action: 'read' };
    await expectStytchError(client.sessions.authenticate({ session_token: signedUp.session_token, authorization_check: check }), 'consumer_session_authorization_error');
    expectOk(await server.api(project, 'PUT', `/v1/users/${signedUp.user_id}`, { roles: ['viewer'] }));
    const checked = await client.sessions.authenticate({ session_token: signedUp.session_token, authorization_check: check });
    assert.equal(checked.user.user_id, signedUp.user_id);

    const second = tokenOf(await oauthFlow(server, consumerStart('google'), { public_token: project.public_token }, (url) => google.signIn(url)), 'http://localhost:3000/authenticate');
    const signedIn = await client.oauth.authenticate({ token: second.token, session_duration_minutes: 30 });
    assert.equal(signedIn.user_id, signedUp.user_id);
  });

  test('an existing user is linked only when the provider says the address is verified (Google email_verified; Microsoft xms_edov)', async () => {
    const project = await server.createProject();
    await configure(project);
    const client = consumerClient(server, project);
    const email = `${sub()}@example.test`;
    const existing = expectOk(await server.api(project, 'POST', '/v1/users', { email }));

    google.setUser({ sub: sub(), email, email_verified: false });
    const refused = await oauthFlow(server, consumerStart('google'), { public_token: project.public_token }, (url) => google.signIn(url));
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error_type, 'oauth_email_not_verified');
    // Microsoft says email_verified but not xms_edov: not verified either.
    microsoft.setUser({ sub: sub(), email, email_verified: true });
    const msRefused = await oauthFlow(server, consumerStart('microsoft'), { public_token: project.public_token }, (url) => microsoft.signIn(url));
    assert.equal(msRefused.body.error_type, 'oauth_email_not_verified');
    const { rows } = await server.gatehouse.db.query('SELECT 1 FROM oauth_registrations WHERE project_id = $1', [project.project_id]);
    assert.equal(rows.length, 0);

    microsoft.setUser({ sub: sub(), email, extraClaims: { xms_edov: true } });
    const linked = tokenOf(await oauthFlow(server, consumerStart('microsoft'), { public_token: project.public_token }, (url) => microsoft.signIn(url)));
    const response = await client.oauth.authenticate({ token: linked.token, session_duration_minutes: 10 });
    assert.equal(response.user_id, existing.user_id);
    assert.equal(response.provider_type, 'Microsoft');
  });

  test('GitHub: the primary verified address from /user/emails; an unverified primary address neither signs up nor links', async () => {
    const project = await server.createProject();
    await configure(project);
    const client = consumerClient(server, project);
    const login = sub();
    github.setUser({ id: 4242, login, name: 'Octo Cat', emails: [{ email: `other-${login}@example.test`, primary: false, verified: true }, { email: `${login}@example.test`, primary: true, verified: true }] });
    const { verifier, challenge } = pkce();
    const done = tokenOf(await oauthFlow(server, consumerStart('github'), { public_token: project.public_token, code_challenge: challenge }, (url) => github.signIn(url)));
    const response = await client.oauth.authenticate({ token: done.token, code_verifier: verifier, session_duration_minutes: 10 });
    assert.equal(response.provider_type, 'GitHub');
    assert.equal(response.provider_subject, '4242');
    assert.equal(response.user.emails[0]!.email, `${login}@example.test`);
    // Gatehouse sent the PKCE verifier and its secret to GitHub's token endpoint.
    const exchange = github.seen.filter((entry) => entry.path === '/login/oauth/access_token').at(-1)!;
    assert.ok(exchange.form!.code_verifier && exchange.form!.client_secret === github.clientSecret);

    github.setUser({ id: 5151, login: `${login}-2`, emails: [{ email: `new-${login}@example.test`, primary: true, verified: false }] });
    const unverified = await oauthFlow(server, consumerStart('github'), { public_token: project.public_token }, (url) => github.signIn(url));
    assert.equal(unverified.body.error_type, 'oauth_email_not_verified');
  });

  test('state: replayed, unknown or of another provider is refused; the provider\'s refusal, a wrong nonce and a wrong client secret are refused; unregistered redirect URLs are refused at the start', async () => {
    const project = await server.createProject();
    await configure(project);
    google.setUser({ sub: sub(), email: `${sub()}@gmail.test` });
    const start = await startOAuth(server, consumerStart('google'), { public_token: project.public_token });
    const callback = await google.signIn(start.headers.get('location')!);
    tokenOf(await finishOAuth(server, callback));
    const replay = await finishOAuth(server, callback);
    assert.equal(replay.status, 400);
    assert.equal(replay.body.error_type, 'oauth_state_mismatch');

    const other = await startOAuth(server, consumerStart('google'), { public_token: project.public_token });
    const otherCallback = await google.signIn(other.headers.get('location')!);
    const wrongProvider = new URL(otherCallback);
    wrongProvider.pathname = '/v1/oauth/callback/microsoft';
    assert.equal((await finishOAuth(server, wrongProvider)).body.error_type, 'oauth_state_mismatch');
    const forged = new URL(otherCallback);
    forged.searchParams.set('state', 'forged');
    assert.equal((await finishOAuth(server, forged)).body.error_type, 'oauth_state_mismatch');

    // The provider's refusal; an ID token whose nonce is not the flow's (the flow's nonce changed under it).
    const denied = await oauthFlow(server, consumerStart('google'), { public_token: project.public_token }, (url) => google.signIn(url, { deny: true }));
    assert.deepEqual([denied.status, denied.body.error_type], [400, 'oauth_provider_error']);
    const third = await startOAuth(server, consumerStart('google'), { public_token: project.public_token });
    await server.gatehouse.db.query("UPDATE oauth_flows SET nonce = 'not-the-nonce-sent' WHERE project_id = $1 AND used_at IS NULL", [project.project_id]);
    const badNonce = await finishOAuth(server, await google.signIn(third.headers.get('location')!));
    assert.equal(badNonce.body.error_type, 'oauth_id_token_invalid');
    // GitHub with a wrong client secret: the code exchange is refused.
    expectOk(await server.api(project, 'PUT', '/v1/project/oauth_providers/github', { ...githubOverrides(github), client_secret: 'wrong' }));
    github.setUser({ id: 9, login: sub(), emails: [{ email: `${sub()}@gh.test`, primary: true, verified: true }] });
    const wrongSecret = await oauthFlow(server, consumerStart('github'), { public_token: project.public_token }, (url) => github.signIn(url));
    assert.equal(wrongSecret.body.error_type, 'oauth_token_exchange_failed');

    const evil = await startOAuth(server, consumerStart('google'), { public_token: project.public_token, login_redirect_url: 'https://evil.example/steal' });
    assert.equal(evil.status, 400);
    const unknownToken = await startOAuth(server, consumerStart('google'), { public_token: 'public-token-test-00000000-0000-0000-0000-000000000000' });
    assert.equal(unknownToken.status, 401);
  });
});

describe('B2B (stytch B2BClient)', () => {
  test('org login: JIT by allowed domain with a verified address; the member session passes an authorization check; an unverified address is refused', async () => {
    const b2b = await B2BProject.create(server);
    await configure(b2b.credentials);
    const client = b2bClient(server, b2b.credentials);
    const domain = `acme-${randomBytes(4).toString('hex')}.test`;
    const org = await b2b.createOrganization({ email_jit_provisioning: 'RESTRICTED', email_allowed_domains: [domain] });
    const id = sub();
    google.setUser({ sub: id, email: `ann@${domain}`, email_verified: true, name: 'Ann' });
    const { verifier, challenge } = pkce();
    const done = tokenOf(await oauthFlow(server, '/v1/b2b/public/oauth/google/start', {
      public_token: b2b.credentials.public_token, organization_id: org.organization_id, pkce_code_challenge: challenge,
    }, (url) => google.signIn(url)));
    assert.equal(done.type, 'oauth');
    const response = await client.oauth.authenticate({ oauth_token: done.token, pkce_code_verifier: verifier, session_duration_minutes: 30 });
    assert.equal(response.member.email_address, `ann@${domain}`);
    assert.equal(response.provider_type, 'Google');
    assert.equal(response.member_authenticated, true);
    assert.equal((response.member as any).oauth_registrations[0].provider_subject, id);
    assert.equal(response.member_session!.authentication_factors[0]!.delivery_method, 'oauth_google');
    const allowed = await client.sessions.authenticate({ session_token: response.session_token, authorization_check: { organization_id: org.organization_id, resource_id: 'stytch.self', action: 'update.info.name' } });
    assert.equal(allowed.member.member_id, response.member_id);
    await expectStytchError(client.sessions.authenticate({ session_token: response.session_token, authorization_check: { organization_id: org.organization_id, resource_id: 'stytch.member', action: 'delete' } }), 'session_authorization_error');

    // An unverified address: no JIT membership.
    google.setUser({ sub: sub(), email: `bob@${domain}`, email_verified: false });
    const refused = await oauthFlow(server, '/v1/b2b/public/oauth/google/start', { public_token: b2b.credentials.public_token, organization_id: org.organization_id }, (url) => google.signIn(url));
    assert.equal(refused.body.error_type, 'oauth_email_not_verified');
    // A verified address outside the allowed domains: no JIT either.
    google.setUser({ sub: sub(), email: `eve@elsewhere.test`, email_verified: true });
    const outside = await oauthFlow(server, '/v1/b2b/public/oauth/google/start', { public_token: b2b.credentials.public_token, organization_id: org.organization_id }, (url) => google.signIn(url));
    assert.equal(outside.body.error_type, 'invalid_email_for_jit_provisioning');
  });

  test('an invited member is linked by a verified address; an organization restricted to other methods answers primary_required', async () => {
    const b2b = await B2BProject.create(server);
    await configure(b2b.credentials);
    const client = b2bClient(server, b2b.credentials);
    const org = await b2b.createOrganization();
    const email = `${sub()}@corp.test`;
    const invited = expectOk(await b2b.api('POST', `/v1/b2b/organizations/${org.organization_id}/members`, { email_address: email, create_member_as_pending: true })).member;
    github.setUser({ id: 777, login: sub(), emails: [{ email, primary: true, verified: true }] });
    const done = tokenOf(await oauthFlow(server, '/v1/b2b/public/oauth/github/start', { public_token: b2b.credentials.public_token, slug: org.organization_slug }, (url) => github.signIn(url)));
    const response = await client.oauth.authenticate({ oauth_token: done.token, session_duration_minutes: 30 });
    assert.equal(response.member_id, invited.member_id);
    assert.equal(response.member.status, 'active');

    // The sign-in decision: an organization that allows only magic links answers primary_required with an intermediate session, no session.
    const restricted = await b2b.createOrganization({ auth_methods: 'RESTRICTED', allowed_auth_methods: ['magic_link'] });
    expectOk(await b2b.api('POST', `/v1/b2b/organizations/${restricted.organization_id}/members`, { email_address: email }));
    const second = tokenOf(await oauthFlow(server, '/v1/b2b/public/oauth/github/start', { public_token: b2b.credentials.public_token, organization_id: restricted.organization_id }, (url) => github.signIn(url)));
    const stepUp = await client.oauth.authenticate({ oauth_token: second.token, session_duration_minutes: 30 });
    assert.equal(stepUp.member_authenticated, false);
    assert.deepEqual((stepUp as any).primary_required, { allowed_auth_methods: ['magic_link'] });
    assert.ok(stepUp.intermediate_session_token);
    assert.equal(stepUp.session_token, '');
  });

  test('discovery: a verified address discovers its organizations and exchanges the intermediate session; an unverified one discovers nothing', async () => {
    const b2b = await B2BProject.create(server);
    await configure(b2b.credentials);
    const client = b2bClient(server, b2b.credentials);
    const org = await b2b.createOrganization();
    const email = `${sub()}@disc.test`;
    const member = expectOk(await b2b.api('POST', `/v1/b2b/organizations/${org.organization_id}/members`, { email_address: email })).member;
    google.setUser({ sub: sub(), email, email_verified: true, name: 'Dee' });
    const { verifier, challenge } = pkce();
    const done = tokenOf(await oauthFlow(server, '/v1/b2b/public/oauth/google/discovery/start', {
      public_token: b2b.credentials.public_token, discovery_redirect_url: APP, pkce_code_challenge: challenge,
    }, (url) => google.signIn(url)), APP);
    assert.equal(done.type, 'discovery_oauth');
    const discovered = await client.oauth.discovery.authenticate({ discovery_oauth_token: done.token, pkce_code_verifier: verifier });
    assert.equal(discovered.email_address, email);
    assert.equal(discovered.full_name, 'Dee');
    assert.deepEqual(discovered.discovered_organizations.map((entry) => entry.organization!.organization_id), [org.organization_id]);
    const exchanged = await client.discovery.intermediateSessions.exchange({ intermediate_session_token: discovered.intermediate_session_token, organization_id: org.organization_id, session_duration_minutes: 30 });
    assert.equal(exchanged.member_id, member.member_id);
    assert.equal(exchanged.member_session!.authentication_factors[0]!.type, 'oauth');
    const checked = await client.sessions.authenticate({ session_token: exchanged.session_token, authorization_check: { organization_id: org.organization_id, resource_id: 'stytch.self', action: 'update.info.name' } });
    assert.equal(checked.member.member_id, member.member_id);
    await expectStytchError(client.oauth.discovery.authenticate({ discovery_oauth_token: done.token, pkce_code_verifier: verifier }), 'oauth_token_not_found');

    google.setUser({ sub: sub(), email, email_verified: false });
    const refused = await oauthFlow(server, '/v1/b2b/public/oauth/google/discovery/start', { public_token: b2b.credentials.public_token, discovery_redirect_url: APP }, (url) => google.signIn(url));
    assert.equal(refused.body.error_type, 'oauth_email_not_verified');
  });
});

describe('expiry, rate limits and a presented session', () => {
  test('a state past 10 minutes and a token past 10 minutes are refused; a start past the limit is 429 and leaves no flow; expired tokens are purged', async () => {
    const clock = new ManualClock(Date.now());
    const timed = await startTestServer({ clock, env: { GATEHOUSE_OUTBOUND_ALLOW_PRIVATE: 'true', GATEHOUSE_SSO_START_LIMIT: '4' } });
    try {
      const project = await timed.createProject();
      expectOk(await timed.api(project, 'PUT', '/v1/project/oauth_providers/google', oidcOverrides(google)));
      google.setUser({ sub: sub(), email: `${sub()}@gmail.test` });
      const start = await startOAuth(timed, consumerStart('google'), { public_token: project.public_token });
      assert.equal(start.status, 302, await start.text());
      const callback = await google.signIn(start.headers.get('location')!);
      clock.advance(10 * 60_000 + 1000);
      assert.equal((await finishOAuth(timed, callback)).body.error_type, 'oauth_state_mismatch');

      const done = tokenOf(await oauthFlow(timed, consumerStart('google'), { public_token: project.public_token }, (url) => google.signIn(url)));
      clock.advance(10 * 60_000 + 1000);
      expectError(await timed.api(project, 'POST', '/v1/oauth/authenticate', { token: done.token }), 404, 'oauth_token_not_found');

      // The limit counts per IP per minute (the starts above were in earlier minutes); the expired flows were purged by the new starts.
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await startOAuth(timed, consumerStart('google'), { public_token: project.public_token })).status);
      assert.deepEqual(statuses, [302, 302, 302, 302, 429]);
      const { rows } = await timed.gatehouse.db.query('SELECT 1 FROM oauth_flows WHERE project_id = $1', [project.project_id]);
      assert.equal(rows.length, 4);

      // The expired token nobody exchanged is purged by a later sign-in: only the new one is kept.
      clock.advance(60_000);
      tokenOf(await oauthFlow(timed, consumerStart('google'), { public_token: project.public_token }, (url) => google.signIn(url)));
      const tokens = await timed.gatehouse.db.query('SELECT 1 FROM oauth_tokens WHERE project_id = $1', [project.project_id]);
      assert.equal(tokens.rows.length, 1);
    } finally {
      await timed.close();
    }
  });

  test("another user's session is refused and the token stays good; the user's own session gets the OAuth factor added", async () => {
    const project = await server.createProject();
    await configure(project);
    const client = consumerClient(server, project);
    const other = await client.passwords.create({ email: `${sub()}@other.test`, password: 'violet-Harbor-87-quietly-Lantern', session_duration_minutes: 30 });
    const email = `${sub()}@own.test`;
    const own = await client.passwords.create({ email, password: 'violet-Harbor-87-quietly-Lantern', session_duration_minutes: 30 });
    google.setUser({ sub: sub(), email, email_verified: true });
    const done = tokenOf(await oauthFlow(server, consumerStart('google'), { public_token: project.public_token }, (url) => google.signIn(url)));
    await expectStytchError(client.oauth.authenticate({ token: done.token, session_token: other.session_token }), 'session_user_mismatch');
    const added = await client.oauth.authenticate({ token: done.token, session_token: own.session_token });
    assert.equal(added.user_id, own.user_id);
    assert.deepEqual(added.user_session!.authentication_factors.map((factor) => factor.type), ['password', 'oauth']);
  });
});
