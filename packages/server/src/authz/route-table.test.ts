// Walks every route of a real server (app.routeTable) over real HTTP and proves the member-session gate
// holds everywhere, not only where a feature test happens to look:
// - every route declares config.memberSession, and a route without one cannot be registered;
// - every 'refuse' route answers a member-session header (token or JWT) with 403, an empty one with 400;
// - every route that accepts member sessions answers an empty header with 400;
// - a member whose only role grants nothing is refused (403) on every state-changing route that
//   accepts member sessions, and nothing is written.
// A route added without a declaration makes startTestServer throw, so this file fails.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RouteEntry } from '../http/app.ts';
import { createApp } from '../http/app.ts';
import { B2BProject, expectOk, STYTCH_ADMIN_ROLE, type MemberSessionCredentials } from '../testing/b2b.ts';
import { basicAuth, startTestServer, type ApiResponse, type TestServer } from '../testing/harness.ts';
import type { MemberSessionRule } from './gate.ts';
import { MEMBER_SESSION_HEADER, MEMBER_SESSION_JWT_HEADER } from './member-authorization.ts';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Every route but HEAD (Fastify's copy of each GET, with the GET's declaration). */
const routes = (): RouteEntry[] => server.gatehouse.app.routeTable.filter((route) => route.method !== 'HEAD');

/** A project whose stytch_member grants nothing; an organization; a member holding no other role; an admin. */
async function world() {
  const project = await B2BProject.create(server, {
    resources: [],
    roles: [{ role_id: 'stytch_member', description: 'Nothing', permissions: [] }, STYTCH_ADMIN_ROLE],
    scopes: [],
  });
  const organization = await project.createOrganization({ organization_name: 'Acme' });
  const orgId = organization.organization_id as string;
  const nobody = await project.createMember(orgId, { email_address: 'nobody@acme.com', name: 'Nobody' });
  const other = await project.createMember(orgId, { email_address: 'other@acme.com', name: 'Other' });
  const admin = await project.createMember(orgId, { email_address: 'admin@acme.com', roles: ['stytch_admin'] });
  return {
    project,
    orgId,
    nobody: { member_id: nobody.member_id as string, session: await project.startMemberSession(orgId, nobody.member_id) },
    other: { member_id: other.member_id as string, session: await project.startMemberSession(orgId, other.member_id) },
    admin: { member_id: admin.member_id as string, session: await project.startMemberSession(orgId, admin.member_id) },
  };
}

/** The route's URL with its parameters filled in (organization and member from the world, anything else made up). */
function pathOf(route: RouteEntry, values: Record<string, string>): string {
  return route.url.replace(/:([A-Za-z_]+)/g, (_m, name: string) => encodeURIComponent(values[name] ?? `${name}-test-00000000-0000-4000-8000-000000000000`)).replace(/\*$/, 'anything');
}

async function send(project: B2BProject, route: RouteEntry, path: string, headers: Record<string, string>, body?: unknown): Promise<ApiResponse> {
  const all: Record<string, string> = { authorization: basicAuth(project.credentials.project_id, project.credentials.secret), ...headers };
  const withBody = route.method !== 'GET' && route.method !== 'OPTIONS';
  if (withBody) all['content-type'] = 'application/json';
  return server.raw(path, { method: route.method, headers: all, body: withBody ? JSON.stringify(body ?? {}) : undefined });
}

function expectStatus(response: ApiResponse, status: number, errorType: string, what: string): void {
  assert.equal(response.status, status, `${what}: expected ${status} ${errorType}, got ${response.status} ${JSON.stringify(response.body)}`);
  assert.equal(response.body?.error_type, errorType, `${what}: ${JSON.stringify(response.body)}`);
  for (const key of ['status_code', 'request_id', 'error_message', 'error_url']) assert.ok(key in response.body, `${what}: the error lacks ${key}`);
}

/**
 * A body that makes the rule ask for something: the organization it names, and the first field that
 * needs an action. Rules whose organization only the handler knows say here what their check looks at.
 */
function bodyFor(rule: MemberSessionRule, route: RouteEntry, w: Awaited<ReturnType<typeof world>>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const org = rule.organization;
  if (typeof org === 'object' && 'body' in org) body[org.body] = w.orgId;
  if (typeof org === 'object' && 'bodyList' in org) body[org.bodyList] = [w.orgId];
  if (rule.actions.length === 0) {
    const field = Object.entries(rule.fields ?? {}).find(([, need]) => typeof need === 'object')?.[0];
    if (field !== undefined) body[field] = 'x';
  }
  if (org === 'target') {
    // Revoking: another member's sessions.
    assert.ok('member_id' in (rule.fields ?? {}), `${route.method} ${route.url}: say in this test what its handler checks`);
    body.member_id = w.other.member_id;
  }
  return body;
}

describe('every route declares what a member session needs', () => {
  test('the route table holds a declaration for each route', () => {
    const all = routes();
    assert.ok(all.length > 100, `only ${all.length} routes`);
    for (const route of all) {
      const declared = route.memberSession;
      assert.ok(declared === 'refuse' || (typeof declared === 'object' && declared !== null), `${route.method} ${route.url} declares nothing`);
    }
    // The routes Stytch documents as taking member sessions accept them here.
    const accepting = all.filter((route) => route.memberSession !== 'refuse').map((route) => `${route.method} ${route.url}`);
    for (const expected of [
      'PUT /v1/b2b/organizations/:organization_id',
      'DELETE /v1/b2b/organizations/:organization_id',
      'POST /v1/b2b/organizations/:organization_id/members',
      'PUT /v1/b2b/organizations/:organization_id/members/:member_id',
      'DELETE /v1/b2b/organizations/:organization_id/members/:member_id',
      'POST /v1/b2b/organizations/members/search',
      'POST /v1/b2b/sessions/revoke',
      'POST /v1/b2b/magic_links/email/invite',
      'GET /v1/b2b/sso/:organization_id',
      'PUT /v1/b2b/rbac/organizations/:organization_id',
    ]) {
      assert.ok(accepting.includes(expected), `${expected} should accept member sessions`);
    }
    for (const refused of ['PUT /v1/b2b/rbac/policy', 'POST /v1/b2b/passwords/migrate', 'POST /v1/b2b/magic_links/email/login_or_signup', 'GET /v1/b2b/rbac/organizations/:organization_id']) {
      assert.ok(!accepting.includes(refused), `${refused} must refuse member sessions`);
    }
  });

  test('a route without a declaration cannot be registered', async () => {
    const app = await createApp({ config: server.config, projects: server.gatehouse.projects });
    try {
      assert.throws(() => app.get('/v1/undeclared', async () => ({})), /declares no config\.memberSession/);
      assert.throws(() => app.post('/v1/undeclared', { config: { auth: 'public' } }, async () => ({})), /declares no config\.memberSession/);
      // A rule must say what each body field needs.
      const body = { type: 'object', properties: { name: { type: 'string' }, sneaky: { type: 'string' } } };
      const rule: MemberSessionRule = { organization: { param: 'organization_id' }, actions: [], fields: { name: 'route' } };
      assert.throws(() => app.put('/v1/x/:organization_id', { config: { memberSession: rule }, schema: { body } }, async () => ({})), /sneaky/);
    } finally {
      await app.close();
    }
  });
});

describe('refusal on every route', () => {
  test('a member-session header on every route that refuses one gets 403; an empty header gets 400; nothing runs', async () => {
    const w = await world();
    const refusing = routes().filter((route) => route.memberSession === 'refuse');
    assert.ok(refusing.length > 80);
    const params = { organization_id: w.orgId, member_id: w.other.member_id };
    for (const route of refusing) {
      const path = pathOf(route, params);
      const what = `${route.method} ${route.url}`;
      expectStatus(await send(w.project, route, path, { [MEMBER_SESSION_HEADER]: w.admin.session.session_token }), 403, 'member_session_not_accepted', what);
      expectStatus(await send(w.project, route, path, { [MEMBER_SESSION_JWT_HEADER]: w.admin.session.session_jwt }), 403, 'member_session_not_accepted', what);
      expectStatus(await send(w.project, route, path, { [MEMBER_SESSION_HEADER]: '' }), 400, 'invalid_member_session_header', what);
    }
    // The calls above included deleting the organization and its members: nothing happened.
    expectOk(await w.project.api('GET', `/v1/b2b/organizations/${w.orgId}/member?member_id=${w.other.member_id}`));
  });

  test('an empty header on every route that accepts member sessions gets 400', async () => {
    const w = await world();
    const accepting = routes().filter((route) => route.memberSession !== 'refuse');
    const params = { organization_id: w.orgId, member_id: w.other.member_id };
    for (const route of accepting) {
      for (const header of [MEMBER_SESSION_HEADER, MEMBER_SESSION_JWT_HEADER]) {
        const body = bodyFor(route.memberSession as MemberSessionRule, route, w);
        expectStatus(await send(w.project, route, pathOf(route, params), { [header]: '' }, body), 400, 'invalid_member_session_header', `${route.method} ${route.url}`);
      }
    }
  });

  test('a member whose roles grant nothing is refused on every state-changing route that accepts member sessions', async () => {
    const w = await world();
    const accepting = routes().filter((route) => route.memberSession !== 'refuse' && STATE_CHANGING.has(route.method));
    assert.ok(accepting.length >= 10, `only ${accepting.length} accepting state-changing routes`);
    const params = { organization_id: w.orgId, member_id: w.other.member_id };
    const sessions: [string, MemberSessionCredentials, 'token' | 'jwt'][] = [['token', w.nobody.session, 'token'], ['jwt', w.nobody.session, 'jwt']];
    for (const route of accepting) {
      const rule = route.memberSession as MemberSessionRule;
      for (const [via, session] of sessions) {
        const header: Record<string, string> = via === 'token' ? { [MEMBER_SESSION_HEADER]: session.session_token } : { [MEMBER_SESSION_JWT_HEADER]: session.session_jwt };
        const response = await send(w.project, route, pathOf(route, params), header, bodyFor(rule, route, w));
        assert.equal(response.status, 403, `${route.method} ${route.url} (${via}): expected 403, got ${response.status} ${JSON.stringify(response.body)}`);
        assert.equal(response.body.error_type, 'session_authorization_error', `${route.method} ${route.url}: ${JSON.stringify(response.body)}`);
      }
    }
    // Nothing was written: the organization, the other member and its sessions are as they were.
    const organization = await w.project.getOrganization(w.orgId);
    assert.equal(organization.organization_name, 'Acme');
    assert.deepEqual(organization.custom_roles, []);
    const other = await w.project.getMember(w.orgId, w.other.member_id);
    assert.equal(other.name, 'Other');
    assert.equal(other.status, 'active');
    expectOk(await w.project.api('POST', '/v1/b2b/sessions/authenticate', { session_token: w.other.session.session_token }));
    const found = expectOk(await w.project.api('POST', '/v1/b2b/organizations/members/search', { organization_ids: [w.orgId] })).members;
    assert.equal(found.length, 3);
  });
});
