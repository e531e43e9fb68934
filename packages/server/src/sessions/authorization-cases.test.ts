// Runner 2 of the shared authorization cases (@gatehouse/policy/testing/authorization-cases): the
// server's authorization_check in sessions/authenticate over HTTP, consumer and B2B, by JWT and token;
// and the consumer cases through both ways of the authenticate pipeline — loading (every cache
// cold) and in memory (every cache warm) — so that the two cannot answer differently.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { B2B_CASE_BUILT_IN_RESOURCES, B2B_CASES, CONSUMER_CASES } from '@gatehouse/policy/testing/authorization-cases';
import { b2bCaseWorld, consumerCaseWorld } from '../testing/authorization-cases.ts';
import { GatehouseError } from '../shared/errors.ts';
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

test('consumer cases: the loading path with cold caches and the in-memory step with warm ones answer alike', async () => {
  const { sessions, feed } = server.gatehouse;
  const { project, subjectFor } = await consumerCaseWorld(server);
  /** The verdict's granting roles, or the code of the error thrown. */
  const outcome = (answer: () => { verdict?: { authorized: boolean; granting_roles: string[] } }) => {
    try {
      const { verdict } = answer();
      assert.equal(verdict?.authorized, true);
      return [...verdict!.granting_roles].sort();
    } catch (error) {
      if (!(error instanceof GatehouseError)) throw error;
      return error.errorType;
    }
  };
  for (const c of CONSUMER_CASES) {
    const subject = await subjectFor(c);
    for (const credential of [{ session_jwt: subject.session_jwt }, { session_token: subject.session_token }]) {
      const input = { ...credential, authorization_check: { resource_id: c.resource_id, action: c.action } };
      const expected = c.expected ? c.granting_roles : 'consumer_session_authorization_error';
      feed.forgetAll();
      assert.equal(sessions.authenticateInMemory(project.project_id, input), undefined, `${c.name}: cold caches answer nothing in memory`);
      let loaded: Awaited<ReturnType<typeof sessions.authenticate>> | GatehouseError;
      try {
        loaded = await sessions.authenticate(project.project_id, 'test', input);
      } catch (error) {
        loaded = error as GatehouseError;
      }
      assert.deepEqual(outcome(() => { if (loaded instanceof Error) throw loaded; return loaded; }), expected, `${c.name}: loading path`);
      // On a PostgreSQL shared with other test files, their policy writes (any project's) and a
      // dropped listener empty caches here too: warm them again, a few times at most.
      const NOT_IN_MEMORY = 'not answered in memory';
      const inMemory = () => outcome(() => sessions.authenticateInMemory(project.project_id, input) ?? { verdict: { authorized: true, granting_roles: [NOT_IN_MEMORY] } });
      let answered = inMemory();
      for (let attempt = 0; attempt < 5 && answered[0] === NOT_IN_MEMORY; attempt++) {
        // Warming is all this call is for: a denied case throws here as it should.
        await sessions.authenticate(project.project_id, 'test', input).catch((error) => {
          if (!(error instanceof GatehouseError)) throw error;
        });
        answered = inMemory();
      }
      assert.deepEqual(answered, expected, `${c.name}: in-memory step with warm caches`);
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
