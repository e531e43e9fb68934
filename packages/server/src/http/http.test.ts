// Stytch's wire conventions on every kind of failure, over real HTTP.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { GatehouseError } from '../shared/errors.ts';
import type { ProjectCredentials } from '../projects/service.ts';
import { basicAuth, expectError, startTestServer, type TestServer } from '../testing/harness.ts';

let server: TestServer;
let project: ProjectCredentials;

before(async () => {
  server = await startTestServer({ env: { GATEHOUSE_BODY_LIMIT: '65536' } });
  project = await server.createProject();
});
after(() => server.close());

const json = (credentials: ProjectCredentials, body: string, contentType = 'application/json') => ({
  method: 'POST',
  headers: { authorization: basicAuth(credentials.project_id, credentials.secret), 'content-type': contentType },
  body,
});

test('every success carries request_id and status_code', async () => {
  const response = await server.api(project, 'GET', '/v1/rbac/policy');
  assert.equal(response.status, 200);
  assert.match(response.body.request_id, /^request-id-test-[0-9a-f-]{36}$/);
  assert.equal(response.body.status_code, 200);
});

test('unknown route: 404 route_not_found in the envelope, with or without credentials', async () => {
  const body = expectError(await server.api(project, 'GET', '/v1/nothing/here'), 404, 'route_not_found');
  assert.match(body.request_id, /^request-id-test-/);
  assert.match(body.error_url, /\/docs\/errors#route_not_found$/);
  expectError(await server.api(null, 'POST', '/v2/users', {}), 404, 'route_not_found');
});

test('wrong method on a known path: 405 method_not_allowed with Allow', async () => {
  const response = await server.api(project, 'PATCH', '/v1/users/user-test-00000000-0000-4000-8000-000000000000', {});
  const body = expectError(response, 405, 'method_not_allowed');
  assert.match(body.error_message, /GET/);
  assert.deepEqual(response.headers.get('allow')?.split(', ').sort(), ['DELETE', 'GET', 'PUT']);
});

test('missing, malformed or wrong credentials: 401 unauthorized_credentials', async () => {
  expectError(await server.api(null, 'GET', '/v1/rbac/policy'), 401, 'unauthorized_credentials');
  expectError(await server.raw('/v1/rbac/policy', { headers: { authorization: 'Bearer abc' } }), 401, 'unauthorized_credentials');
  expectError(await server.raw('/v1/rbac/policy', { headers: { authorization: 'Basic !!!' } }), 401, 'unauthorized_credentials');
  expectError(await server.api({ ...project, secret: `${project.secret}x` }, 'GET', '/v1/rbac/policy'), 401, 'unauthorized_credentials');
  expectError(await server.api({ ...project, secret: project.public_token }, 'GET', '/v1/rbac/policy'), 401, 'unauthorized_credentials');
  expectError(
    await server.api({ ...project, project_id: 'project-test-00000000-0000-4000-8000-000000000000' }, 'GET', '/v1/rbac/policy'),
    401,
    'unauthorized_credentials',
  );
});

test('credentials are checked before anything else: a bad body without them is still a 401', async () => {
  expectError(await server.raw('/v1/users', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' }), 401, 'unauthorized_credentials');
});

test('malformed JSON: 400 bad_request', async () => {
  const body = expectError(await server.raw('/v1/users', json(project, '{"email": ')), 400, 'bad_request');
  assert.match(body.error_message, /JSON/);
});

test('prototype-poisoning keys are refused', async () => {
  expectError(await server.raw('/v1/users', json(project, '{"__proto__": {"admin": true}}')), 400, 'bad_request');
});

test('a body that is not JSON: 415 unsupported_content_type', async () => {
  expectError(await server.raw('/v1/users', json(project, 'email=a@b.co', 'application/x-www-form-urlencoded')), 415, 'unsupported_content_type');
});

test('a body over the limit: 413 request_too_large, nothing written', async () => {
  const big = JSON.stringify({ email: 'big@example.com', untrusted_metadata: { blob: 'x'.repeat(70_000) } });
  expectError(await server.raw('/v1/users', json(project, big)), 413, 'request_too_large');
  const search = await server.api(project, 'POST', '/v1/users/search', {});
  assert.equal(search.body.results_metadata.total, 0);
});

test('schema violations name the field: 400', async () => {
  const body = expectError(await server.api(project, 'POST', '/v1/users', { roles: 'admin' }), 400, 'invalid_argument');
  assert.match(body.error_message, /roles/);
  expectError(await server.api(project, 'POST', '/v1/users', { email: 5 }), 400, 'invalid_email');
});

test('an internal failure is a 500 that tells nothing of its cause', async () => {
  // Break the request path from the inside: a service that throws a raw error with secrets in it.
  const original = server.gatehouse.rbac.getPolicy.bind(server.gatehouse.rbac);
  server.gatehouse.rbac.getPolicy = async () => {
    throw new Error('connection to 10.0.0.5 failed: password=hunter2 at /srv/gatehouse/src/store.ts:42');
  };
  try {
    const response = await server.api(project, 'GET', '/v1/rbac/policy');
    const body = expectError(response, 500, 'internal_server_error');
    const text = JSON.stringify(body);
    assert.doesNotMatch(text, /hunter2|10\.0\.0\.5|store\.ts|stack/);
  } finally {
    server.gatehouse.rbac.getPolicy = original;
  }
});

test('GatehouseError keeps the catalogue status and message', () => {
  const error = new GatehouseError('user_not_found', { params: { user_id: 'user-test-1' } });
  assert.equal(error.status, 404);
  assert.match(error.message, /No user/);
});

test('the error catalogue page lists every error_url target', async () => {
  const response = await server.raw('/docs/errors', {});
  assert.equal(response.status, 200);
  assert.match(String(response.body), /id="unauthorized_credentials"/);
  assert.match(String(response.body), /id="rbac_role_in_use"/);
});

test('the OpenAPI document describes the routes from the same schemas that validate them', async () => {
  const response = await server.raw('/openapi.json', {});
  assert.equal(response.status, 200);
  assert.equal(response.body.openapi.startsWith('3.'), true);
  const createUser = response.body.paths['/v1/users'].post;
  assert.ok(createUser.requestBody.content['application/json'].schema.properties.roles);
  assert.ok(response.body.paths['/v1/rbac/policy/roles/{role_id}'].put);
  assert.equal(response.body.paths['/docs/errors'], undefined);
});
