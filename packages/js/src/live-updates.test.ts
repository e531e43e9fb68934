// The session's change stream (/sdk/v1/sessions/events) against a real Gatehouse: a revocation or a
// role removal made through /v1 reaches a started client within a second, with polling set far
// apart (so no poll can be what brought it), and a stream carries only its own session's events.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { b2bWorld, consumerWorld, memberWithPassword, PASSWORD, startTestServer, type TestServer } from '@gatehouse/server/testing';
import { createGatehouseClient, MemoryCookieJar, type GatehouseClient } from './index.ts';

const APP = 'http://localhost:5173';
const HOUR = 3_600_000;

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

function clientFor(publicToken: string, requests: string[] = [], vertical: 'consumer' | 'b2b' = 'consumer') {
  const counting: typeof fetch = (input, init) => {
    requests.push(new URL(input instanceof Request ? input.url : input).pathname);
    return fetch(input, init);
  };
  return createGatehouseClient({ publicToken, baseUrl: server.baseUrl, cookies: new MemoryCookieJar(), storage: null, pollIntervalMs: HOUR, fetch: counting, vertical });
}

/** Resolves when `ok()` holds after a change of state; rejects after `ms`. */
function within(client: GatehouseClient, ms: number, ok: () => boolean, what: string): Promise<number> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`${what}: not within ${ms} ms`));
    }, ms);
    const unsubscribe = client.subscribe(() => {
      if (!ok()) return;
      clearTimeout(timer);
      unsubscribe();
      resolve(Date.now() - started);
    });
  });
}

/** Reads server-sent events from the stream for `ms`, as the browser would (Basic public_token:session_token). */
async function eventsFor(publicToken: string, sessionToken: string, ms: number, during: () => Promise<void>): Promise<{ status: number; text: string }> {
  const abort = new AbortController();
  const response = await fetch(`${server.baseUrl}/sdk/v1/sessions/events`, {
    headers: { authorization: `Basic ${btoa(`${publicToken}:${sessionToken}`)}`, origin: APP },
    signal: abort.signal,
  });
  if (!response.ok) return { status: response.status, text: await response.text() };
  let text = '';
  const reading = (async () => {
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        text += value;
      }
    } catch {
      // aborted
    }
  })();
  await new Promise((resolve) => setTimeout(resolve, 100));
  await during();
  await new Promise((resolve) => setTimeout(resolve, ms));
  abort.abort();
  await reading;
  return { status: response.status, text };
}

describe('the session change stream', () => {
  test('a session revoked through /v1 is gone from a started client within 1 s, without a poll', async () => {
    const { credentials } = await consumerWorld(server, APP, ['editor']);
    const requests: string[] = [];
    const client = clientFor(credentials.public_token, requests);
    const signedIn = await client.passwords.authenticate({ email: 'ada@example.com', password: PASSWORD });
    await client.start();
    try {
      // The stream is open once its request went out; give it a moment to be registered.
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.ok(requests.includes('/sdk/v1/sessions/events'), 'the client opened the stream');
      const readsBefore = requests.filter((path) => path.endsWith('/sessions/authenticate')).length;
      const gone = within(client, 1000, () => client.getState().session === null, 'revocation');
      assert.equal((await server.api(credentials, 'POST', '/v1/sessions/revoke', { session_token: signedIn.session_token })).status, 200);
      const ms = await gone;
      assert.equal(client.getState().status, 'signed_out');
      assert.equal(client.session.getTokens(), null, 'the tokens are forgotten');
      assert.equal(requests.filter((path) => path.endsWith('/sessions/authenticate')).length, readsBefore, `no session read brought it (${ms} ms)`);
    } finally {
      client.stop();
    }
  });

  test('a role removed through /v1 reaches a started client within 1 s', async () => {
    const { credentials, userId } = await consumerWorld(server, APP, ['editor']);
    const client = clientFor(credentials.public_token);
    await client.passwords.authenticate({ email: 'ada@example.com', password: PASSWORD });
    await client.start();
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(client.rbac.isAuthorizedSync('documents', 'write'), true, 'an editor, before');
      const changed = within(client, 1000, () => !client.getState().roles.includes('editor'), 'role removal');
      assert.equal((await server.api(credentials, 'PUT', `/v1/users/${userId}`, { roles: [] })).status, 200);
      await changed;
      assert.deepEqual([...client.getState().roles], ['stytch_user']);
      assert.equal(client.rbac.isAuthorizedSync('documents', 'write'), false);
      assert.equal(client.getState().status, 'signed_in', 'still signed in');
    } finally {
      client.stop();
    }
  });

  test("a stream carries only its caller's session: another user's changes and revocation are not sent", async () => {
    const { credentials, userId } = await consumerWorld(server, APP, ['editor']);
    const created = await server.api(credentials, 'POST', '/v1/passwords', { email: 'bob@example.com', password: PASSWORD });
    assert.equal(created.status, 200);
    const ada = clientFor(credentials.public_token);
    const adaSession = await ada.passwords.authenticate({ email: 'ada@example.com', password: PASSWORD });
    const bob = clientFor(credentials.public_token);
    const bobSession = await bob.passwords.authenticate({ email: 'bob@example.com', password: PASSWORD });

    // Bob's stream while Ada's roles change and Ada's session is revoked: nothing about either.
    const bobs = await eventsFor(credentials.public_token, bobSession.session_token, 400, async () => {
      assert.equal((await server.api(credentials, 'PUT', `/v1/users/${userId}`, { roles: [] })).status, 200);
      assert.equal((await server.api(credentials, 'POST', '/v1/sessions/revoke', { session_token: adaSession.session_token })).status, 200);
    });
    assert.equal(bobs.status, 200);
    assert.match(bobs.text, /event: ready/);
    assert.doesNotMatch(bobs.text, /roles_changed|session_revoked/, bobs.text);
    assert.ok(!bobs.text.includes(userId) && !bobs.text.includes((adaSession as { session?: { session_id?: string } }).session?.session_id ?? 'none'), 'no id of Ada');

    // Ada's revoked token cannot subscribe at all; a public token alone neither.
    assert.equal((await eventsFor(credentials.public_token, adaSession.session_token, 0, async () => undefined)).status, 404);
    assert.equal((await eventsFor(credentials.public_token, credentials.public_token, 0, async () => undefined)).status, 404);

    // Bob's own revocation ends Bob's stream with session_revoked.
    const own = await eventsFor(credentials.public_token, bobSession.session_token, 300, async () => {
      assert.equal((await server.api(credentials, 'POST', '/v1/sessions/revoke', { session_token: bobSession.session_token })).status, 200);
    });
    assert.match(own.text, /event: session_revoked/);
  });

  test('B2B: a member role removed through /v1 reaches a started client within 1 s', async () => {
    const POLICY = {
      resources: [{ resource_id: 'reports', description: '', actions: ['read', 'export'] }],
      roles: [
        { role_id: 'stytch_member', description: '', permissions: [{ resource_id: 'reports', actions: ['read'] }] },
        { role_id: 'stytch_admin', description: '', permissions: [{ resource_id: 'reports', actions: ['*'] }] },
        { role_id: 'exporter', description: '', permissions: [{ resource_id: 'reports', actions: ['export'] }] },
      ],
      scopes: [],
    };
    const { project, organization } = await b2bWorld(server, 'http://localhost:5174', POLICY);
    const orgId = organization.organization_id as string;
    const member = await memberWithPassword(project, orgId, 'grace@example.com', ['exporter']);
    const client = clientFor(project.credentials.public_token, [], 'b2b');
    await client.passwords.authenticate({ organization_id: orgId, email_address: 'grace@example.com', password: PASSWORD });
    await client.start();
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.ok(client.getState().roles.includes('exporter'));
      const changed = within(client, 1000, () => !client.getState().roles.includes('exporter'), 'member role removal');
      assert.equal((await project.api('PUT', `/v1/b2b/organizations/${orgId}/members/${member.member_id}`, { roles: [] })).status, 200);
      await changed;
      assert.equal(client.rbac.isAuthorizedSync('reports', 'export'), false);
    } finally {
      client.stop();
    }
  });
});
