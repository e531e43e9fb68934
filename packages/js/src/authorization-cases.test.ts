// Runner 4 of the shared authorization cases (@gatehouse/policy/testing/authorization-cases): the
// browser SDK. Each case's subject is signed in on a started server; the client reads the policy
// from the bootstrap and the roles from sessions/authenticate (/sdk/v1), then answers with
// isAuthorizedSync — the same expected values as the engine, the server and the backend SDK.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { B2B_CASES, CONSUMER_CASES } from '@gatehouse/policy/testing/authorization-cases';
import { b2bCaseWorld, consumerCaseWorld, startTestServer, type TestServer } from '@gatehouse/server/testing';
import { createGatehouseClient, MemoryCookieJar, type Vertical } from './index.ts';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

async function signedInClient(publicToken: string, vertical: Vertical, tokens: { session_token: string; session_jwt: string }) {
  const cookies = new MemoryCookieJar({ stytch_session: tokens.session_token, stytch_session_jwt: tokens.session_jwt });
  const client = createGatehouseClient({ publicToken, baseUrl: server.baseUrl, vertical, cookies, storage: null, pollIntervalMs: 0 });
  await client.ready();
  assert.equal(client.getState().status, 'signed_in');
  return client;
}

test('consumer cases: isAuthorizedSync and isAuthorized of @gatehouse/js', async () => {
  const { project, subjectFor } = await consumerCaseWorld(server);
  for (const c of CONSUMER_CASES) {
    const client = await signedInClient(project.public_token, 'consumer', await subjectFor(c));
    assert.equal(client.rbac.isAuthorizedSync(c.resource_id, c.action), c.expected, c.name);
    assert.equal(await client.rbac.isAuthorized(c.resource_id, c.action), c.expected, c.name);
  }
});

test('B2B cases: isAuthorizedSync of @gatehouse/js (organization custom roles, tenancy)', async () => {
  const { project, organizationId, otherOrganizationId, subjectFor } = await b2bCaseWorld(server);
  for (const c of B2B_CASES) {
    const client = await signedInClient(project.public_token, 'b2b', await subjectFor(c));
    const organization_id = c.organization === 'other' ? otherOrganizationId : organizationId;
    assert.equal(client.rbac.isAuthorizedSync(c.resource_id, c.action, { organization_id }), c.expected, c.name);
  }
});
