// Runner 3 of the shared authorization cases (@gatehouse/policy/testing/authorization-cases): the
// backend SDK's local check (authenticateJwtLocal), against the policy it fetched from a started server.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { B2B_CASES, CONSUMER_CASES } from '@gatehouse/policy/testing/authorization-cases';
import { b2bCaseWorld, consumerCaseWorld, startTestServer, type ProjectCredentials, type TestServer } from '@gatehouse/server/testing';
import { GatehouseClient, GatehouseClientError } from './index.ts';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

const clientFor = (project: ProjectCredentials) =>
  new GatehouseClient({ project_id: project.project_id, secret: project.secret, base_url: server.baseUrl, policy: { stream: false } });

/** The local verdict, or the code of the local refusal. */
async function localAnswer(attempt: Promise<{ verdict?: { authorized: boolean; granting_roles: string[] }; decided_by: string }>) {
  try {
    const result = await attempt;
    assert.equal(result.decided_by, 'local');
    return { authorized: true, granting_roles: [...(result.verdict?.granting_roles ?? [])].sort() };
  } catch (error) {
    if (!(error instanceof GatehouseClientError)) throw error;
    return { authorized: false, code: error.code };
  }
}

test('consumer cases: authenticateJwtLocal with authorization_check', async () => {
  const { project, subjectFor } = await consumerCaseWorld(server);
  const client = clientFor(project);
  try {
    for (const c of CONSUMER_CASES) {
      const { session_jwt } = await subjectFor(c);
      const answer = await localAnswer(client.sessions.authenticateJwtLocal({ session_jwt, authorization_check: { resource_id: c.resource_id, action: c.action } }));
      if (c.expected) assert.deepEqual(answer, { authorized: true, granting_roles: c.granting_roles }, c.name);
      else assert.deepEqual(answer, { authorized: false, code: 'invalid_permissions' }, c.name);
    }
  } finally {
    client.close();
  }
});

test('B2B cases: authenticateJwtLocal with authorization_check (tenancy, org custom roles)', async () => {
  const { project, organizationId, otherOrganizationId, subjectFor } = await b2bCaseWorld(server);
  const client = clientFor(project);
  try {
    for (const c of B2B_CASES) {
      const { session_jwt } = await subjectFor(c);
      const organization_id = c.organization === 'other' ? otherOrganizationId : organizationId;
      const answer = await localAnswer(
        client.b2b.sessions.authenticateJwtLocal({ session_jwt, authorization_check: { organization_id, resource_id: c.resource_id, action: c.action } }),
      );
      if (c.expected) assert.deepEqual(answer, { authorized: true, granting_roles: c.granting_roles }, c.name);
      else assert.deepEqual(answer, { authorized: false, code: c.organization === 'other' ? 'tenancy_mismatch' : 'invalid_permissions' }, c.name);
    }
  } finally {
    client.close();
  }
});
