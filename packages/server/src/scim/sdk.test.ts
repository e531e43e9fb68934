// The admin portal's SCIM calls (/sdk/v1/b2b/scim…), sent as @stytch/vanilla-js's stytch.scim sends
// them (HeadlessB2BSCIMClient: the paths, methods and bodies of createConnection, getConnection,
// updateConnection, getConnectionGroups, rotateStart/Complete/Cancel, deleteConnection), by a member
// holding stytch.scim and by one who does not.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { B2BProject, B2B_POLICY, STYTCH_ADMIN_ROLE } from '../testing/b2b.ts';
import { startTestServer, type TestServer } from '../testing/harness.ts';
import { ScimTestClient } from '../testing/scim.ts';
import { allowOrigin, expectData, sdkCall } from '../testing/sdk.ts';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

const ORIGIN = 'https://portal.example.com';
const SCIM_ADMIN = { role_id: 'scim_admin', description: 'Manages SCIM and grants viewer', permissions: [{ resource_id: 'stytch.scim', actions: ['*'] }, { resource_id: 'documents', actions: ['read'] }] };

test('the admin portal manages the organization\'s SCIM connection on a member\'s session', async () => {
  const project = await B2BProject.create(server, { ...B2B_POLICY, roles: [...B2B_POLICY.roles.filter((r) => r.role_id !== 'stytch_admin'), STYTCH_ADMIN_ROLE, SCIM_ADMIN] });
  await allowOrigin(server, project.credentials, ORIGIN, 'B2B');
  const organizationId = (await project.createOrganization()).organization_id as string;
  const admin = await project.createMember(organizationId, { email_address: 'admin@acme.com', roles: ['scim_admin'] });
  const nobody = await project.createMember(organizationId, { email_address: 'nobody@acme.com' });
  const as = async (memberId: string) => ({ publicToken: project.credentials.public_token, sessionToken: (await project.startMemberSession(organizationId, memberId)).session_token, origin: ORIGIN });
  const portal = await as(admin.member_id);
  const stranger = await as(nobody.member_id);

  assert.deepEqual(Object.keys(expectData(await sdkCall(server, portal, 'GET', '/b2b/scim'))).sort(), ['request_id', 'status_code']);
  assert.equal((await sdkCall(server, stranger, 'POST', '/b2b/scim', { display_name: 'Okta' })).status, 403);
  const created = expectData(await sdkCall(server, portal, 'POST', '/b2b/scim', { display_name: 'Okta', identity_provider: 'okta' })).connection;
  assert.equal(created.organization_id, organizationId);
  assert.ok(created.bearer_token);
  const connectionId = created.connection_id as string;
  assert.equal(expectData(await sdkCall(server, portal, 'GET', '/b2b/scim')).connection.connection_id, connectionId);
  assert.equal((await sdkCall(server, stranger, 'GET', '/b2b/scim')).status, 403);

  // Groups the IdP pushed, and a rule for one (within the member's own permissions).
  const idp = new ScimTestClient(server, created.base_url, created.bearer_token);
  const group = (await idp.request('POST', '/Groups', { displayName: 'Readers' })).body;
  const groups = expectData(await sdkCall(server, portal, 'POST', '/b2b/scim/groups', { limit: 10 }));
  assert.deepEqual(groups.scim_groups.map((g: { group_id: string }) => g.group_id), [group.id]);
  const updated = expectData(await sdkCall(server, portal, 'PUT', `/b2b/scim/${connectionId}`, {
    connection_id: connectionId, display_name: 'Okta (prod)', scim_group_implicit_role_assignments: [{ role_id: 'viewer', group_id: group.id }],
  })).connection;
  assert.equal(updated.display_name, 'Okta (prod)');
  assert.deepEqual(updated.scim_group_implicit_role_assignments, [{ role_id: 'viewer', group_id: group.id, group_name: 'Readers' }]);
  // editor's write is beyond the member: refused, and the rules stay.
  const escalation = await sdkCall(server, portal, 'PUT', `/b2b/scim/${connectionId}`, { connection_id: connectionId, scim_group_implicit_role_assignments: [{ role_id: 'editor', group_id: group.id }] });
  assert.equal(escalation.status, 403, JSON.stringify(escalation.body));
  assert.equal(expectData(await sdkCall(server, portal, 'GET', '/b2b/scim')).connection.scim_group_implicit_role_assignments[0].role_id, 'viewer');

  // Rotation, as the SDK sends it (the connection id in the body).
  const next = expectData(await sdkCall(server, portal, 'POST', '/b2b/scim/rotate/start', { connection_id: connectionId })).connection.next_bearer_token;
  assert.ok(next);
  assert.equal((await sdkCall(server, stranger, 'POST', '/b2b/scim/rotate/complete', { connection_id: connectionId })).status, 403);
  const completed = expectData(await sdkCall(server, portal, 'POST', '/b2b/scim/rotate/complete', { connection_id: connectionId })).connection;
  assert.equal(completed.bearer_token_last_four, next.slice(-4));
  assert.equal((await idp.request('GET', '/Users')).status, 401);
  idp.token = next;
  assert.equal((await idp.request('GET', '/Users')).status, 200);
  expectData(await sdkCall(server, portal, 'POST', '/b2b/scim/rotate/start', { connection_id: connectionId }));
  assert.equal(expectData(await sdkCall(server, portal, 'POST', '/b2b/scim/rotate/cancel', { connection_id: connectionId })).connection.next_bearer_token_last_four, '');

  assert.equal((await sdkCall(server, stranger, 'DELETE', `/b2b/scim/${connectionId}`)).status, 403);
  assert.equal(expectData(await sdkCall(server, portal, 'DELETE', `/b2b/scim/${connectionId}`)).connection_id, connectionId);
  assert.equal(expectData(await sdkCall(server, portal, 'GET', '/b2b/scim')).connection, undefined);
});
