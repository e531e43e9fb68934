// GET /v1/rbac/policy/changes over real HTTP: the ready event, policy, organization, member and
// user events of the caller's project only, across processes on PostgreSQL, and a clean close.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ProjectCredentials } from '../projects/service.ts';
import { openPostgres } from '../store/database.ts';
import { B2BProject } from '../testing/b2b.ts';
import { basicAuth, expectError, startTestServer, type TestServer } from '../testing/harness.ts';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

/** An open stream: every event parsed, and a way to wait for one. */
async function subscribe(base: string, project: ProjectCredentials) {
  const controller = new AbortController();
  const response = await fetch(`${base}/v1/rbac/policy/changes`, {
    headers: { authorization: basicAuth(project.project_id, project.secret) },
    signal: controller.signal,
  });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
  const events: { event: string; data: any }[] = [];
  const waiters = new Set<() => void>();
  let ended = false;
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      const reader = response.body!.getReader();
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        buffer += decoder.decode(chunk.value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) });
        }
        waiters.forEach((wake) => wake());
      }
    } catch {
      // aborted
    }
    ended = true;
    waiters.forEach((wake) => wake());
  })();
  return {
    events,
    get ended() {
      return ended;
    },
    async next(match: (e: { event: string; data: any }) => boolean, timeoutMs = 2000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = events.find(match);
        if (found) return found;
        if (ended || Date.now() > deadline) throw new Error(`no matching event; got ${JSON.stringify(events)}`);
        await new Promise<void>((resolve) => {
          const wake = () => (waiters.delete(wake), resolve());
          waiters.add(wake);
          setTimeout(wake, 50);
        });
      }
    },
    close: () => controller.abort(),
  };
}

test('the stream needs the project secret', async () => {
  expectError(await server.api(null, 'GET', '/v1/rbac/policy/changes'), 401, 'unauthorized_credentials');
});

test('ready carries the versions; policy changes arrive as consumer and b2b events, within a second', async () => {
  const project = await server.createProject();
  const stream = await subscribe(server.baseUrl, project);
  try {
    const ready = await stream.next((e) => e.event === 'ready');
    assert.deepEqual(Object.keys(ready.data).sort(), ['at', 'b2b_version', 'consumer_version', 'kind']);
    const started = Date.now();
    const written = await server.api(project, 'POST', '/v1/rbac/policy/resources', { resource_id: 'documents', actions: ['read'] });
    const event = await stream.next((e) => e.event === 'consumer');
    assert.ok(Date.now() - started < 1000);
    assert.deepEqual(event.data, { kind: 'consumer', version: written.body.policy_version });
    const b2b = await server.api(project, 'POST', '/v1/b2b/rbac/policy/resources', { resource_id: 'documents', actions: ['read'] });
    assert.deepEqual((await stream.next((e) => e.event === 'b2b')).data, { kind: 'b2b', version: b2b.body.policy_version });
  } finally {
    stream.close();
  }
});

test('user, organization and member changes are announced; other projects are not', async () => {
  const b2b = await B2BProject.create(server);
  const other = await server.createProject();
  const stream = await subscribe(server.baseUrl, b2b.credentials);
  const otherStream = await subscribe(server.baseUrl, other);
  try {
    await stream.next((e) => e.event === 'ready');
    const user = await b2b.api('POST', '/v1/users', { email: 'ada@example.com' });
    await b2b.api('PUT', `/v1/users/${user.body.user_id}`, { untrusted_metadata: { theme: 'dark' } });
    assert.equal((await stream.next((e) => e.event === 'user')).data.user_id, user.body.user_id);
    const organization = await b2b.createOrganization();
    const member = await b2b.createMember(organization.organization_id, { email_address: 'bo@example.com' });
    await b2b.updateMember(organization.organization_id, member.member_id, { roles: ['editor'] });
    const memberEvent = await stream.next((e) => e.event === 'member' && e.data.member_id === member.member_id);
    assert.equal(memberEvent.data.organization_id, organization.organization_id);
    assert.equal(typeof memberEvent.data.at, 'number');
    const orgPolicy = { roles: [{ role_id: 'org-reviewer', description: '', permissions: [{ resource_id: 'documents', actions: ['read'] }] }] };
    const put = await b2b.api('PUT', `/v1/b2b/rbac/organizations/${organization.organization_id}`, { org_policy: orgPolicy });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    await stream.next((e) => e.event === 'organization' && e.data.organization_id === organization.organization_id);
    await otherStream.next((e) => e.event === 'ready');
    assert.deepEqual(otherStream.events.map((e) => e.event), ['ready']);
  } finally {
    stream.close();
    otherStream.close();
  }
});

test('session revocations and changes are announced by session id', async () => {
  const project = await server.createProject();
  const stream = await subscribe(server.baseUrl, project);
  try {
    await stream.next((e) => e.event === 'ready');
    const created = await server.api(project, 'POST', '/v1/passwords', { email: 'rev@example.com', password: 'correct horse battery staple 9', session_duration_minutes: 60 });
    const sessionId = created.body.session.session_id;
    await server.api(project, 'POST', '/v1/sessions/authenticate', { session_token: created.body.session_token, session_custom_claims: { a: 1 } });
    const changed = await stream.next((e) => e.event === 'session' && e.data.session_id === sessionId);
    assert.equal(changed.data.revoked, false);
    assert.equal((await server.api(project, 'POST', '/v1/sessions/revoke', { session_id: sessionId })).status, 200);
    const revoked = await stream.next((e) => e.event === 'session' && e.data.session_id === sessionId && e.data.revoked === true);
    assert.equal(typeof revoked.data.at, 'number');
  } finally {
    stream.close();
  }
});

test('closing the server ends open streams', async () => {
  const own = await startTestServer();
  const project = await own.createProject();
  const stream = await subscribe(own.baseUrl, project);
  await stream.next((e) => e.event === 'ready');
  const started = Date.now();
  await own.close();
  assert.ok(Date.now() - started < 2000, `close took ${Date.now() - started} ms`);
  await stream.next(() => false).catch(() => {});
  assert.ok(stream.ended);
});

test('a change written through another server process on the same PostgreSQL reaches the stream', async (t) => {
  if (server.database.kind !== 'postgres') return t.skip('PGlite is one process: cross-process notification needs PostgreSQL');
  const otherDb = await openPostgres({ url: process.env.DATABASE_URL!, schema: server.database.schema });
  const other = await startTestServer({ database: { db: otherDb, kind: 'postgres', dispose: () => otherDb.close() } });
  const project = await server.createProject();
  const stream = await subscribe(server.baseUrl, project);
  try {
    await stream.next((e) => e.event === 'ready');
    const started = Date.now();
    const written = await other.api(project, 'POST', '/v1/rbac/policy/roles', { role_id: 'editor' });
    const event = await stream.next((e) => e.event === 'consumer');
    assert.equal(event.data.version, written.body.policy_version);
    assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
  } finally {
    stream.close();
    await other.close();
    await otherDb.close().catch(() => {});
  }
});
