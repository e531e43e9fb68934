// The browser SDK API over real HTTP: CORS for the project's allowed origins (echoed, preflight,
// foreign origins refused), public-token authentication (the secret and unknown tokens refused),
// the {data: …} wrapping, the bootstrap, the allowed-origins API, and the consumer endpoints with
// what a browser may not write.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { expectError, startTestServer, basicAuth, type TestServer } from '../testing/harness.ts';
import { allowOrigin, consumerWorld, expectData, PASSWORD, sdkAuthorization, sdkCall, CONSUMER_POLICY } from '../testing/sdk.ts';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

const APP = 'http://localhost:5173';
const FOREIGN = 'https://evil.example';

async function signIn(publicToken: string, email = 'ada@example.com') {
  return expectData(await sdkCall(server, { publicToken, origin: APP }, 'POST', '/passwords/authenticate', { email, password: PASSWORD, session_duration_minutes: 60 }));
}

describe('CORS', () => {
  test('an allowed origin is echoed exactly, with credentials allowed', async () => {
    const { credentials } = await consumerWorld(server, APP);
    const response = await sdkCall(server, { publicToken: credentials.public_token, origin: APP }, 'GET', `/projects/bootstrap/${credentials.public_token}`);
    expectData(response);
    assert.equal(response.headers.get('access-control-allow-origin'), APP);
    assert.equal(response.headers.get('access-control-allow-credentials'), 'true');
    assert.match(response.headers.get('vary') ?? '', /Origin/);
  });

  test('preflight: allowed methods and the SDK headers, 204, no credentials needed', async () => {
    await consumerWorld(server, APP);
    const response = await server.raw('/sdk/v1/passwords/authenticate', {
      method: 'OPTIONS',
      headers: { origin: APP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-sdk-client,x-sdk-parent-host' },
    });
    assert.equal(response.status, 204);
    assert.equal(response.headers.get('access-control-allow-origin'), APP);
    assert.equal(response.headers.get('access-control-allow-credentials'), 'true');
    for (const method of ['GET', 'POST', 'PUT', 'DELETE']) assert.match(response.headers.get('access-control-allow-methods')!, new RegExp(method));
    for (const header of ['Authorization', 'Content-Type', 'X-SDK-Client', 'X-SDK-Parent-Host']) {
      assert.match(response.headers.get('access-control-allow-headers')!, new RegExp(header));
    }
  });

  test('a foreign origin: preflight and request refused with 403 and no CORS headers, nothing done', async () => {
    const { credentials } = await consumerWorld(server, APP);
    const preflight = await server.raw('/sdk/v1/passwords/authenticate', { method: 'OPTIONS', headers: { origin: FOREIGN, 'access-control-request-method': 'POST' } });
    expectError(preflight, 403, 'origin_not_allowed');
    assert.equal(preflight.headers.get('access-control-allow-origin'), null);
    const response = await sdkCall(server, { publicToken: credentials.public_token, origin: FOREIGN }, 'POST', '/passwords/authenticate', {
      email: 'ada@example.com',
      password: PASSWORD,
      session_duration_minutes: 60,
    });
    expectError(response, 403, 'origin_not_allowed');
    assert.equal(response.headers.get('access-control-allow-origin'), null);
    assert.equal(response.headers.get('access-control-allow-credentials'), null);
  });

  test('an origin allowed by another project passes the preflight but not this project', async () => {
    const { credentials } = await consumerWorld(server, APP);
    const other = await server.createProject();
    await allowOrigin(server, other, 'https://other.example');
    const response = await sdkCall(server, { publicToken: credentials.public_token, origin: 'https://other.example' }, 'GET', `/projects/bootstrap/${credentials.public_token}`);
    expectError(response, 403, 'origin_not_allowed');
    assert.equal(response.headers.get('access-control-allow-origin'), null);
  });

  test('near misses are foreign: other scheme, port, subdomain, trailing path', async () => {
    const { credentials } = await consumerWorld(server, 'https://app.example.com');
    for (const origin of ['http://app.example.com', 'https://app.example.com:8443', 'https://x.app.example.com', 'https://app.example.com.evil', 'null']) {
      const response = await sdkCall(server, { publicToken: credentials.public_token, origin }, 'GET', `/projects/bootstrap/${credentials.public_token}`);
      expectError(response, 403, 'origin_not_allowed');
    }
    expectData(await sdkCall(server, { publicToken: credentials.public_token, origin: 'https://app.example.com' }, 'GET', `/projects/bootstrap/${credentials.public_token}`));
  });

  test('errors from an allowed origin carry the CORS headers, so the page can read them', async () => {
    const { credentials } = await consumerWorld(server, APP);
    const response = await sdkCall(server, { publicToken: credentials.public_token, origin: APP }, 'POST', '/passwords/authenticate', {
      email: 'ada@example.com',
      password: 'wrong-password-entirely-1',
      session_duration_minutes: 60,
    });
    expectError(response, 401, 'unauthorized_credentials');
    assert.equal(response.headers.get('access-control-allow-origin'), APP);
    const unknown = await sdkCall(server, { publicToken: credentials.public_token, origin: APP }, 'GET', '/no/such/thing');
    expectError(unknown, 404, 'route_not_found');
    assert.equal(unknown.headers.get('access-control-allow-origin'), APP);
    const wrongMethod = await sdkCall(server, { publicToken: credentials.public_token, origin: APP }, 'DELETE', '/users/me');
    expectError(wrongMethod, 405, 'method_not_allowed');
    assert.equal(wrongMethod.headers.get('allow'), 'GET, PUT');
  });
});

describe('allowed origins API (project secret)', () => {
  test('add, list, change the vertical, remove; normalized; bad origins refused', async () => {
    const credentials = await server.createProject();
    const added = await server.api(credentials, 'POST', '/v1/project/allowed_origins', { origin: 'HTTPS://App.Example.com:443' });
    assert.equal(added.status, 200);
    assert.equal(added.body.allowed_origin.origin, 'https://app.example.com');
    assert.equal(added.body.allowed_origin.vertical, 'CONSUMER');
    await server.api(credentials, 'POST', '/v1/project/allowed_origins', { origin: 'http://localhost:3000', vertical: 'B2B' });
    await server.api(credentials, 'POST', '/v1/project/allowed_origins', { origin: 'https://app.example.com', vertical: 'B2B' });
    const listed = await server.api(credentials, 'GET', '/v1/project/allowed_origins');
    assert.deepEqual(
      listed.body.allowed_origins.map((o: { origin: string; vertical: string }) => `${o.origin} ${o.vertical}`),
      ['https://app.example.com B2B', 'http://localhost:3000 B2B'],
    );
    for (const origin of ['ftp://x.example', 'https://x.example/path', 'https://x.example?q=1', 'not a url', 'https://user:pw@x.example', 'null']) {
      expectError(await server.api(credentials, 'POST', '/v1/project/allowed_origins', { origin }), 400, 'invalid_allowed_origin');
    }
    const removed = await server.api(credentials, 'DELETE', '/v1/project/allowed_origins', { origin: 'http://localhost:3000' });
    assert.equal(removed.status, 200);
    assert.deepEqual(removed.body.allowed_origins.map((o: { origin: string }) => o.origin), ['https://app.example.com']);
    expectError(await server.api(credentials, 'DELETE', '/v1/project/allowed_origins?origin=http://localhost:3000'), 404, 'allowed_origin_not_found');
  });

  test('needs the secret; a removed origin is refused at once', async () => {
    const { credentials } = await consumerWorld(server, APP);
    expectError(await server.api(null, 'GET', '/v1/project/allowed_origins'), 401, 'unauthorized_credentials');
    const publicOnly = await server.raw('/v1/project/allowed_origins', { method: 'GET', headers: { authorization: sdkAuthorization(credentials.public_token) } });
    expectError(publicOnly, 401, 'unauthorized_credentials');
    expectData(await sdkCall(server, { publicToken: credentials.public_token, origin: APP }, 'GET', `/projects/bootstrap/${credentials.public_token}`));
    assert.equal((await server.api(credentials, 'DELETE', '/v1/project/allowed_origins', { origin: APP })).status, 200);
    expectError(await sdkCall(server, { publicToken: credentials.public_token, origin: APP }, 'GET', `/projects/bootstrap/${credentials.public_token}`), 403, 'origin_not_allowed');
  });
});

describe('public-token authentication', () => {
  test('the project secret is refused, as Basic project_id:secret and as public_token:secret', async () => {
    const { credentials } = await consumerWorld(server, APP);
    const withSecret = await server.raw('/sdk/v1/passwords/authenticate', {
      method: 'POST',
      headers: { authorization: basicAuth(credentials.project_id, credentials.secret), 'content-type': 'application/json', origin: APP },
      body: JSON.stringify({ email: 'ada@example.com', password: PASSWORD, session_duration_minutes: 60 }),
    });
    expectError(withSecret, 401, 'unauthorized_credentials');
    // The secret where the session token goes is no session.
    expectError(await sdkCall(server, { publicToken: credentials.public_token, sessionToken: credentials.secret, origin: APP }, 'GET', '/users/me'), 404, 'session_not_found');
  });

  test('an unknown or missing public token is refused', async () => {
    await consumerWorld(server, APP);
    const unknown = await sdkCall(server, { publicToken: 'public-token-test-00000000-0000-4000-8000-000000000000', origin: APP }, 'POST', '/passwords/authenticate', {
      email: 'ada@example.com',
      password: PASSWORD,
    });
    expectError(unknown, 401, 'unauthorized_credentials');
    // The origin is allowed somewhere, so the page may read why.
    assert.equal(unknown.headers.get('access-control-allow-origin'), APP);
    const none = await server.raw('/sdk/v1/sessions/authenticate', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expectError(none, 401, 'unauthorized_credentials');
    expectError(await sdkCall(server, { publicToken: 'public-token-test-nope' }, 'GET', '/projects/bootstrap/public-token-test-nope'), 401, 'unauthorized_credentials');
  });

  test('without an Origin header (not a browser) the public token alone is enough', async () => {
    const { credentials } = await consumerWorld(server, APP);
    expectData(await sdkCall(server, { publicToken: credentials.public_token }, 'GET', `/projects/bootstrap/${credentials.public_token}`));
  });

  test('telemetry batches are accepted without credentials', async () => {
    await consumerWorld(server, APP);
    const response = await server.raw('/sdk/v1/events', { method: 'POST', headers: { 'content-type': 'application/json', origin: APP }, body: JSON.stringify([{ telemetry: {}, event: {} }]) });
    expectData(response);
    assert.equal(response.headers.get('access-control-allow-origin'), APP);
  });
});

describe('bootstrap', () => {
  test('the fields the SDK reads, and the consumer policy', async () => {
    const { credentials } = await consumerWorld(server, APP);
    // The bootstrap accepts any Basic password: the SDK sends a stale session token.
    const data = expectData(await sdkCall(server, { publicToken: credentials.public_token, sessionToken: 'stale-token', origin: APP }, 'GET', `/projects/bootstrap/${credentials.public_token}`));
    for (const field of [
      'project_name', 'disable_sdk_watermark', 'cname_domain', 'email_domains', 'captcha_settings', 'pkce_required_for_email_magic_links',
      'pkce_required_for_password_resets', 'pkce_required_for_oauth', 'pkce_required_for_sso', 'slug_pattern', 'create_organization_enabled',
      'password_config', 'dfp_protected_auth_enabled', 'dfp_protected_auth_mode', 'rbac_policy', 'siwe_required_for_crypto_wallets', 'vertical',
    ]) {
      assert.ok(field in data, `bootstrap lacks ${field}`);
    }
    assert.equal(data.password_config, null);
    assert.deepEqual(data.captcha_settings, { enabled: false });
    assert.equal(data.dfp_protected_auth_enabled, false);
    assert.equal(data.cname_domain, null);
    assert.equal(data.vertical, 'CONSUMER');
    assert.deepEqual(data.rbac_policy.resources, CONSUMER_POLICY.resources);
    assert.deepEqual(data.rbac_policy.roles, CONSUMER_POLICY.roles);
    assert.deepEqual(data.rbac_policy.scopes, []);
  });

  test('an origin registered for B2B gets the B2B policy', async () => {
    const credentials = await server.createProject();
    await allowOrigin(server, credentials, APP, 'B2B');
    const data = expectData(await sdkCall(server, { publicToken: credentials.public_token, origin: APP }, 'GET', `/projects/bootstrap/${credentials.public_token}`));
    assert.equal(data.vertical, 'B2B');
    assert.ok(data.rbac_policy.roles.some((role: { role_id: string }) => role.role_id === 'stytch_admin'));
    const consumer = expectData(await sdkCall(server, { publicToken: credentials.public_token }, 'GET', `/projects/bootstrap/${credentials.public_token}?vertical=CONSUMER`));
    assert.ok(consumer.rbac_policy.roles.some((role: { role_id: string }) => role.role_id === 'stytch_user'));
  });
});

describe('consumer endpoints', () => {
  test('password sign-in: user with roles, session, token and JWT, wrapped', async () => {
    const { credentials, userId } = await consumerWorld(server, APP, ['editor']);
    const data = await signIn(credentials.public_token);
    assert.equal(data.user_id, userId);
    assert.deepEqual(data.user.roles, ['stytch_user', 'editor']);
    assert.ok(data.session_token.length > 20);
    assert.equal(data.session_jwt.split('.').length, 3);
    assert.equal(data.session.user_id, userId);
    assert.ok(data.session.session_id && data.session.expires_at);
    // No cookie from the server: the SDK writes its own.
    const response = await sdkCall(server, { publicToken: credentials.public_token, origin: APP }, 'POST', '/passwords/authenticate', {
      email: 'ada@example.com',
      password: PASSWORD,
      session_duration_minutes: 60,
    });
    assert.equal(response.headers.get('set-cookie'), null);
  });

  test('a wrong password is the vague 401; session_custom_claims from the browser are ignored', async () => {
    const { credentials } = await consumerWorld(server, APP);
    expectError(
      await sdkCall(server, { publicToken: credentials.public_token, origin: APP }, 'POST', '/passwords/authenticate', { email: 'ada@example.com', password: 'nope-nope-nope-1' }),
      401,
      'unauthorized_credentials',
    );
    const data = expectData(
      await sdkCall(server, { publicToken: credentials.public_token, origin: APP }, 'POST', '/passwords/authenticate', {
        email: 'ada@example.com',
        password: PASSWORD,
        session_duration_minutes: 60,
        session_custom_claims: { admin: true },
      }),
    );
    assert.deepEqual(data.session.custom_claims, {});
  });

  test('sessions/authenticate with the session in Basic auth; revoke; then session_not_found', async () => {
    const { credentials, userId } = await consumerWorld(server, APP, ['editor']);
    const signedIn = await signIn(credentials.public_token);
    const caller = { publicToken: credentials.public_token, sessionToken: signedIn.session_token, origin: APP };
    const data = expectData(await sdkCall(server, caller, 'POST', '/sessions/authenticate', { session_duration_minutes: 30 }));
    assert.equal(data.user.user_id, userId);
    assert.equal(data.session_token, signedIn.session_token);
    assert.ok(data.session_jwt);
    assert.deepEqual(data.session.roles, ['stytch_user', 'editor']);
    // A role change is seen at the next authenticate.
    await server.api(credentials, 'PUT', `/v1/users/${userId}`, { roles: [] });
    assert.deepEqual(expectData(await sdkCall(server, caller, 'POST', '/sessions/authenticate', {})).user.roles, ['stytch_user']);
    expectData(await sdkCall(server, caller, 'POST', '/sessions/revoke', {}));
    expectError(await sdkCall(server, caller, 'POST', '/sessions/authenticate', {}), 404, 'session_not_found');
    // No session at all.
    expectError(await sdkCall(server, { publicToken: credentials.public_token, origin: APP }, 'POST', '/sessions/authenticate', {}), 404, 'session_not_found');
  });

  test('a session of another project is not found', async () => {
    const a = await consumerWorld(server, APP);
    const b = await consumerWorld(server, APP);
    const signedIn = await signIn(a.credentials.public_token);
    expectError(await sdkCall(server, { publicToken: b.credentials.public_token, sessionToken: signedIn.session_token, origin: APP }, 'GET', '/users/me'), 404, 'session_not_found');
  });

  test('magic link authenticate', async () => {
    const { credentials, userId } = await consumerWorld(server, APP);
    const sent = await server.api(credentials, 'POST', '/v1/magic_links/email/login_or_create', { email: 'ada@example.com' });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    const { rows } = await server.gatehouse.db.query<{ body: string }>(
      `SELECT link AS body FROM email_outbox WHERE project_id = $1 ORDER BY position DESC LIMIT 1`,
      [credentials.project_id],
    );
    const token = /token=([\w-]+)/.exec(rows[0]!.body)![1]!;
    const data = expectData(await sdkCall(server, { publicToken: credentials.public_token, origin: APP }, 'POST', '/magic_links/authenticate', { token, session_duration_minutes: 60 }));
    assert.equal(data.user_id, userId);
    assert.ok(data.session_token && data.session_jwt);
    expectError(await sdkCall(server, { publicToken: credentials.public_token, origin: APP }, 'POST', '/magic_links/authenticate', { token, session_duration_minutes: 60 }), 401, 'unable_to_auth_magic_link');
  });

  test('GET and PUT users/me: name and untrusted_metadata; trusted_metadata, roles, external_id refused, nothing written', async () => {
    const { credentials, userId } = await consumerWorld(server, APP, ['editor']);
    const signedIn = await signIn(credentials.public_token);
    const caller = { publicToken: credentials.public_token, sessionToken: signedIn.session_token, origin: APP };
    const me = expectData(await sdkCall(server, caller, 'GET', '/users/me'));
    assert.equal(me.user_id, userId);
    assert.deepEqual(me.roles, ['stytch_user', 'editor']);

    const updated = expectData(await sdkCall(server, caller, 'PUT', '/users/me', { name: { first_name: 'Ada' }, untrusted_metadata: { theme: 'dark' } }));
    assert.equal(updated.__user.name.first_name, 'Ada');
    assert.deepEqual(updated.__user.untrusted_metadata, { theme: 'dark' });
    assert.equal(updated.user_id, userId);

    expectError(await sdkCall(server, caller, 'PUT', '/users/me', { trusted_metadata: { plan: 'pro' } }), 403, 'cannot_update_trusted_metadata');
    expectError(await sdkCall(server, caller, 'PUT', '/users/me', { roles: ['editor', 'admin'] }), 403, 'cannot_update_roles');
    expectError(await sdkCall(server, caller, 'PUT', '/users/me', { roles: [] }), 403, 'cannot_update_roles');
    expectError(await sdkCall(server, caller, 'PUT', '/users/me', { external_id: 'x-1', name: { first_name: 'Eve' } }), 403, 'field_not_writable_from_browser');
    const after = (await server.api(credentials, 'GET', `/v1/users/${userId}`)).body;
    assert.deepEqual(after.trusted_metadata, {});
    assert.deepEqual(after.roles, ['stytch_user', 'editor']);
    assert.equal(after.name.first_name, 'Ada');
    assert.equal(after.external_id, null);
    // Signed out: no profile.
    expectError(await sdkCall(server, { publicToken: credentials.public_token, origin: APP }, 'GET', '/users/me'), 404, 'session_not_found');
  });
});
