// Dashboard admins over real HTTP: sign-in (and its refusals and rate limit), the cookie, the
// admin cookie + CSRF token on the backend API (and only there), logout and expiry, managing admins
// with the first project's secret, and the dashboard's files with their SPA fallback and headers.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { systemActor } from '../audit/log.ts';
import { createApp } from '../http/app.ts';
import type { ProjectCredentials } from '../projects/service.ts';
import { basicAuth, expectError, ManualClock, startTestServer, type ApiResponse, type TestServer } from '../testing/harness.ts';

const PASSWORD = 'correct horse battery staple';
/** The actor of admins the tests make directly through the service. */
const SETUP = systemActor('test.setup');
const MINUTE = 60_000;
const clock = new ManualClock();
const dashboardDir = mkdtempSync(join(tmpdir(), 'gatehouse-dashboard-'));
let server: TestServer;
/** The same database behind an https public URL, with no dashboard build and a tight rate limit. */
let other: TestServer;
let project: ProjectCredentials;

before(async () => {
  mkdirSync(join(dashboardDir, 'assets'));
  writeFileSync(join(dashboardDir, 'index.html'), '<!doctype html><title>Dashboard</title><script type="module" src="/dashboard/assets/app-1234.js"></script>');
  writeFileSync(join(dashboardDir, 'assets', 'app-1234.js'), 'console.log("dashboard")');
  writeFileSync(join(dashboardDir, '.env'), 'SECRET=1');
  server = await startTestServer({ clock, env: { GATEHOUSE_DASHBOARD_DIR: dashboardDir } });
  other = await startTestServer({
    database: server.database,
    clock,
    env: { GATEHOUSE_DASHBOARD_DIR: mkdtempSync(join(tmpdir(), 'gatehouse-empty-')), GATEHOUSE_PUBLIC_URL: 'https://gatehouse.example', GATEHOUSE_RATE_LIMIT_IDENTIFIER: '5' },
  });
  // The first project is the dashboard's.
  project = await server.createProject();
  await server.gatehouse.admins.createAdmin('Ada@Example.com', PASSWORD, SETUP);
  await server.gatehouse.admins.createAdmin('grace@example.com', PASSWORD, SETUP);
});
after(async () => {
  await other.close();
  await server.close();
});

interface AdminSession {
  cookie: string;
  csrf: string;
  response: ApiResponse;
}

async function login(email = 'ada@example.com', password = PASSWORD, target = server): Promise<AdminSession> {
  const response = await target.raw('/dashboard/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  const setCookie = response.headers.get('set-cookie') ?? '';
  return { cookie: setCookie.split(';')[0]!, csrf: response.body.csrf_token, response };
}

/** A backend call as the dashboard makes it: the cookie, and the CSRF header unless `csrf` is null. */
function dashboardCall(session: Pick<AdminSession, 'cookie' | 'csrf'>, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  return server.raw(path, {
    method,
    headers: {
      cookie: session.cookie,
      ...(session.csrf !== null ? { 'x-gatehouse-csrf': session.csrf } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

const sessionOf = (session: Pick<AdminSession, 'cookie'>, headers: Record<string, string> = {}) =>
  server.raw('/dashboard/api/session', { headers: { cookie: session.cookie, ...headers } });

describe('sign-in', () => {
  test('the right password: the admin, a CSRF token and an HttpOnly, SameSite=Strict cookie on /', async () => {
    const { response, cookie, csrf } = await login('  ADA@example.com ');
    assert.equal(response.body.status_code, 200);
    assert.match(response.body.request_id, /^request-id-test-/);
    assert.match(response.body.admin.admin_id, /^admin-test-[0-9a-f-]{36}$/);
    assert.equal(response.body.admin.email, 'ada@example.com');
    assert.match(response.body.admin.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual(Object.keys(response.body.admin).sort(), ['admin_id', 'created_at', 'email']);
    assert.match(csrf, /^[\w-]{43}$/);
    const attributes = response.headers.get('set-cookie')!.split(';').map((part) => part.trim());
    assert.match(cookie, /^gatehouse_admin=[\w-]{43}$/);
    assert.ok(attributes.includes('HttpOnly'));
    assert.ok(attributes.includes('SameSite=Strict'));
    assert.ok(attributes.includes('Path=/'));
    assert.ok(attributes.includes(`Max-Age=${12 * 60 * 60}`));
    assert.ok(!attributes.includes('Secure'), 'not on an http public URL');
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.equal(response.headers.get('x-frame-options'), 'DENY');
    // Only the token's digest is stored.
    const token = cookie.split('=')[1]!;
    const { rows } = await server.database.db.query<{ token_hash: Uint8Array }>('SELECT token_hash FROM admin_sessions');
    assert.ok(rows.length > 0 && rows.every((row) => !Buffer.from(row.token_hash).toString('utf8').includes(token)));

    const session = await sessionOf({ cookie });
    assert.equal(session.status, 200, JSON.stringify(session.body));
    assert.equal(session.body.admin.email, 'ada@example.com');
    assert.equal(session.body.csrf_token, csrf);
    assert.deepEqual(session.body.project, { project_id: project.project_id, environment: 'test', public_token: project.public_token });
  });

  test('a wrong password, an unknown email and a disabled admin get the same 401', async () => {
    await server.gatehouse.admins.createAdmin('disabled@example.com', PASSWORD, SETUP);
    await server.gatehouse.admins.setDisabled('disabled@example.com', true, SETUP);
    const attempts = [
      ['grace@example.com', 'not the password at all'],
      ['nobody@example.com', PASSWORD],
      ['disabled@example.com', PASSWORD],
    ];
    const messages = new Set<string>();
    for (const [email, password] of attempts) {
      const response = await server.raw('/dashboard/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
      messages.add(expectError(response, 401, 'unauthorized_credentials').error_message);
      assert.equal(response.headers.get('set-cookie'), null);
    }
    assert.equal(messages.size, 1);
    expectError(await server.raw('/dashboard/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email": 1, "password": "x"}' }), 400, 'invalid_email');
    expectError(await server.raw('/dashboard/api/login', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'email=a' }), 415, 'unsupported_content_type');
  });

  test('sign-ins are rate limited per email address', async () => {
    const attempt = () =>
      other.raw('/dashboard/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'Target@example.com', password: 'guess guess guess' }) });
    for (let i = 0; i < 5; i++) expectError(await attempt(), 401, 'unauthorized_credentials');
    const limited = await attempt();
    expectError(limited, 429, 'too_many_requests');
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    clock.advance(MINUTE);
    expectError(await attempt(), 401, 'unauthorized_credentials');
  });

  test('no cookie, or a cookie that names no session: 401 from /dashboard/api/session', async () => {
    expectError(await server.raw('/dashboard/api/session', {}), 401, 'unauthorized_credentials');
    expectError(await sessionOf({ cookie: 'gatehouse_admin=not-a-session' }), 401, 'unauthorized_credentials');
  });
});

describe('the admin cookie on the backend API', () => {
  test('with the CSRF header, /v1 routes work on the dashboard project: reads and writes', async () => {
    const session = await login();
    const policy = await dashboardCall(session, 'GET', '/v1/rbac/policy');
    assert.equal(policy.status, 200, JSON.stringify(policy.body));
    const put = await dashboardCall(session, 'POST', '/v1/rbac/policy/resources', { resource_id: 'reports', description: 'Reports', actions: ['read'] });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const read = await server.api(project, 'GET', '/v1/rbac/policy');
    assert.ok(read.body.policy.resources.some((r: { resource_id: string }) => r.resource_id === 'reports'), 'written to the first project');
    // The audit log names the admin who made the change.
    const audit = await dashboardCall(session, 'GET', '/v1/audit_events?action=policy.updated&limit=1');
    assert.equal(audit.status, 200, JSON.stringify(audit.body));
    assert.deepEqual(audit.body.audit_events[0].actor, { type: 'admin', id: session.response.body.admin.admin_id, email: 'ada@example.com' });
  });

  test('the request is the admin\'s (request.actor)', async () => {
    const app = await createApp({ config: server.config, projects: server.gatehouse.projects, admins: server.gatehouse.admins });
    app.get('/v1/whoami', { config: { memberSession: 'refuse' } }, async (request) => ({ project_id: request.projectId, actor: request.actor }));
    await app.ready();
    try {
      const session = await login('grace@example.com');
      const response = await app.inject({ method: 'GET', url: '/v1/whoami', headers: { cookie: session.cookie, 'x-gatehouse-csrf': session.csrf } });
      assert.equal(response.statusCode, 200, response.body);
      assert.deepEqual(response.json(), {
        project_id: project.project_id,
        actor: { type: 'admin', id: session.response.body.admin.admin_id, email: 'grace@example.com' },
      });
      // Authorization wins over a cookie: the secret's caller, no CSRF needed.
      const withSecret = await app.inject({ method: 'GET', url: '/v1/whoami', headers: { cookie: session.cookie, authorization: basicAuth(project.project_id, project.secret) } });
      assert.equal(withSecret.json().actor.type, 'project_secret');
    } finally {
      await app.close();
    }
  });

  test('without the CSRF header, with a wrong one, or with another session\'s: 403, nothing written', async () => {
    const session = await login();
    const other = await login('grace@example.com');
    const before = (await server.api(project, 'GET', '/v1/rbac/policy')).body.policy_version;
    for (const csrf of [null, 'wrong', '', other.csrf, session.csrf.slice(0, -1)]) {
      expectError(await dashboardCall({ cookie: session.cookie, csrf: csrf as string }, 'GET', '/v1/rbac/policy'), 403, 'csrf_token_invalid');
      const write = await dashboardCall({ cookie: session.cookie, csrf: csrf as string }, 'POST', '/v1/rbac/policy/resources', { resource_id: `r${Date.now()}`, description: '', actions: ['x'] });
      expectError(write, 403, 'csrf_token_invalid');
    }
    assert.equal((await server.api(project, 'GET', '/v1/rbac/policy')).body.policy_version, before);
    // Nor does a CSRF token work without its cookie.
    expectError(await server.raw('/v1/rbac/policy', { headers: { 'x-gatehouse-csrf': session.csrf } }), 401, 'unauthorized_credentials');
    expectError(await dashboardCall({ cookie: 'other=1', csrf: session.csrf }, 'GET', '/v1/rbac/policy'), 401, 'unauthorized_credentials');
  });

  test('X-Gatehouse-Project picks another project; an unknown one is 404', async () => {
    const second = await server.createProject();
    const session = await login();
    const created = await dashboardCall(session, 'POST', '/v1/users', { email: 'u@example.com' }, { 'x-gatehouse-project': second.project_id });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    assert.equal((await server.api(second, 'GET', `/v1/users/${created.body.user_id}`)).status, 200);
    expectError(await server.api(project, 'GET', `/v1/users/${created.body.user_id}`), 404, 'user_not_found');
    const described = await sessionOf(session, { 'x-gatehouse-project': second.project_id });
    assert.equal(described.body.project.project_id, second.project_id);
    expectError(await dashboardCall(session, 'GET', '/v1/rbac/policy', undefined, { 'x-gatehouse-project': 'project-test-00000000-0000-0000-0000-000000000000' }), 404, 'project_not_found');
  });

  test('the admin cookie is not a project user\'s session, and does nothing on /sdk/v1', async () => {
    const session = await login();
    const token = session.cookie.split('=')[1]!;
    expectError(await server.api(project, 'POST', '/v1/sessions/authenticate', { session_token: token }), 404, 'session_not_found');
    const sdk = await server.raw('/sdk/v1/users/me', { headers: { cookie: session.cookie, 'x-gatehouse-csrf': session.csrf } });
    assert.equal(sdk.status, 401, JSON.stringify(sdk.body));
    const sdkWithToken = await server.raw('/sdk/v1/users/me', {
      headers: { cookie: session.cookie, 'x-gatehouse-csrf': session.csrf, authorization: basicAuth(project.public_token, token) },
    });
    expectError(sdkWithToken, 404, 'session_not_found');
  });

  test('after logout: 401 everywhere, and the cookie is cleared; logout needs the CSRF token', async () => {
    const session = await login();
    expectError(await server.raw('/dashboard/api/logout', { method: 'POST', headers: { cookie: session.cookie } }), 403, 'csrf_token_invalid');
    const out = await dashboardCall(session, 'POST', '/dashboard/api/logout');
    assert.equal(out.status, 200, JSON.stringify(out.body));
    assert.match(out.headers.get('set-cookie')!, /^gatehouse_admin=; HttpOnly; SameSite=Strict; Path=\/; Max-Age=0$/);
    expectError(await dashboardCall(session, 'GET', '/v1/rbac/policy'), 401, 'unauthorized_credentials');
    expectError(await sessionOf(session), 401, 'unauthorized_credentials');
    // Without a cookie, logout just clears it.
    assert.equal((await server.raw('/dashboard/api/logout', { method: 'POST' })).status, 200);
  });

  test('idle timeout (1 h) and absolute lifetime (12 h)', async () => {
    const idle = await login();
    clock.advance(59 * MINUTE);
    assert.equal((await dashboardCall(idle, 'GET', '/v1/rbac/policy')).status, 200);
    clock.advance(59 * MINUTE);
    assert.equal((await sessionOf(idle)).status, 200, 'each request restarts the idle timeout');
    clock.advance(61 * MINUTE);
    expectError(await dashboardCall(idle, 'GET', '/v1/rbac/policy'), 401, 'unauthorized_credentials');

    const busy = await login();
    for (let elapsed = 0; elapsed < 12 * 60 - 50; elapsed += 50) {
      clock.advance(50 * MINUTE);
      assert.equal((await sessionOf(busy)).status, 200);
    }
    clock.advance(50 * MINUTE);
    expectError(await sessionOf(busy), 401, 'unauthorized_credentials');
    expectError(await dashboardCall(busy, 'GET', '/v1/rbac/policy'), 401, 'unauthorized_credentials');
  });

  test('signing in again in the same browser ends the previous session', async () => {
    const first = await login();
    const second = await server.raw('/dashboard/api/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: first.cookie },
      body: JSON.stringify({ email: 'grace@example.com', password: PASSWORD }),
    });
    assert.equal(second.status, 200);
    expectError(await sessionOf(first), 401, 'unauthorized_credentials');
  });
});

describe('managing admins (/v1/admins)', () => {
  test('create with a generated password, list, refuse duplicates and weak passwords', async () => {
    const created = await server.api(project, 'POST', '/v1/admins', { email: 'Linus@Example.com' });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    assert.equal(created.body.admin.email, 'linus@example.com');
    assert.equal(created.body.admin.disabled_at, null);
    assert.match(created.body.password, /^[\w-]{24}$/);
    await login('linus@example.com', created.body.password);

    const given = await server.api(project, 'POST', '/v1/admins', { email: 'margaret@example.com', password: 'a long enough passphrase' });
    assert.equal(given.body.password, undefined, 'a given password is not echoed');
    await login('margaret@example.com', 'a long enough passphrase');

    const listed = await server.api(project, 'GET', '/v1/admins');
    assert.ok(['ada@example.com', 'linus@example.com', 'margaret@example.com'].every((email) => listed.body.admins.some((a: { email: string }) => a.email === email)));
    expectError(await server.api(project, 'POST', '/v1/admins', { email: 'LINUS@example.com' }), 409, 'duplicate_admin_email');
    expectError(await server.api(project, 'POST', '/v1/admins', { email: 'short@example.com', password: 'short' }), 400, 'invalid_admin_password');
    expectError(await server.api(project, 'POST', '/v1/admins', { email: 'breached@example.com', password: 'password1234' }), 400, 'invalid_admin_password');
    expectError(await server.api(project, 'POST', '/v1/admins', { email: 'not an email' }), 400, 'invalid_email');
    const count = (await server.api(project, 'GET', '/v1/admins')).body.admins.length;
    assert.equal(count, listed.body.admins.length, 'nothing half-made');
  });

  test('reset password and disable end the admin\'s sessions; the last active admin cannot be disabled', async () => {
    await server.api(project, 'POST', '/v1/admins', { email: 'edsger@example.com', password: PASSWORD });
    const session = await login('edsger@example.com');
    const reset = await server.api(project, 'POST', '/v1/admins/reset_password', { email: 'edsger@example.com' });
    assert.equal(reset.status, 200, JSON.stringify(reset.body));
    expectError(await sessionOf(session), 401, 'unauthorized_credentials');
    expectError(await server.raw('/dashboard/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'edsger@example.com', password: PASSWORD }) }), 401, 'unauthorized_credentials');
    const again = await login('edsger@example.com', reset.body.password);

    const disabled = await server.api(project, 'POST', '/v1/admins/disable', { email: 'edsger@example.com' });
    assert.match(disabled.body.admin.disabled_at, /Z$/);
    expectError(await sessionOf(again), 401, 'unauthorized_credentials');
    assert.equal((await server.api(project, 'POST', '/v1/admins/enable', { email: 'edsger@example.com' })).body.admin.disabled_at, null);
    await login('edsger@example.com', reset.body.password);
    expectError(await server.api(project, 'POST', '/v1/admins/disable', { email: 'nobody@example.com' }), 404, 'admin_not_found');

    // Disable everyone else; the last one stays.
    const { admins } = (await server.api(project, 'GET', '/v1/admins')).body;
    const active = admins.filter((a: { disabled_at: string | null }) => a.disabled_at === null).map((a: { email: string }) => a.email);
    for (const email of active.slice(1)) assert.equal((await server.api(project, 'POST', '/v1/admins/disable', { email })).status, 200);
    expectError(await server.api(project, 'POST', '/v1/admins/disable', { email: active[0] }), 400, 'cannot_disable_last_admin');
    for (const email of active.slice(1)) await server.api(project, 'POST', '/v1/admins/enable', { email });
  });

  test('a signed-in admin may manage admins; another project\'s secret may not', async () => {
    const session = await login();
    const listed = await dashboardCall(session, 'GET', '/v1/admins');
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    const second = await server.createProject();
    expectError(await server.api(second, 'GET', '/v1/admins'), 403, 'cannot_manage_admins');
    expectError(await server.api(second, 'POST', '/v1/admins', { email: 'mallory@example.com' }), 403, 'cannot_manage_admins');
    expectError(await server.api(null, 'GET', '/v1/admins'), 401, 'unauthorized_credentials');
  });

  test('the first admin is made once, only when there is none', async () => {
    assert.equal(await server.gatehouse.admins.ensureFirstAdmin(), null);
  });
});

describe('admin changes in the audit log', () => {
  const adminEvents = async (targetId: string) =>
    (await server.api(project, 'GET', `/v1/audit_events?action=admin.*&target_id=${targetId}`)).body.audit_events.reverse();

  test('create, disable, enable and reset are recorded with their actor, email and status only', async () => {
    const created = await server.api(project, 'POST', '/v1/admins', { email: 'barbara@example.com' });
    const id = created.body.admin.admin_id;
    const session = await login();
    const ada = { type: 'admin', id: session.response.body.admin.admin_id, email: 'ada@example.com' };
    assert.equal((await dashboardCall(session, 'POST', '/v1/admins/disable', { email: 'barbara@example.com' })).status, 200);
    assert.equal((await dashboardCall(session, 'POST', '/v1/admins/disable', { email: 'barbara@example.com' })).status, 200);
    assert.equal((await dashboardCall(session, 'POST', '/v1/admins/enable', { email: 'barbara@example.com' })).status, 200);
    const reset = await dashboardCall(session, 'POST', '/v1/admins/reset_password', { email: 'barbara@example.com' });

    const events = await adminEvents(id);
    const active = { email: 'barbara@example.com', status: 'active' };
    const disabled = { email: 'barbara@example.com', status: 'disabled' };
    assert.equal(events[0]?.actor.type, 'project_secret');
    const secret = events[0].actor;
    assert.deepEqual(
      events.map((e: any) => ({ action: e.action, actor: e.actor, target_type: e.target_type, before: e.before, after: e.after })),
      [
        { action: 'admin.created', actor: secret, target_type: 'admin', before: null, after: active },
        { action: 'admin.disabled', actor: ada, target_type: 'admin', before: active, after: disabled },
        { action: 'admin.enabled', actor: ada, target_type: 'admin', before: disabled, after: active },
        { action: 'admin.password_reset', actor: ada, target_type: 'admin', before: active, after: active },
      ],
      'the second disable changed nothing and is not recorded',
    );
    const text = JSON.stringify(events);
    assert.ok(!text.includes(created.body.password) && !text.includes(reset.body.password) && !/hash|argon/i.test(text), 'no password or hash');
    expectError(await server.api(project, 'GET', '/v1/audit_events?action=admin.deleted'), 400, 'invalid_argument');
    assert.equal((await server.api(project, 'GET', '/v1/audit_events?target_type=admin&limit=1')).status, 200);
  });

  test('the first admin has a system actor; a refused change records nothing', async () => {
    const fresh = await startTestServer({ clock });
    try {
      const first = await fresh.createProject();
      const made = await fresh.gatehouse.admins.ensureFirstAdmin();
      assert.ok(made);
      const events = async () => (await fresh.api(first, 'GET', '/v1/audit_events?target_type=admin')).body.audit_events;
      const [created, ...rest] = await events();
      assert.deepEqual(rest, []);
      assert.equal(created.action, 'admin.created');
      assert.deepEqual(created.actor, { type: 'system', id: 'admin.first_start' });
      assert.deepEqual(created.after, { email: made.admin.email, status: 'active' });

      expectError(await fresh.api(first, 'POST', '/v1/admins/disable', { email: made.admin.email }), 400, 'cannot_disable_last_admin');
      expectError(await fresh.api(first, 'POST', '/v1/admins', { email: made.admin.email }), 409, 'duplicate_admin_email');
      expectError(await fresh.api(first, 'POST', '/v1/admins/reset_password', { email: made.admin.email, password: 'short' }), 400, 'invalid_admin_password');
      expectError(await fresh.api(first, 'POST', '/v1/admins/enable', { email: 'nobody@example.com' }), 404, 'admin_not_found');
      assert.equal((await events()).length, 1, 'only the creation');
    } finally {
      await fresh.close();
    }
  });
});

describe('the dashboard\'s files', () => {
  const securityHeaders = (response: ApiResponse) => {
    const csp = response.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(response.headers.get('x-frame-options'), 'DENY');
    assert.equal(response.headers.get('referrer-policy'), 'same-origin');
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
  };

  test('/dashboard redirects to /dashboard/, which serves index.html with strict headers', async () => {
    const redirect = await server.raw('/dashboard', { redirect: 'manual' });
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.get('location'), '/dashboard/');
    const index = await server.raw('/dashboard/', {});
    assert.equal(index.status, 200);
    assert.match(index.headers.get('content-type')!, /^text\/html/);
    assert.match(index.body, /<title>Dashboard<\/title>/);
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    securityHeaders(index);
  });

  test('built assets are served as files, long-cached', async () => {
    const asset = await server.raw('/dashboard/assets/app-1234.js', {});
    assert.equal(asset.status, 200);
    assert.match(asset.headers.get('content-type')!, /javascript/);
    assert.equal(asset.body, 'console.log("dashboard")');
    assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    securityHeaders(asset);
  });

  test('any other path gets index.html (SPA); dot-files and paths outside are never served', async () => {
    for (const path of ['/dashboard/users/user-test-1', '/dashboard/policy?tab=roles', '/dashboard/.env', '/dashboard/assets/%2e%2e%2f%2e%2e%2fpackage.json', '/dashboard/assets/missing.js']) {
      const response = await server.raw(path, {});
      assert.equal(response.status, 200, path);
      assert.match(response.body, /<title>Dashboard<\/title>/, path);
      securityHeaders(response);
    }
  });

  test('/dashboard/api/… is never index.html: unknown paths 404, wrong methods 405, in the error envelope', async () => {
    expectError(await server.raw('/dashboard/api/nothing', {}), 404, 'route_not_found');
    expectError(await server.raw('/dashboard/api/nothing', { method: 'POST' }), 404, 'route_not_found');
    const wrongMethod = expectError(await server.raw('/dashboard/api/login', {}), 405, 'method_not_allowed');
    assert.match(wrongMethod.error_message, /POST/);
  });

  test('without a build, /dashboard/ says how to make one; an https public URL makes the cookie Secure', async () => {
    const page = await other.raw('/dashboard/', {});
    assert.equal(page.status, 503);
    assert.match(page.body, /npm run build -w @gatehouse\/dashboard/);
    securityHeaders(page);
    const { response } = await login('ada@example.com', PASSWORD, other);
    assert.match(response.headers.get('set-cookie')!, /; Secure$/);
  });
});
