// Runner 2 of the shared authorization cases (@gatehouse/policy/testing/authorization-cases): the
// server's authorization_check in sessions/authenticate over HTTP, consumer and B2B, by JWT and token.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { B2B_CASE_BUILT_IN_RESOURCES, B2B_CASES, CONSUMER_CASES } from '@gatehouse/policy/testing/authorization-cases';
import { b2bCaseWorld, consumerCaseWorld } from '../testing/authorization-cases.ts';
import { expectError, startTestServer, type TestServer } from '../testing/harness.ts';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

test('consumer cases: POST /v1/sessions/authenticate with authorization_check', async () => {
  const { project, subjectFor } = await consumerCaseWorld(server);
  for (const c of CONSUMER_CASES) {
    const subject = await subjectFor(c);
    for (const credential of [{ session_jwt: subject.session_jwt }, { session_token: subject.session_token }]) {
      const response = await server.api(project, 'POST', '/v1/sessions/authenticate', {
        ...credential,
        authorization_check: { resource_id: c.resource_id, action: c.action },
      });
      if (c.expected) {
        assert.equal(response.status, 200, `${c.name}: ${JSON.stringify(response.body)}`);
        assert.equal(response.body.verdict.authorized, true, c.name);
        assert.deepEqual([...response.body.verdict.granting_roles].sort(), c.granting_roles, c.name);
      } else {
        expectError(response, 403, 'consumer_session_authorization_error');
      }
    }
  }
});

test('B2B cases: POST /v1/b2b/sessions/authenticate with authorization_check', async () => {
  const { b2b, project, organizationId, otherOrganizationId, subjectFor } = await b2bCaseWorld(server);
  // The built-in resources the cases assume are the server's.
  const served = await b2b.policy();
  for (const builtIn of B2B_CASE_BUILT_IN_RESOURCES) {
    assert.deepEqual(served.resources.find((r: { resource_id: string }) => r.resource_id === builtIn.resource_id)?.actions, builtIn.actions);
  }
  for (const c of B2B_CASES) {
    const subject = await subjectFor(c);
    const organization_id = c.organization === 'other' ? otherOrganizationId : organizationId;
    const response = await server.api(project, 'POST', '/v1/b2b/sessions/authenticate', {
      session_jwt: subject.session_jwt,
      authorization_check: { organization_id, resource_id: c.resource_id, action: c.action },
    });
    if (c.expected) {
      assert.equal(response.status, 200, `${c.name}: ${JSON.stringify(response.body)}`);
      assert.equal(response.body.verdict.authorized, true, c.name);
      assert.deepEqual([...response.body.verdict.granting_roles].sort(), c.granting_roles, c.name);
    } else {
      expectError(response, 403, c.organization === 'other' ? 'session_authorization_tenancy_error' : 'session_authorization_error');
    }
  }
});
