// Test support for the shared authorization cases (@gatehouse/policy/testing/authorization-cases):
// a project per kind with the case policy, and a signed-in subject holding each case's roles. Used
// by the server's runner and by the backend SDK's.
import assert from 'node:assert/strict';
import {
  B2B_CASE_ORGANIZATION_ROLES,
  B2B_CASE_POLICY,
  CONSUMER_CASE_POLICY,
  type AuthorizationCase,
} from '@gatehouse/policy/testing/authorization-cases';
import { formatTimestamp } from '../shared/clock.ts';
import type { ProjectCredentials } from '../projects/service.ts';
import { B2BProject, expectOk } from './b2b.ts';
import type { TestServer } from './harness.ts';

export interface SignedIn {
  session_token: string;
  session_jwt: string;
}

/** A new user holding `roles` (and the default role), signed in the way credential endpoints sign in. */
export async function signInUser(server: TestServer, project: ProjectCredentials, roles: string[], minutes = 60): Promise<SignedIn & { user_id: string }> {
  const created = expectOk(await server.api(project, 'POST', '/v1/users', { email: `u-${crypto.randomUUID()}@example.com`, roles }));
  const user = await server.gatehouse.users.requireUser(project.project_id, created.user_id);
  const at = formatTimestamp(server.gatehouse.clock.now());
  const email = user.emails[0]!;
  const factor = {
    type: 'password',
    delivery_method: 'knowledge',
    last_authenticated_at: at,
    created_at: at,
    updated_at: at,
    email_factor: { email_id: email.email_id, email_address: email.email },
  };
  const grant = await server.gatehouse.sessions.grant(project.project_id, 'test', user, factor, { session_duration_minutes: minutes });
  return { user_id: user.user_id, session_token: grant.session_token, session_jwt: grant.session_jwt };
}

/** Each case's subject, made once per distinct role list. */
function perRoles<T>(make: (roles: string[]) => Promise<T>): (testCase: AuthorizationCase) => Promise<T> {
  const made = new Map<string, Promise<T>>();
  return (testCase) => {
    const key = testCase.roles.join(',');
    let subject = made.get(key);
    if (!subject) made.set(key, (subject = make(testCase.roles)));
    return subject;
  };
}

export async function consumerCaseWorld(server: TestServer) {
  const project = await server.createProject();
  expectOk(await server.api(project, 'PUT', '/v1/rbac/policy', { policy: CONSUMER_CASE_POLICY }));
  return { project, subjectFor: perRoles((roles) => signInUser(server, project, roles)) };
}

export async function b2bCaseWorld(server: TestServer) {
  const b2b = await B2BProject.create(server, B2B_CASE_POLICY);
  const organization = await b2b.createOrganization();
  const otherOrganization = await b2b.createOrganization();
  const orgId = organization.organization_id as string;
  expectOk(await b2b.api('PUT', `/v1/b2b/rbac/organizations/${orgId}`, { org_policy: { roles: B2B_CASE_ORGANIZATION_ROLES } }));
  const subjectFor = perRoles(async (roles) => {
    const member = await b2b.createMember(orgId, { email_address: `m-${crypto.randomUUID()}@example.com`, roles });
    assert.ok(member.member_id);
    return { member_id: member.member_id as string, ...(await b2b.startMemberSession(orgId, member.member_id)) };
  });
  return { b2b, project: b2b.credentials, organizationId: orgId, otherOrganizationId: otherOrganization.organization_id as string, subjectFor };
}
