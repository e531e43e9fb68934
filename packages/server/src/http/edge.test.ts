// What the edge refuses before any route sees it, and how: NUL characters anywhere in a request,
// JSON nested deeper than the limit, and HTTP that is not HTTP — every answer in Stytch's envelope.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ProjectCredentials } from '../projects/service.ts';
import { basicAuth, expectError, startTestServer, type ApiResponse, type TestServer } from '../testing/harness.ts';
import { sendRawHttp, type RawHttpResponse } from '../testing/raw-http.ts';
import { MAX_JSON_DEPTH } from './edge.ts';

let server: TestServer;
let project: ProjectCredentials;
let auth: string;

before(async () => {
  server = await startTestServer();
  project = await server.createProject();
  auth = basicAuth(project.project_id, project.secret);
});
after(() => server.close());

const post = (path: string, text: string) => server.raw(path, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: text });
const get = (path: string) => server.raw(path, { headers: { authorization: auth } });

async function userCount(): Promise<number> {
  return (await server.api(project, 'POST', '/v1/users/search', {})).body.results_metadata.total;
}

/** `{"a":{"a":…{"a":1}…}}`: `depth` objects inside one another. */
function nested(depth: number): string {
  return '{"a":'.repeat(depth - 1) + '{"a":1}' + '}'.repeat(depth - 1);
}

test('NUL in a body string, at any depth, or in a key: 400 null_character_not_allowed, nothing written', async () => {
  const before = await userCount();
  const bodies = [
    { email: 'nul\u0000@example.com' },
    { email: 'nul-a@example.com', name: { first_name: 'A\u0000da' } },
    { email: 'nul-b@example.com', untrusted_metadata: { note: 'x\u0000y' } },
    { email: 'nul-c@example.com', untrusted_metadata: { deep: [{ deeper: ['\u0000'] }] } },
    { email: 'nul-d@example.com', untrusted_metadata: { 'key\u0000': 1 } },
  ];
  for (const body of bodies) {
    const response = await post('/v1/users', JSON.stringify(body));
    const error = expectError(response, 400, 'null_character_not_allowed');
    assert.doesNotMatch(JSON.stringify(error), /nul-|x.y|\\u0000/, 'the answer does not echo what was sent');
  }
  // A raw NUL byte is not JSON at all, but it gets the same clear answer.
  expectError(await post('/v1/users', '{"email":"raw\u0000@example.com"}'), 400, 'null_character_not_allowed');
  assert.equal(await userCount(), before);
});

test('an escaped backslash followed by u0000 is text, not NUL: accepted and kept as sent', async () => {
  const note = '\\u0000 and \\\\u0000';
  const created = await server.api(project, 'POST', '/v1/users', { email: 'backslash@example.com', untrusted_metadata: { note } });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  const user = await server.api(project, 'GET', `/v1/users/${created.body.user_id}`);
  assert.equal(user.body.untrusted_metadata.note, note);
});

test('a lone UTF-16 surrogate in a body string or key: 400 invalid_unicode_text, nothing written; a paired one is text', async () => {
  const before = await userCount();
  const texts = [
    '{"email":"s1@example.com","untrusted_metadata":{"a":"\\ud800"}}',
    '{"email":"s2@example.com","untrusted_metadata":{"\\udfff":1}}',
    '{"email":"s3@example.com","name":{"first_name":"x\\uDBFFy"}}',
    '{"email":"s4@example.com","untrusted_metadata":{"deep":[["\\udc00\\ud800"]]}}',
  ];
  for (const text of texts) expectError(await post('/v1/users', text), 400, 'invalid_unicode_text');
  expectError(await post('/v1/b2b/organizations', '{"organization_name":"\\ud800"}'), 400, 'invalid_unicode_text');
  assert.equal(await userCount(), before);
  // A surrogate pair is one character (here U+1F600), and an escaped backslash before "ud800" is text.
  const paired = await post('/v1/users', '{"email":"s5@example.com","untrusted_metadata":{"smile":"\\ud83d\\ude00","text":"\\\\ud800"}}');
  assert.equal(paired.status, 200, JSON.stringify(paired.body));
  assert.deepEqual(paired.body.user.untrusted_metadata, { smile: '\u{1F600}', text: '\\ud800' });
});

test('NUL in a path parameter or a query parameter: 400 null_character_not_allowed', async () => {
  for (const path of [
    '/v1/users/user-test-%00',
    '/v1/rbac/policy/versions/1%00',
    '/v1/b2b/organizations/organization-test-%00',
    '/v1/b2b/sso/saml/metadata/%00',
    '/v1/sessions/jwks/project-test-%00',
  ]) {
    expectError(await get(path), 400, 'null_character_not_allowed');
  }
  for (const path of ['/v1/b2b/rbac/who_can?resource_id=%00&action=read', '/v1/rbac/who_can?resource_id=doc&action=re%00ad', '/v1/audit_events?cursor=%00', '/v1/sessions?user_id=%00']) {
    expectError(await get(path), 400, 'null_character_not_allowed');
  }
  const policy = await server.raw('/v1/rbac/policy/roles/%00', { method: 'PUT', headers: { authorization: auth, 'content-type': 'application/json' }, body: '{}' });
  expectError(policy, 400, 'null_character_not_allowed');
});

test('NUL in the form body of the SAML ACS (the one route that reads forms): 400 null_character_not_allowed', async () => {
  for (const body of ['SAMLResponse=x&RelayState=%00', 'SAMLResponse=x&RelayState=a\u0000']) {
    const response = await server.raw('/v1/b2b/sso/saml/acs/saml-connection-test-00000000-0000-4000-8000-000000000000', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
      redirect: 'manual',
    });
    expectError(response, 400, 'null_character_not_allowed');
  }
});

test('NUL in the URL is refused before any hook reads it: the same 400 without credentials, and on public routes', async () => {
  expectError(await server.raw('/v1/users/user-test-%00', {}), 400, 'null_character_not_allowed');
  // The browser SDK's bootstrap looks its public token up in an onRequest hook.
  expectError(await server.raw('/sdk/v1/projects/bootstrap/a%00b', {}), 400, 'null_character_not_allowed');
  assert.equal((await server.raw('/sdk/v1/projects/bootstrap/a%00b', { method: 'HEAD' })).status, 400);
});

test(`JSON nested deeper than ${MAX_JSON_DEPTH}: 400 json_too_deep, nothing written (20,000 deep included)`, async () => {
  const before = await userCount();
  for (const depth of [MAX_JSON_DEPTH + 1, 1_000, 20_000]) {
    const metadata = nested(depth - 1);
    const response = await post('/v1/users', `{"email":"deep-${depth}@example.com","untrusted_metadata":${metadata}}`);
    expectError(response, 400, 'json_too_deep');
  }
  const arrays = '['.repeat(20_000) + ']'.repeat(20_000);
  expectError(await post('/v1/users', `{"email":"deep@example.com","untrusted_metadata":{"a":${arrays}}}`), 400, 'json_too_deep');
  // Only the nesting counts, not brackets inside strings.
  const inString = await server.api(project, 'POST', '/v1/users', { email: 'brackets@example.com', untrusted_metadata: { text: '{['.repeat(200) } });
  assert.equal(inString.status, 200, JSON.stringify(inString.body));
  assert.equal(await userCount(), before + 1);
});

test(`JSON nested exactly ${MAX_JSON_DEPTH} deep passes the edge`, async () => {
  // The body is depth 1, untrusted_metadata depth 2: the innermost object sits at MAX_JSON_DEPTH.
  const response = await post('/v1/users', `{"email":"at-limit@example.com","untrusted_metadata":${nested(MAX_JSON_DEPTH - 1)}}`);
  assert.equal(response.status, 200, JSON.stringify(response.body));
});

// ---- HTTP that never reaches a route: every answer is the envelope, and the connection closes ----

function expectRawError(response: RawHttpResponse, status: number, errorType: string) {
  const body = expectError(response, status, errorType);
  assert.match(body.request_id, /^request-id-test-[0-9a-f-]{36}$/);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  return body;
}

function expectClosing(response: RawHttpResponse) {
  assert.equal(response.headers.get('connection'), 'close', response.raw);
}

const raw = (text: string) => sendRawHttp(server.baseUrl, text);

test('a request line that is not HTTP: 400 bad_request in the envelope, connection closed', async () => {
  for (const text of ['GARBAGE\r\n\r\n', 'GET /v1/users HTTP/9.9\r\nHost: x\r\n\r\n', 'GET\r\n\r\n', 'G@T / HTTP/1.1\r\nHost: x\r\n\r\n']) {
    const response = await raw(text);
    expectRawError(response, 400, 'bad_request');
    expectClosing(response);
  }
});

test('a header line without a colon: 400 bad_request in the envelope', async () => {
  const response = await raw('GET /healthz HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n');
  expectRawError(response, 400, 'bad_request');
  expectClosing(response);
});

test('a bad chunk size: 400 bad_request in the envelope', async () => {
  const response = await raw(`POST /v1/users HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n`);
  expectRawError(response, 400, 'bad_request');
  expectClosing(response);
});

test('Content-Length with Transfer-Encoding (request smuggling shape): 400 bad_request in the envelope', async () => {
  const response = await raw(`POST /v1/users HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`);
  expectRawError(response, 400, 'bad_request');
  expectClosing(response);
});

test('headers over 16 KB: 431 request_headers_too_large in the envelope', async () => {
  const response = await raw(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
  expectRawError(response, 431, 'request_headers_too_large');
  expectClosing(response);
});

test('bad percent-encoding in the path: 400 invalid_url_encoding in the envelope', async () => {
  for (const path of ['/v1/users/%E0%A4%A', '/v1/users/%zz', '/v1/rbac/policy/roles/%']) {
    const response = await get(path);
    const body = expectRawError(response as RawHttpResponse, 400, 'invalid_url_encoding');
    assert.doesNotMatch(body.error_message, /FST_|%E0/);
  }
});

test('a path parameter up to the length of the longest id (128 characters, percent-encoded) reaches the route', async () => {
  // 128 characters of a four-byte character: 1,536 characters in the URL.
  const longRole = encodeURIComponent('\u{1F512}'.repeat(128));
  const response = await server.raw(`/v1/rbac/policy/roles/${longRole}`, { method: 'PUT', headers: { authorization: auth, 'content-type': 'application/json' }, body: '{}' });
  expectError(response, 404, 'rbac_role_not_found');
  expectError(await get(`/v1/users/user-test-${'a'.repeat(150)}`), 400, 'invalid_user_id');
});

test('a path parameter beyond any id: 414 path_parameter_too_long in the envelope', async () => {
  const response = (await get(`/v1/users/${'a'.repeat(5_000)}`)) as ApiResponse;
  expectRawError(response as RawHttpResponse, 414, 'path_parameter_too_long');
});
