// M2M clients over real HTTP, driven through the official `stytch` Client (v14): create, get,
// search, update, delete, secret rotation, the client-credentials token endpoint (form-encoded as
// the client sends it, JSON, HTTP Basic) and m2m.authenticateToken verifying the token locally
// against the project's JWKS with required scopes. Run with DATABASE_URL for PostgreSQL.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import type { ProjectCredentials } from '../projects/service.ts';
import { expectError, startTestServer, type TestServer } from '../testing/harness.ts';
import { b2bClient, consumerClient, expectStytchError } from '../testing/stytch-clients.ts';
import { fitInRateWindow } from '../testing/rate-window.ts';

let server: TestServer;
let project: ProjectCredentials;
let client: ReturnType<typeof consumerClient>;

before(async () => {
  server = await startTestServer();
  project = await server.createProject();
  client = consumerClient(server, project);
});
after(() => server?.close());

let counter = 0;
const createClient = (scopes = ['read:documents', 'write:documents'], extra: Record<string, unknown> = {}) =>
  client.m2m.clients.create({ scopes, client_name: `service ${++counter}`, ...extra });

/** POST to the token endpoint as a raw request (content type and headers as given). */
function tokenRequest(body: string, headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' }) {
  return server.raw(`/v1/public/${project.project_id}/oauth2/token`, { method: 'POST', headers, body });
}

/** Asserts an RFC 6749 error from the token endpoint, which also carries the envelope. */
function expectOAuthError(response: { status: number; body: any }, status: number, error: string) {
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.equal(response.body.error, error, JSON.stringify(response.body));
  assert.equal(typeof response.body.error_description, 'string');
  assert.equal(typeof response.body.error_type, 'string');
  assert.ok(response.body.request_id);
}

describe('management through stytch.Client m2m.clients', () => {
  test('create shows the secret once; get, update, delete; the secret is stored as a digest only', async () => {
    const created = await createClient(['read:documents'], { client_description: 'nightly sync', trusted_metadata: { team: 'data' } });
    const { m2m_client } = created;
    assert.match(m2m_client.client_id, /^m2m-client-test-[0-9a-f-]{36}$/);
    assert.equal(m2m_client.status, 'active');
    assert.deepEqual(m2m_client.scopes, ['read:documents']);
    assert.ok(m2m_client.client_secret.length >= 43);
    assert.equal(m2m_client.client_secret_last_four, m2m_client.client_secret.slice(-4));
    assert.deepEqual(m2m_client.trusted_metadata, { team: 'data' });

    const got = await client.m2m.clients.get({ client_id: m2m_client.client_id });
    assert.equal(got.m2m_client.client_description, 'nightly sync');
    assert.equal('client_secret' in got.m2m_client, false, 'the secret is shown at create only');
    const { rows } = await server.gatehouse.db.query<{ secret_hash: Uint8Array; row: string }>(
      'SELECT secret_hash, m2m_clients::text AS row FROM m2m_clients WHERE client_id = $1', [m2m_client.client_id]);
    assert.equal(rows[0]!.secret_hash.length, 32);
    assert.equal(rows[0]!.row.includes(m2m_client.client_secret), false, 'no column holds the secret');

    const updated = await client.m2m.clients.update({ client_id: m2m_client.client_id, client_name: 'renamed', scopes: ['read:documents', 'read:users'], trusted_metadata: { tier: 1 } });
    assert.equal(updated.m2m_client.client_name, 'renamed');
    assert.deepEqual(updated.m2m_client.scopes, ['read:documents', 'read:users']);
    assert.deepEqual(updated.m2m_client.trusted_metadata, { team: 'data', tier: 1 });

    const started = await client.m2m.clients.secrets.rotateStart({ client_id: m2m_client.client_id });
    const audit = await server.gatehouse.db.query<{ action: string; entry: string }>(
      `SELECT action, audit_events::text AS entry FROM audit_events WHERE target_type = 'm2m_client' AND target_id = $1 ORDER BY position`, [m2m_client.client_id]);
    assert.deepEqual(audit.rows.map((row) => row.action), ['m2m_client.created', 'm2m_client.updated', 'm2m_client.secret_rotation_started']);
    for (const { entry } of audit.rows) {
      assert.equal(entry.includes(m2m_client.client_secret) || entry.includes(started.m2m_client.next_client_secret), false, 'the audit log holds no secret');
    }

    const deleted = await client.m2m.clients.delete({ client_id: m2m_client.client_id });
    assert.equal(deleted.client_id, m2m_client.client_id);
    await expectStytchError(client.m2m.clients.get({ client_id: m2m_client.client_id }), 'm2m_client_not_found', 404);
    await expectStytchError(client.m2m.token({ client_id: m2m_client.client_id, client_secret: m2m_client.client_secret }), 'invalid_client', 401);
  });

  test('an imported client_id and secret; a short imported secret, a taken id and a bad scope are refused', async () => {
    const secret = 'imported-secret-0123456789abcdef0123456789';
    const clientId = `legacy-client-${++counter}`;
    const created = await client.m2m.clients.create({ client_id: clientId, client_secret: secret, scopes: ['read:x'] });
    assert.equal(created.m2m_client.client_id, clientId);
    assert.equal(created.m2m_client.client_secret, secret);
    assert.ok((await client.m2m.token({ client_id: clientId, client_secret: secret })).access_token);
    await expectStytchError(client.m2m.clients.create({ client_id: clientId, scopes: [] }), 'm2m_client_id_already_exists', 409);
    await expectStytchError(client.m2m.clients.create({ client_secret: 'short', scopes: [] }), 'invalid_argument', 400);
    await expectStytchError(client.m2m.clients.create({ scopes: ['read docs'] }), 'invalid_argument', 400);
    await expectStytchError(client.m2m.clients.create({ client_id: 'bad id!', scopes: [] }), 'invalid_argument', 400);
  });

  test('search: every client, by client_id, client_name and scope, a page at a time', async () => {
    const other = await server.createProject();
    const otherClient = consumerClient(server, other);
    const a = await otherClient.m2m.clients.create({ scopes: ['read:a'], client_name: 'alpha' });
    const b = await otherClient.m2m.clients.create({ scopes: ['read:b', 'write:b'], client_name: 'beta' });
    const c = await otherClient.m2m.clients.create({ scopes: ['read:b'], client_name: 'gamma' });
    const ids = (r: { m2m_clients: { client_id: string }[] }) => r.m2m_clients.map((x) => x.client_id);

    const all = await otherClient.m2m.clients.search({});
    assert.deepEqual(ids(all), [a, b, c].map((x) => x.m2m_client.client_id));
    assert.equal(all.results_metadata.total, 3);
    assert.equal(all.m2m_clients.some((x) => 'client_secret' in x), false);
    const byScope = await otherClient.m2m.clients.search({ query: { operator: 'AND', operands: [{ filter_name: 'scopes', filter_value: ['read:b'] }] } });
    assert.deepEqual(ids(byScope), [b, c].map((x) => x.m2m_client.client_id));
    const byNameOrId = await otherClient.m2m.clients.search({
      query: { operator: 'OR', operands: [{ filter_name: 'client_name', filter_value: ['alpha'] }, { filter_name: 'client_id', filter_value: [c.m2m_client.client_id] }] },
    });
    assert.deepEqual(ids(byNameOrId), [a, c].map((x) => x.m2m_client.client_id));

    const first = await otherClient.m2m.clients.search({ limit: 2 });
    assert.deepEqual(ids(first), [a, b].map((x) => x.m2m_client.client_id));
    assert.ok(first.results_metadata.next_cursor);
    const second = await otherClient.m2m.clients.search({ limit: 2, cursor: first.results_metadata.next_cursor! });
    assert.deepEqual(ids(second), [c.m2m_client.client_id]);
    assert.ok(!second.results_metadata.next_cursor);

    await expectStytchError(otherClient.m2m.clients.search({ query: { operator: 'AND', operands: [{ filter_name: 'nope' as 'scopes', filter_value: ['x'] }] } }), 'm2m_search_filter_name_not_recognized', 400);
    await expectStytchError(otherClient.m2m.clients.search({ limit: 2, cursor: 'garbage' }), 'm2m_search_invalid_cursor', 400);
    // Another project's clients are not this one's.
    await expectStytchError(client.m2m.clients.get({ client_id: a.m2m_client.client_id }), 'm2m_client_not_found', 404);
  });

  test('a member session is refused; the project secret is required', async () => {
    expectError(await server.api(null, 'POST', '/v1/m2m/clients', { scopes: [] }), 401, 'unauthorized_credentials');
    const response = await server.raw('/v1/m2m/clients/search', {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${project.project_id}:${project.secret}`).toString('base64')}`, 'content-type': 'application/json', 'x-stytch-member-session': 'token' },
      body: '{}',
    });
    expectError(response, 403, 'member_session_not_accepted');
  });

  test('the official B2BClient\'s m2m works too (its JWKS is the B2B path: the same keys)', async () => {
    const b2b = b2bClient(server, project);
    const { m2m_client } = await b2b.m2m.clients.create({ scopes: ['read:reports'] });
    const { access_token } = await b2b.m2m.token({ client_id: m2m_client.client_id, client_secret: m2m_client.client_secret });
    assert.equal((await b2b.m2m.authenticateToken({ access_token, required_scopes: ['read:reports'] })).client_id, m2m_client.client_id);
    assert.equal((await client.m2m.authenticateToken({ access_token })).client_id, m2m_client.client_id);
  });
});

describe('tokens: stytch.Client m2m.token and m2m.authenticateToken', () => {
  test('the token carries Stytch\'s claims and verifies locally with required scopes', async () => {
    const { m2m_client } = await createClient();
    const token = await client.m2m.token({ client_id: m2m_client.client_id, client_secret: m2m_client.client_secret });
    assert.equal(token.token_type, 'bearer');
    assert.equal(token.expires_in, 3600);
    const claims = decodeJwt(token.access_token);
    assert.equal(claims.sub, m2m_client.client_id);
    assert.equal(claims.iss, `stytch.com/${project.project_id}`);
    assert.deepEqual(claims.aud, [project.project_id]);
    assert.equal(claims.scope, 'read:documents write:documents');
    assert.equal(claims.exp! - claims.iat!, 3600);
    assert.equal(claims.nbf, claims.iat);
    assert.equal(typeof claims.jti, 'string');
    assert.equal(decodeProtectedHeader(token.access_token).alg, 'RS256');

    const verified = await client.m2m.authenticateToken({ access_token: token.access_token, required_scopes: ['write:documents'] });
    assert.equal(verified.client_id, m2m_client.client_id);
    assert.deepEqual(verified.scopes, ['read:documents', 'write:documents']);
    assert.deepEqual(verified.custom_claims, {});
    await assert.rejects(client.m2m.authenticateToken({ access_token: token.access_token, required_scopes: ['delete:documents'] }), /missing_scopes/);
    // A token altered in one character does not verify.
    const forged = `${token.access_token.slice(0, -3)}${token.access_token.endsWith('AAA') ? 'BBB' : 'AAA'}`;
    await assert.rejects(client.m2m.authenticateToken({ access_token: forged }), /jwt_invalid/);
  });

  test('requested scopes: a subset is granted; one beyond the client\'s is refused (invalid_scope)', async () => {
    const { m2m_client } = await createClient();
    const narrowed = await client.m2m.token({ client_id: m2m_client.client_id, client_secret: m2m_client.client_secret, scopes: ['read:documents'] });
    assert.equal(decodeJwt(narrowed.access_token).scope, 'read:documents');
    await assert.rejects(client.m2m.authenticateToken({ access_token: narrowed.access_token, required_scopes: ['write:documents'] }), /missing_scopes/);
    await expectStytchError(client.m2m.token({ client_id: m2m_client.client_id, client_secret: m2m_client.client_secret, scopes: ['read:documents', 'admin:everything'] }), 'invalid_scope', 400);
  });

  test('a wrong secret, an unknown client and an inactive client get no token', async () => {
    const { m2m_client } = await createClient();
    await expectStytchError(client.m2m.token({ client_id: m2m_client.client_id, client_secret: `${m2m_client.client_secret.slice(0, -1)}x` }), 'invalid_client', 401);
    await expectStytchError(client.m2m.token({ client_id: 'm2m-client-test-00000000-0000-4000-8000-000000000000', client_secret: m2m_client.client_secret }), 'invalid_client', 401);
    await client.m2m.clients.update({ client_id: m2m_client.client_id, status: 'inactive' });
    await expectStytchError(client.m2m.token({ client_id: m2m_client.client_id, client_secret: m2m_client.client_secret }), 'invalid_client', 401);
    const raw = await tokenRequest(new URLSearchParams({ grant_type: 'client_credentials', client_id: m2m_client.client_id, client_secret: m2m_client.client_secret }).toString());
    expectOAuthError(raw, 401, 'invalid_client');
    assert.match(raw.body.error_description, /inactive/);
    await client.m2m.clients.update({ client_id: m2m_client.client_id, status: 'active' });
    assert.ok((await client.m2m.token({ client_id: m2m_client.client_id, client_secret: m2m_client.client_secret })).access_token);
    // Another project's endpoint does not know this client.
    const other = await server.createProject();
    const elsewhere = await server.raw(`/v1/public/${other.project_id}/oauth2/token`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials', client_id: m2m_client.client_id, client_secret: m2m_client.client_secret }),
    });
    expectOAuthError(elsewhere, 401, 'invalid_client');
  });

  test('secret rotation: both secrets work while it runs; complete leaves only the new one, cancel only the old', async () => {
    const { m2m_client } = await createClient();
    const { client_id, client_secret: first } = m2m_client;
    await expectStytchError(client.m2m.clients.secrets.rotate({ client_id }), 'm2m_secret_rotation_not_started', 400);
    const started = await client.m2m.clients.secrets.rotateStart({ client_id });
    const second = started.m2m_client.next_client_secret;
    assert.equal(started.m2m_client.next_client_secret_last_four, second.slice(-4));
    assert.equal(started.m2m_client.client_secret_last_four, first.slice(-4));
    assert.notEqual(second, first);
    for (const secret of [first, second]) assert.ok((await client.m2m.token({ client_id, client_secret: secret })).access_token);

    const rotated = await client.m2m.clients.secrets.rotate({ client_id });
    assert.equal(rotated.m2m_client.client_secret_last_four, second.slice(-4));
    assert.equal(rotated.m2m_client.next_client_secret_last_four, undefined);
    await expectStytchError(client.m2m.token({ client_id, client_secret: first }), 'invalid_client', 401);
    assert.ok((await client.m2m.token({ client_id, client_secret: second })).access_token);

    const again = await client.m2m.clients.secrets.rotateStart({ client_id });
    const third = again.m2m_client.next_client_secret;
    assert.ok((await client.m2m.token({ client_id, client_secret: third })).access_token);
    await client.m2m.clients.secrets.rotateCancel({ client_id });
    await expectStytchError(client.m2m.token({ client_id, client_secret: third }), 'invalid_client', 401);
    assert.ok((await client.m2m.token({ client_id, client_secret: second })).access_token);
    await expectStytchError(client.m2m.clients.secrets.rotateCancel({ client_id }), 'm2m_secret_rotation_not_started', 400);
  });
});

describe('the token endpoint as RFC 6749 says', () => {
  test('JSON bodies and HTTP Basic credentials; no-store', async () => {
    const { m2m_client } = await createClient();
    const json = await tokenRequest(JSON.stringify({ grant_type: 'client_credentials', client_id: m2m_client.client_id, client_secret: m2m_client.client_secret, scope: 'write:documents' }), { 'content-type': 'application/json' });
    assert.equal(json.status, 200, JSON.stringify(json.body));
    assert.equal(decodeJwt(json.body.access_token).scope, 'write:documents');
    assert.equal(json.headers.get('cache-control'), 'no-store');
    const basic = `Basic ${Buffer.from(`${encodeURIComponent(m2m_client.client_id)}:${encodeURIComponent(m2m_client.client_secret)}`).toString('base64')}`;
    const viaBasic = await tokenRequest('grant_type=client_credentials', { 'content-type': 'application/x-www-form-urlencoded', authorization: basic });
    assert.equal(viaBasic.status, 200, JSON.stringify(viaBasic.body));
    const wrongBasic = await tokenRequest('grant_type=client_credentials', { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${m2m_client.client_id}:nope`).toString('base64')}` });
    expectOAuthError(wrongBasic, 401, 'invalid_client');
    assert.match(wrongBasic.headers.get('www-authenticate') ?? '', /^Basic/);
    const both = await tokenRequest(`grant_type=client_credentials&client_secret=${encodeURIComponent(m2m_client.client_secret)}`, { 'content-type': 'application/x-www-form-urlencoded', authorization: basic });
    expectOAuthError(both, 400, 'invalid_request');
  });

  test('malformed requests: grant type, missing credentials, repeated parameters, NUL, other content types', async () => {
    const { m2m_client } = await createClient();
    const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
    expectOAuthError(await tokenRequest(form({ grant_type: 'password', client_id: m2m_client.client_id, client_secret: m2m_client.client_secret })), 400, 'unsupported_grant_type');
    expectOAuthError(await tokenRequest(form({ client_id: m2m_client.client_id, client_secret: m2m_client.client_secret })), 400, 'invalid_request');
    expectOAuthError(await tokenRequest(form({ grant_type: 'client_credentials', client_id: m2m_client.client_id })), 400, 'invalid_request');
    expectOAuthError(await tokenRequest(`grant_type=client_credentials&client_id=${m2m_client.client_id}&client_id=x&client_secret=y`), 400, 'invalid_request');
    expectOAuthError(await tokenRequest(`grant_type=client_credentials&client_id=a%00b&client_secret=y`), 400, 'invalid_request');
    const text = await tokenRequest('grant_type=client_credentials', { 'content-type': 'text/plain' });
    assert.equal(text.status, 415);
    assert.ok(text.body.error && text.body.error_type);
    // Form bodies stay refused everywhere else.
    const elsewhere = await server.raw('/v1/m2m/clients/search', {
      method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${project.project_id}:${project.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=b',
    });
    assert.equal(elsewhere.status, 415);
  });

  test('rate limited per client (and per IP): 429 with the OAuth error fields', async () => {
    const limited = await startTestServer({ database: server.database, env: { GATEHOUSE_RATE_LIMIT_IDENTIFIER: '3', GATEHOUSE_RATE_LIMIT_IP: '1000' } });
    try {
      const owner = await limited.createProject();
      const stytchClient = consumerClient(limited, owner);
      const { m2m_client } = await stytchClient.m2m.clients.create({ scopes: [] });
      const { m2m_client: neighbour } = await stytchClient.m2m.clients.create({ scopes: [] });
      await fitInRateWindow(15_000);
      for (let i = 0; i < 3; i++) await stytchClient.m2m.token({ client_id: m2m_client.client_id, client_secret: m2m_client.client_secret });
      await expectStytchError(stytchClient.m2m.token({ client_id: m2m_client.client_id, client_secret: m2m_client.client_secret }), 'too_many_requests', 429);
      assert.ok((await stytchClient.m2m.token({ client_id: neighbour.client_id, client_secret: neighbour.client_secret })).access_token, 'another client is counted apart');
    } finally {
      await limited.close();
    }
  });
});
