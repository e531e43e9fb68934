// Attack check (SCIM linking): a member whose only power is stytch.scim (it cannot grant `editor`,
// see connections.test.ts "group rules cannot escalate") creates a connection, provisions a SCIM
// user with the address of an existing member who holds `editor`, and so links that member; a PUT
// then moves the member's (verified) address to one the SCIM admin controls — whoever reads that
// inbox signs in as the editor. Stytch also links SCIM users by email; here the link stands, but
// the address of a member the connection linked (rather than created) is not the IdP's to move.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { B2BProject, B2B_POLICY, expectOk, STYTCH_ADMIN_ROLE } from '../testing/b2b.ts';
import { startTestServer, type TestServer } from '../testing/harness.ts';
import { ScimTestClient } from '../testing/scim.ts';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

const SCIM_ADMIN = { role_id: 'scim_admin', description: 'Manages SCIM', permissions: [{ resource_id: 'stytch.scim', actions: ['*'] }] };

test('a SCIM-only admin cannot take over an existing editor by linking it and moving its address', async () => {
  const project = await B2BProject.create(server, { ...B2B_POLICY, roles: [...B2B_POLICY.roles.filter((r) => r.role_id !== 'stytch_admin'), STYTCH_ADMIN_ROLE, SCIM_ADMIN] });
  const organizationId = (await project.createOrganization()).organization_id as string;
  const editor = await project.createMember(organizationId, { email_address: 'editor@acme.com', roles: ['editor'] });
  const scimAdmin = await project.createMember(organizationId, { email_address: 'scim@acme.com', roles: ['scim_admin'] });
  const session = await project.startMemberSession(organizationId, scimAdmin.member_id);
  const created = expectOk(await project.apiAs(session, 'POST', `/v1/b2b/scim/${organizationId}/connection`, { display_name: 'rogue' }));
  const idp = new ScimTestClient(server, created.connection.base_url, created.connection.bearer_token);

  const linked = await idp.request('POST', '/Users', { userName: 'editor@acme.com', emails: [{ primary: true, value: 'editor@acme.com' }], active: true });
  assert.equal(linked.status, 201, JSON.stringify(linked.body));
  assert.equal(linked.body.id, editor.member_id, 'the SCIM user was linked to the existing editor');
  const moved = await idp.request('PUT', `/Users/${editor.member_id}`, { userName: 'editor@acme.com', emails: [{ primary: true, value: 'scim+mine@acme.com' }], active: true });
  assert.equal(moved.status, 400, JSON.stringify(moved.body));
  const patched = await idp.request('PATCH', `/Users/${editor.member_id}`, {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'emails', value: [{ primary: true, value: 'scim+mine@acme.com' }] }],
  });
  assert.equal(patched.status, 400, JSON.stringify(patched.body));
  const member = await project.getMember(organizationId, editor.member_id);
  assert.equal(member.email_address, 'editor@acme.com');
  // Its name is still the IdP's to change; so is the address of a user the connection created.
  assert.equal((await idp.request('PUT', `/Users/${editor.member_id}`, { userName: 'editor@acme.com', emails: [{ primary: true, value: 'EDITOR@acme.com' }], displayName: 'Ed', active: true })).status, 200);
  assert.equal((await project.getMember(organizationId, editor.member_id)).name, 'Ed');
  const fresh = await idp.request('POST', '/Users', { userName: 'new@acme.com', emails: [{ primary: true, value: 'new@acme.com' }], active: true });
  assert.equal(fresh.status, 201);
  assert.equal((await idp.request('PUT', `/Users/${fresh.body.id}`, { userName: 'new@acme.com', emails: [{ primary: true, value: 'renamed@acme.com' }], active: true })).status, 200);
});
