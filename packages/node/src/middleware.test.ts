// requirePermission for Fastify and Express, over real HTTP: Bearer and cookie, 401 without a valid
// session, 403 when not allowed (Stytch's envelope), the session handed to the route; consumer and B2B.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import express from 'express';
import Fastify from 'fastify';
import { B2BProject, signInUser, startTestServer, type ProjectCredentials, type TestServer } from '@gatehouse/server/testing';
import { expressGuard, fastifyGuard, GatehouseClient, guardResult, type GuardOptions } from './index.ts';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

const POLICY = {
  resources: [{ resource_id: 'documents', description: '', actions: ['read', 'write'] }],
  roles: [
    { role_id: 'stytch_user', description: '', permissions: [{ resource_id: 'documents', actions: ['read'] }] },
    { role_id: 'writer', description: '', permissions: [{ resource_id: 'documents', actions: ['write'] }] },
  ],
  scopes: [],
};

type Start = (client: GatehouseClient, options: GuardOptions<any>) => Promise<{ url: string; close(): Promise<unknown> }>;

const FRAMEWORKS: Record<string, Start> = {
  async fastify(client, options) {
    const app = Fastify();
    const guard = fastifyGuard(client, options);
    app.get('/documents', { preHandler: guard.requirePermission('documents', 'read') }, async (request) => ({ session: guardResult(request)?.session }));
    app.post('/documents', { preHandler: guard.requirePermission('documents', 'write') }, async () => ({ written: true }));
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    return { url, close: () => app.close() };
  },
  async express(client, options) {
    const app = express();
    const guard = expressGuard(client, options);
    app.get('/documents', guard.requirePermission('documents', 'read'), (request, response) => void response.json({ session: guardResult(request)?.session }));
    app.post('/documents', guard.requirePermission('documents', 'write'), (_request, response) => void response.json({ written: true }));
    const listener = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => listener.once('listening', resolve));
    return { url: `http://127.0.0.1:${(listener.address() as AddressInfo).port}`, close: () => new Promise((resolve) => listener.close(resolve)) };
  },
};

const clientFor = (project: ProjectCredentials) => new GatehouseClient({ project_id: project.project_id, secret: project.secret, base_url: server.baseUrl });

function assertEnvelope(body: any, status: number, errorType: string) {
  assert.equal(body.status_code, status);
  assert.equal(body.error_type, errorType);
  for (const key of ['request_id', 'error_message', 'error_url']) assert.equal(typeof body[key], 'string', key);
}

for (const [name, start] of Object.entries(FRAMEWORKS)) {
  test(`${name}: requirePermission (consumer)`, async () => {
    const project = await server.createProject();
    const client = clientFor(project);
    const app = await start(client, { cookieName: 'stytch_session_jwt' });
    try {
      await client.rbac.replacePolicy({ policy: POLICY });
      const reader = await signInUser(server, project, []);
      const writer = await signInUser(server, project, ['writer']);
      const call = (method: string, headers: Record<string, string>) => fetch(`${app.url}/documents`, { method, headers });

      const read = await call('GET', { authorization: `Bearer ${reader.session_jwt}` });
      assert.equal(read.status, 200);
      assert.equal((await read.json()).session.user_id, reader.user_id);
      assert.equal((await call('GET', { cookie: `theme=dark; stytch_session_jwt=${reader.session_jwt}` })).status, 200);
      assert.equal((await call('POST', { authorization: `Bearer ${writer.session_jwt}` })).status, 200);

      const denied = await call('POST', { authorization: `Bearer ${reader.session_jwt}` });
      assert.equal(denied.status, 403);
      assertEnvelope(await denied.json(), 403, 'consumer_session_authorization_error');

      const none = await call('GET', {});
      assert.equal(none.status, 401);
      assertEnvelope(await none.json(), 401, 'unauthorized_credentials');
      const garbage = await call('GET', { authorization: 'Bearer not-a-jwt' });
      assert.equal(garbage.status, 401);
      assertEnvelope(await garbage.json(), 401, 'session_not_found');
      // A revoked session whose user's roles then changed: the JWT is stale, so the server judges it (401).
      const stale = await signInUser(server, project, ['writer']);
      await client.sessions.revoke({ session_jwt: stale.session_jwt });
      await client.users.update({ user_id: stale.user_id, roles: [] });
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal((await call('POST', { authorization: `Bearer ${stale.session_jwt}` })).status, 401);
    } finally {
      await app.close();
      client.close();
    }
  });

  test(`${name}: requirePermission (B2B, the session's organization or the request's)`, async () => {
    const b2b = await B2BProject.create(server, {
      ...POLICY,
      roles: [
        { role_id: 'stytch_member', description: '', permissions: [{ resource_id: 'documents', actions: ['read'] }] },
        { role_id: 'stytch_admin', description: '', permissions: [] },
        { role_id: 'writer', description: '', permissions: [{ resource_id: 'documents', actions: ['write'] }] },
      ],
    });
    const client = clientFor(b2b.credentials);
    const organization = await b2b.createOrganization();
    const other = await b2b.createOrganization();
    const member = await b2b.createMember(organization.organization_id, { email_address: 'ada@acme.com' });
    const session = await b2b.startMemberSession(organization.organization_id, member.member_id);
    const own = await start(client, { kind: 'b2b' });
    const foreign = await start(client, { kind: 'b2b', organizationId: () => other.organization_id });
    try {
      const headers = { authorization: `Bearer ${session.session_jwt}` };
      const read = await fetch(`${own.url}/documents`, { headers });
      assert.equal(read.status, 200);
      assert.equal((await read.json()).session.member_id, member.member_id);
      const write = await fetch(`${own.url}/documents`, { method: 'POST', headers });
      assert.equal(write.status, 403);
      assertEnvelope(await write.json(), 403, 'session_authorization_error');
      const tenancy = await fetch(`${foreign.url}/documents`, { headers });
      assert.equal(tenancy.status, 403);
      assertEnvelope(await tenancy.json(), 403, 'session_authorization_tenancy_error');
    } finally {
      await own.close();
      await foreign.close();
      client.close();
    }
  });
}
