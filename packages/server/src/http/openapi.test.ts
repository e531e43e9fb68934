// The OpenAPI document is complete: every route that takes a body describes it, and a route that
// takes none says so. Walks every registered route against GET /openapi.json.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../testing/harness.ts';

let server: TestServer;
let document: any;

before(async () => {
  server = await startTestServer();
  document = (await server.raw('/openapi.json', {})).body;
});
after(() => server.close());

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);
const openApiPath = (url: string) => url.replace(/:([^/]+)/g, '{$1}');

test('every POST, PUT and PATCH route in the document describes its body, or declares it takes none', () => {
  const missing: string[] = [];
  let described = 0;
  for (const route of server.gatehouse.app.routeTable) {
    if (!BODY_METHODS.has(route.method)) continue;
    const operation = document.paths[openApiPath(route.url)]?.[route.method.toLowerCase()];
    if (operation === undefined) continue; // hidden from the document on purpose (schema.hide)
    const schema = operation.requestBody && Object.values(operation.requestBody.content ?? {})[0];
    if (schema && (schema as { schema?: object }).schema) described++;
    else if (operation['x-takes-no-body'] !== true) missing.push(`${route.method} ${route.url}`);
  }
  assert.deepEqual(missing, [], `routes with neither a body schema nor x-takes-no-body: ${missing.join(', ')}`);
  assert.ok(described >= 60, `only ${described} bodies described`);
});

// Left out on purpose (schema.hide): the document itself, the error page, health and readiness, the dashboard, its icon and
// its own API, the policy change stream (server-sent events), the SDK's CORS catch-alls and telemetry.
test('only routes meant to be hidden are missing from the document', () => {
  const hidden = server.gatehouse.app.routeTable
    .filter((route) => route.method !== 'HEAD' && route.method !== 'OPTIONS')
    .filter((route) => document.paths[openApiPath(route.url)]?.[route.method.toLowerCase()] === undefined)
    .map((route) => route.url);
  for (const url of hidden) assert.match(url, /^\/($|openapi\.json|docs\/errors|healthz|readyz|dashboard|favicon\.ico$|v1\/rbac\/policy\/changes$|sdk\/v1\/(\*|events|sessions\/events$))/, `${url} is not in the document`);
});

test('the policy replacement and the impact preview describe the policy document; a rollback declares it takes no body', () => {
  for (const prefix of ['/v1/rbac', '/v1/b2b/rbac']) {
    for (const [path, method] of [[`${prefix}/policy`, 'put'], [`${prefix}/policy/impact`, 'post']] as const) {
      const schema = document.paths[path][method].requestBody.content['application/json'].schema;
      const policy = schema.properties.policy;
      assert.deepEqual(Object.keys(policy.properties).sort(), ['resources', 'roles', 'scopes'], path);
      assert.ok(policy.properties.roles.items.properties.permissions, path);
    }
    const rollback = document.paths[`${prefix}/policy/versions/{version}/rollback`].post;
    assert.equal(rollback.requestBody, undefined);
    assert.equal(rollback['x-takes-no-body'], true);
  }
});

test('the SAML ACS route describes its form body', () => {
  const acs = document.paths['/v1/b2b/sso/saml/acs/{connection_id}'].post;
  assert.ok(acs.requestBody.content['application/x-www-form-urlencoded'].schema.properties.SAMLResponse);
});
