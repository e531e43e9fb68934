// The admin portal's external SSO connections (/sdk/v1/b2b/sso/external…), sent as @stytch/vanilla-js's
// sso.external sends them (HeadlessB2BSSOClient: createConnection POSTs /b2b/sso/external with
// external_organization_id, external_connection_id, display_name; updateConnection PUTs
// /b2b/sso/external/{connection_id} with the connection id in the body too): on the signed-in member's
// organization, with the /v1 rules — stytch.sso create / update, implicit roles within the member's own.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { B2BProject, expectOk } from '../testing/b2b.ts';
import { startTestServer, type TestServer } from '../testing/harness.ts';
import { allowOrigin, expectData, sdkCall } from '../testing/sdk.ts';

const POLICY = {
  resources: [{ resource_id: 'repos', description: 'Code', actions: ['read', 'push'] }],
  roles: [
    { role_id: 'stytch_member', description: '', permissions: [{ resource_id: 'stytch.self', actions: ['*'] }] },
    { role_id: 'stytch_admin', description: '', permissions: [{ resource_id: 'stytch.member', actions: ['*'] }, { resource_id: 'stytch.sso', actions: ['*'] }] },
    { role_id: 'sso-manager', description: 'Manages SSO', permissions: [{ resource_id: 'stytch.sso', actions: ['create', 'update', 'get'] }, { resource_id: 'repos', actions: ['read'] }] },
    { role_id: 'sso-reader', description: 'Reads SSO settings', permissions: [{ resource_id: 'stytch.sso', actions: ['get'] }] },
    { role_id: 'reader', description: 'Reads code', permissions: [{ resource_id: 'repos', actions: ['read'] }] },
    { role_id: 'engineer', description: 'Pushes code', permissions: [{ resource_id: 'repos', actions: ['push'] }] },
  ],
  scopes: [],
};
const ORIGIN = 'https://portal.example.com';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server?.close());

test('the admin portal creates and updates an external connection on a member\'s session; a member without stytch.sso create or update is refused and nothing is written', async () => {
  const project = await B2BProject.create(server, POLICY);
  await allowOrigin(server, project.credentials, ORIGIN, 'B2B');
  const source = (await project.createOrganization({ organization_name: 'Parent' })).organization_id as string;
  const target = (await project.createOrganization({ organization_name: 'Subsidiary' })).organization_id as string;
  const saml = expectOk(await project.api('POST', `/v1/b2b/sso/saml/${source}`, { display_name: 'Parent IdP' })).connection;
  const manager = await project.createMember(target, { email_address: 'manager@sub.example', roles: ['sso-manager'] });
  const reader = await project.createMember(target, { email_address: 'reader@sub.example', roles: ['sso-reader'] });
  const as = async (memberId: string) => ({ publicToken: project.credentials.public_token, sessionToken: (await project.startMemberSession(target, memberId)).session_token, origin: ORIGIN });
  const portal = await as(manager.member_id);
  const stranger = await as(reader.member_id);
  const externals = async () => expectData(await sdkCall(server, portal, 'GET', '/b2b/sso')).external_connections;

  // Without stytch.sso create: 403, and the organization has no external connection.
  const refused = await sdkCall(server, stranger, 'POST', '/b2b/sso/external', { external_organization_id: source, external_connection_id: saml.connection_id, display_name: 'Theirs' });
  assert.equal(refused.status, 403, JSON.stringify(refused.body));
  assert.deepEqual(await externals(), []);

  const created = expectData(await sdkCall(server, portal, 'POST', '/b2b/sso/external', {
    external_organization_id: source, external_connection_id: saml.connection_id, display_name: 'Parent SSO',
  })).connection;
  assert.match(created.connection_id, /^external-connection-test-[0-9a-f-]{36}$/);
  assert.deepEqual(created, {
    organization_id: target, connection_id: created.connection_id, external_organization_id: source, external_connection_id: saml.connection_id,
    display_name: 'Parent SSO', status: 'active', external_connection_implicit_role_assignments: [], external_group_implicit_role_assignments: [],
  });
  const connectionId = created.connection_id as string;
  assert.deepEqual(await externals(), [created]);
  // The source organization's list is unchanged: the connection is the member's organization's.
  assert.deepEqual(expectOk(await project.api('GET', `/v1/b2b/sso/${source}`)).external_connections, []);

  // The source must be another organization's: its own new connection cannot be one.
  const selfSource = await sdkCall(server, portal, 'POST', '/b2b/sso/external', { external_organization_id: target, external_connection_id: connectionId });
  assert.equal(selfSource.status, 404, JSON.stringify(selfSource.body));

  // updateConnection: the id in the path and in the body; role rules within the member's own permissions.
  const updated = expectData(await sdkCall(server, portal, 'PUT', `/b2b/sso/external/${connectionId}`, {
    connection_id: connectionId, display_name: 'Parent SSO (prod)',
    external_connection_implicit_role_assignments: [{ role_id: 'reader' }],
    external_group_implicit_role_assignments: [{ role_id: 'reader', group: 'eng' }],
  })).connection;
  assert.equal(updated.display_name, 'Parent SSO (prod)');
  assert.deepEqual(updated.external_connection_implicit_role_assignments, [{ role_id: 'reader' }]);
  assert.deepEqual(updated.external_group_implicit_role_assignments, [{ role_id: 'reader', group: 'eng' }]);
  assert.deepEqual(await externals(), [updated]);

  // A role beyond the member (repos push) is refused, and so is the member without stytch.sso update.
  const escalation = await sdkCall(server, portal, 'PUT', `/b2b/sso/external/${connectionId}`, { connection_id: connectionId, external_connection_implicit_role_assignments: [{ role_id: 'engineer' }] });
  assert.equal(escalation.status, 403, JSON.stringify(escalation.body));
  const strangerUpdate = await sdkCall(server, stranger, 'PUT', `/b2b/sso/external/${connectionId}`, { connection_id: connectionId, display_name: 'Taken' });
  assert.equal(strangerUpdate.status, 403, JSON.stringify(strangerUpdate.body));
  assert.deepEqual(await externals(), [updated]);

  // Without a session, no call at all.
  const anonymous = await sdkCall(server, { publicToken: project.credentials.public_token, origin: ORIGIN }, 'POST', '/b2b/sso/external', { external_organization_id: source, external_connection_id: saml.connection_id });
  assert.equal(anonymous.body.error_type, 'session_not_found', JSON.stringify(anonymous.body));
  assert.equal((await externals()).length, 1);
});
