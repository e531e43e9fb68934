// Every route (app.routeTable), fed generated malformed requests with and without credentials: bad
// and wrong-typed JSON, NUL in strings, keys, path and query, huge and deep bodies, odd content
// types and methods, long and badly encoded parameters, garbage headers, broken HTTP. Not one 5xx,
// and every answer in the envelope: status_code, request_id, error_type, error_message, error_url on
// every error; request_id and status_code on every JSON success. The SCIM 2.0 service's routes (the
// route table marks them `scim`) answer in application/scim+json: their errors are SCIM's error
// (schemas, status as a string) and the envelope at once, their successes SCIM resources.
//
// fast-check with a fixed seed, so a failure is reproduced by running again. `npm test` sends
// DEFAULT_RUNS requests; GATEHOUSE_MALFORMED_RUNS=20000 is the soak (`npm run soak:malformed`).
// No generated value is a URL outside loopback: some fields make the server fetch what they name.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import type { ProjectCredentials } from '../projects/service.ts';
import { basicAuth, startTestServer, type TestServer } from '../testing/harness.ts';
import { sendRawHttp } from '../testing/raw-http.ts';

const DEFAULT_RUNS = 1_000;
const RUNS = Number(process.env.GATEHOUSE_MALFORMED_RUNS ?? DEFAULT_RUNS);
const SEED = 20_261_207;
const IN_FLIGHT = 6;
const BODY_LIMIT = 32_768;

let server: TestServer;
let project: ProjectCredentials;
let scimToken = '';
/** Values that name real things, so that some requests get past "not found" into the handlers. */
const fixtures: Record<string, string> = {};

before(async () => {
  // No rate limits: a 429 would stop most requests before the code worth reaching.
  server = await startTestServer({ env: { GATEHOUSE_BODY_LIMIT: String(BODY_LIMIT), GATEHOUSE_RATE_LIMIT_IP: '0', GATEHOUSE_RATE_LIMIT_IDENTIFIER: '0' } });
  project = await server.createProject();
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await server.api(project, method, path, body);
    assert.ok(response.status < 300, `${method} ${path}: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body;
  };
  const policy = {
    resources: [{ resource_id: 'documents', description: '', actions: ['read', 'write'] }],
    roles: [
      { role_id: 'stytch_user', description: '', permissions: [] },
      { role_id: 'editor', description: '', permissions: [{ resource_id: 'documents', actions: ['write'] }] },
    ],
    scopes: [],
  };
  await call('PUT', '/v1/rbac/policy', { policy });
  const user = await call('POST', '/v1/users', { email: 'fuzz@example.com', roles: ['editor'] });
  const organization = await call('POST', '/v1/b2b/organizations', { organization_name: 'Fuzz', organization_slug: 'fuzz' });
  const member = await call('POST', `/v1/b2b/organizations/${organization.organization.organization_id}/members`, { email_address: 'member@example.com' });
  // A second secret to name in paths: revoking it leaves the one the requests use.
  const secret = await call('POST', '/v1/project/secrets');
  // A SCIM connection whose token some requests carry, and a user it provisioned.
  const scim = (await call('POST', `/v1/b2b/scim/${organization.organization.organization_id}/connection`, {})).connection;
  scimToken = scim.bearer_token;
  const scimUser = await server.raw(`/v1/b2b/scim/${scim.connection_id}/Users`, {
    method: 'POST', headers: { authorization: `Bearer ${scimToken}`, 'content-type': 'application/scim+json' },
    body: JSON.stringify({ userName: 'scim@example.com', emails: [{ primary: true, value: 'scim@example.com' }] }),
  });
  assert.equal(scimUser.status, 201, JSON.stringify(scimUser.body));
  Object.assign(fixtures, {
    user_id: user.user_id,
    organization_id: organization.organization.organization_id,
    member_id: member.member.member_id,
    secret_id: secret.secret.secret_id,
    resource_id: 'documents',
    role_id: 'editor',
    version: '1',
    project_id: project.project_id,
    public_token: project.public_token,
    connection_id: scim.connection_id,
    id: scimUser.body.id,
  });
});
after(() => server.close());

// ---- generators --------------------------------------------------------------------------------

/** Text as it goes into a URL: already percent-encoded, or deliberately not. */
const urlText = fc.oneof(
  fc.string({ maxLength: 12 }).map(encodeURIComponent),
  fc.constantFrom('%00', 'a%00b', '%zz', '%E0%A4%A', '%', '%C0%80', '%FF', '%2F..%2F', '..', '%20', '+', 'a'.repeat(150), 'a'.repeat(3_000)),
  fc.string({ unit: 'grapheme', maxLength: 6 }).map(encodeURIComponent),
);

const NUL_STRINGS = ['\u0000', 'a\u0000', '\u0000\u0000x', 'user-test-\u0000'];
/** A JSON value of any type, NUL-carrying strings and long strings included. */
const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom(...NUL_STRINGS) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', 'x'.repeat(5_000), -1, 0, 1e308, 2 ** 53, '0', 'true', 'null', '[]', '{}') },
  // Loopback only: some fields are fetched by the server (metadata_url, OIDC issuer).
  { weight: 1, arbitrary: fc.constantFrom('a@b.co', 'not-an-email', '+12025550123', 'http://127.0.0.1:9/x', 'user-test-00000000-0000-4000-8000-000000000000') },
);

function nested(depth: number): string {
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

/** Bodies for a route whose schema names `fields`. */
function bodyFor(fields: string[]): fc.Arbitrary<string | Buffer | undefined> {
  const fieldNames = fields.length > 0 ? fc.constantFrom(...fields) : fc.string({ maxLength: 8 });
  const object = fc.dictionary(fc.oneof(fieldNames, fc.string({ maxLength: 8 }), fc.constantFrom('__proto__', 'constructor', 'k\u0000')), anyJson, { maxKeys: 6 });
  return fc.oneof(
    { weight: 6, arbitrary: object.map((value) => JSON.stringify(value)) },
    { weight: 2, arbitrary: anyJson.map((value) => JSON.stringify(value) ?? '') },
    {
      weight: 2,
      arbitrary: fc.constantFrom('{', '{"a":', '[1,', 'nul', '{"a":1}}', "{'a':1}", '{"a":"\u0000"}', '"\\u0000"', '{"\\u0000":1}', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}', '', '  ', '\uFEFF{}'),
    },
    { weight: 1, arbitrary: fc.integer({ min: 60, max: 20_000 }).map(nested) },
    { weight: 1, arbitrary: fc.constantFrom(`{"a":"${'x'.repeat(BODY_LIMIT)}"}`, '['.repeat(BODY_LIMIT + 10)) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

const CONTENT_TYPES = [
  'application/json', 'application/json', 'application/json; charset=utf-8', 'application/json; charset=latin1', 'APPLICATION/JSON',
  'application/scim+json', 'application/jsonx', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'garbage', '', ';;;',
];
const ODD_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'PROPFIND', 'FOO', 'TRACE'];

interface Generated {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | Buffer | undefined;
  /** Sent as bytes on a socket (broken HTTP) instead of through fetch. */
  raw?: string;
  /** A route of the SCIM 2.0 service (scim/service-routes.ts). */
  scim: boolean;
}

function requestFor(routes: { method: string; url: string; fields: string[]; scim: boolean }[]): fc.Arbitrary<Generated> {
  return fc.constantFrom(...routes).chain((route) => {
    const params = route.url.split('/').map((part) =>
      part.startsWith(':') ? fc.oneof(fc.constant(encodeURIComponent(fixtures[part.slice(1)] ?? 'x')), urlText) : part === '*' ? fc.array(urlText, { maxLength: 3 }).map((parts) => parts.join('/')) : fc.constant(part),
    );
    const query = fc.array(fc.tuple(fc.oneof(fc.constantFrom('limit', 'cursor', 'cascade', 'dry_run', 'origin', 'from', 'to', 'resource_id', 'action', 'organization_id', 'user_id', 'public_token', 'connection_id'), urlText), urlText), { maxLength: 4 });
    const credentials = fc.constantFrom<Record<string, string>>(
      {},
      { authorization: basicAuth(project.project_id, project.secret) },
      { authorization: basicAuth(project.project_id, project.secret) },
      { authorization: basicAuth(project.project_id, `${project.secret}x`) },
      { authorization: basicAuth(project.public_token, 'session-token') },
      { authorization: 'Basic !!!' },
      { authorization: 'Bearer x' },
      { authorization: `Bearer ${scimToken}` },
      { authorization: basicAuth(project.project_id, project.secret), 'x-stytch-member-session': 'garbage' },
      { authorization: basicAuth(project.project_id, project.secret), 'x-stytch-member-sessionjwt': 'a.b.c' },
      { cookie: 'gatehouse_admin=garbage', 'x-gatehouse-csrf': 'x' },
      { origin: 'http://127.0.0.1:9', authorization: basicAuth(project.public_token, 'x') },
    );
    const extraHeaders = fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/).map((name) => `x-${name}`), fc.stringMatching(/^[\x20-\x7e]{0,40}$/), { maxKeys: 2 });
    return fc
      .record({
        method: fc.oneof({ weight: 5, arbitrary: fc.constant(route.method) }, { weight: 1, arbitrary: fc.constantFrom(...ODD_METHODS) }),
        segments: fc.tuple(...params),
        query,
        credentials,
        contentType: fc.constantFrom(...CONTENT_TYPES),
        extraHeaders,
        body: bodyFor(route.fields),
        broken: fc.oneof({ weight: 30, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom('no colon', 'Content-Length: 5\r\nContent-Length: 6', 'Transfer-Encoding: chunked\r\nContent-Length: 3', 'X-Nul: a\u0000b', `X-Big: ${'b'.repeat(17_000)}`, 'Host:') }),
      })
      .map(({ method, segments, query, credentials, contentType, extraHeaders, body, broken }) => {
        const search = query.length === 0 ? '' : `?${query.map(([key, value]) => `${key}=${value}`).join('&')}`;
        const path = `${segments.join('/')}${search}`;
        const headers: Record<string, string> = { ...extraHeaders, ...credentials };
        if (contentType !== '' && body !== undefined) headers['content-type'] = contentType;
        const generated: Generated = { method, path, headers, body: method === 'GET' || method === 'HEAD' ? undefined : body, scim: route.scim };
        if (broken !== null || method === 'TRACE') {
          const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)];
          if (broken !== null) lines.push(broken);
          const text = typeof generated.body === 'string' ? generated.body : '';
          generated.raw = `${lines.join('\r\n')}\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`;
        }
        return generated;
      });
  });
}

// ---- sending and judging -----------------------------------------------------------------------

interface Outcome {
  status: number;
  contentType: string;
  body: unknown;
}

async function send(request: Generated): Promise<Outcome> {
  if (request.raw !== undefined) {
    const response = await sendRawHttp(server.baseUrl, request.raw);
    return { status: response.status, contentType: response.headers.get('content-type') ?? '', body: response.body };
  }
  const response = await fetch(`${server.baseUrl}${request.path}`, {
    method: request.method,
    headers: request.headers,
    body: typeof request.body === 'string' || request.body === undefined ? request.body : new Uint8Array(request.body),
    redirect: 'manual',
    signal: AbortSignal.timeout(30_000),
  });
  const contentType = response.headers.get('content-type') ?? '';
  // The policy change stream never ends by itself: its first answer is what counts.
  if (contentType.startsWith('text/event-stream')) {
    await response.body?.cancel();
    return { status: response.status, contentType, body: '' };
  }
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // judged below: JSON was expected
  }
  return { status: response.status, contentType, body };
}

/** Why an outcome breaks the rules, or null. */
function fault(request: Generated, outcome: Outcome): string | null {
  if (outcome.status >= 500) return `${outcome.status}`;
  if (request.method === 'HEAD' || outcome.status === 204 || (outcome.status >= 300 && outcome.status < 400)) return null;
  const body = outcome.body as Record<string, unknown>;
  const scimAnswer = request.scim && outcome.contentType.startsWith('application/scim+json');
  if (scimAnswer && (typeof body !== 'object' || body === null || !Array.isArray(body.schemas))) return `${outcome.status} SCIM answer without schemas`;
  if (outcome.status >= 400) {
    if (!(outcome.contentType.startsWith('application/json') || scimAnswer) || typeof body !== 'object' || body === null) return `${outcome.status} not JSON`;
    if (scimAnswer && ((body.schemas as unknown[])[0] !== 'urn:ietf:params:scim:api:messages:2.0:Error' || body.status !== String(outcome.status))) return `${outcome.status} not SCIM's error`;
    for (const key of ['status_code', 'request_id', 'error_type', 'error_message', 'error_url']) if (!(key in body)) return `${outcome.status} without ${key}`;
    if (body.status_code !== outcome.status) return `${outcome.status} with status_code ${String(body.status_code)}`;
    return null;
  }
  // Successes: JSON carries request_id and status_code (the browser SDK API inside `data`, as
  // Stytch's does); the pages that are not JSON, and the OpenAPI document, are what they are.
  if (!outcome.contentType.startsWith('application/json') || request.path.startsWith('/openapi.json')) return null;
  const answer = request.path.startsWith('/sdk/v1/') ? (body?.data as Record<string, unknown> | undefined) : body;
  if (typeof answer !== 'object' || answer === null || typeof answer.request_id !== 'string' || answer.status_code !== outcome.status) return `${outcome.status} without request_id/status_code`;
  return null;
}

test(`${RUNS} malformed requests across every route: no 5xx, every answer in the envelope`, async () => {
  const document = (await server.raw('/openapi.json', {})).body as { paths: Record<string, Record<string, any>> };
  const routes = server.gatehouse.app.routeTable.map((route) => {
    const operation = document.paths[route.url.replace(/:([^/]+)/g, '{$1}')]?.[route.method.toLowerCase()];
    const schema = operation?.requestBody && (Object.values(operation.requestBody.content)[0] as { schema?: { properties?: object } }).schema;
    return { method: route.method, url: route.url, fields: Object.keys(schema?.properties ?? {}), scim: route.scim };
  });
  // Every route at least once, then RUNS in all drawn across the table.
  const onePerRoute = routes.flatMap((route, index) => fc.sample(requestFor([route]), { seed: SEED + index, numRuns: 1 }));
  const requests = [...onePerRoute, ...fc.sample(requestFor(routes), { seed: SEED, numRuns: Math.max(0, RUNS - onePerRoute.length) })];
  // The table is the app's own (every registered route): the newest features' routes are in it.
  for (const prefix of ['/v1/otps/', '/v1/totps', '/v1/oauth/', '/v1/b2b/oauth/', '/v1/b2b/discovery/', '/v1/b2b/otps/', '/v1/b2b/totp', '/v1/b2b/recovery_codes/', '/sdk/v1/otps/', '/sdk/v1/totps', '/sdk/v1/oauth/', '/sdk/v1/b2b/oauth/', '/sdk/v1/b2b/otps/', '/sdk/v1/b2b/totp', '/sdk/v1/b2b/discovery']) {
    assert.ok(routes.some((route) => route.url.startsWith(prefix)), `the route table has ${prefix}… routes`);
  }

  const faults = new Map<string, { count: number; example: string }>();
  let sent = 0;
  const started = performance.now();
  async function worker() {
    while (sent < requests.length) {
      const request = requests[sent++]!;
      let outcome: Outcome;
      try {
        outcome = await send(request).catch((error: Error) => {
          // A kept-alive connection the server closed as the client reused it: once more, on a new one.
          if (error.name === 'TimeoutError') throw error;
          return send(request);
        });
      } catch (error) {
        outcome = { status: 599, contentType: '', body: `no response: ${(error as Error).message}` };
      }
      const problem = fault(request, outcome);
      if (problem === null) continue;
      const route = `${request.method} ${request.path.split('?')[0]!.slice(0, 80)}`;
      const key = `${problem} — ${route.replace(/\/[^/]*[%\u0000][^/]*/g, '/…')}`;
      const seen = faults.get(key);
      if (seen) seen.count++;
      else faults.set(key, { count: 1, example: JSON.stringify({ ...request, raw: request.raw?.slice(0, 300), body: String(request.body).slice(0, 300), answer: JSON.stringify(outcome.body).slice(0, 300) }) });
    }
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const seconds = (performance.now() - started) / 1000;
  console.log(`# ${requests.length} requests across ${routes.length} routes in ${seconds.toFixed(1)} s (${Math.round(requests.length / seconds)}/s), seed ${SEED}`);
  const report = [...faults].map(([key, { count, example }]) => `${count} × ${key}\n    e.g. ${example}`).join('\n');
  assert.equal(faults.size, 0, `faults:\n${report}`);
});
