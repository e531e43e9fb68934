// Microsoft Entra ID's provisioning, replayed over HTTP: the requests Entra's SCIM documentation
// shows it sending (lookup by userName and externalId, create with the enterprise extension, PATCH
// with capitalized ops and paths like `emails[type eq "work"].value` and `name.familyName`, groups
// created with Entra's own schema, read with excludedAttributes=members, members added and removed
// with `Add`/`Remove` and a value list, the membership check `id eq … and members eq …`, disabling
// with `active` false — and the string "False" Entra sends without its SCIM 2.0 flag — and DELETE),
// with a group role rule on the connection; after each step the member's roles, its live session's
// roles and member search by role are checked. DATABASE_URL=postgres://… runs it on PostgreSQL.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../testing/harness.ts';
import { ScimWorld } from '../testing/scim.ts';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const AD_GROUP = 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const q = (filter: string) => encodeURIComponent(filter);

test('Entra: create a user, add to a group, remove, disable, enable, delete', async () => {
  const world = await ScimWorld.create(server, 'microsoft-entra');
  const { idp } = world;
  assert.ok(world.connection.base_url.endsWith('?aadOptscim062020'));
  const userName = 'Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1';
  const externalId = '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef';

  assert.equal((await idp.request('GET', `/Users?filter=${q(`userName eq "${userName}"`)}`)).body.totalResults, 0);
  assert.equal((await idp.request('GET', `/Users?filter=${q(`externalId eq "${externalId}"`)}`)).body.totalResults, 0);
  const created = await idp.request('POST', '/Users', {
    schemas: [USER, ENTERPRISE], externalId, userName, active: true,
    emails: [{ primary: true, type: 'work', value: 'Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com' }],
    meta: { resourceType: 'User' }, name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' }, roles: [],
    [ENTERPRISE]: { department: 'Engineering' },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const userId = created.body.id as string;
  assert.deepEqual(created.body.schemas, [USER, ENTERPRISE]);
  assert.equal(created.body[ENTERPRISE].department, 'Engineering');
  let member = await world.member(userId);
  assert.equal(member.email_address, 'Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com');
  assert.equal(member.name, 'givenName familyName');
  assert.equal(member.email_address_verified, true);
  // Stytch's SCIMRegistration, in snake_case.
  assert.equal(member.scim_registration.scim_attributes.user_name, userName);
  assert.equal(member.scim_registration.scim_attributes.name.given_name, 'givenName');
  assert.equal(member.scim_registration.scim_attributes.enterprise_extension.department, 'Engineering');
  assert.equal(member.scim_registration.scim_attributes.active, true);
  const session = await world.project.startMemberSession(world.organizationId, userId);

  // Lookups find it, by userName (case-insensitive), externalId and the work address.
  assert.equal((await idp.request('GET', `/Users?filter=${q(`userName eq "${userName.toUpperCase()}"`)}`)).body.Resources[0].id, userId);
  assert.equal((await idp.request('GET', `/Users?filter=${q(`externalId eq "${externalId}"`)}`)).body.Resources[0].id, userId);
  const byEmail = await idp.request('GET', `/Users?filter=${q('emails[type eq "work"].value eq "test_user_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com" and userName eq "' + userName + '"')}`);
  assert.deepEqual(byEmail.body.Resources.map((u: { id: string }) => u.id), [userId]);

  // Entra's PATCH of multi-valued and single-valued attributes.
  const patched = await idp.request('PATCH', `/Users/${userId}`, {
    schemas: [PATCH], Operations: [
      { op: 'Replace', path: 'emails[type eq "work"].value', value: 'updatedEmail@testuser.com' },
      { op: 'Replace', path: 'name.familyName', value: 'updatedFamilyName' },
      { op: 'Add', path: `${ENTERPRISE}:department`, value: 'Research' },
    ],
  });
  assert.equal(patched.status, 200, JSON.stringify(patched.body));
  assert.equal(patched.body.emails[0].value, 'updatedEmail@testuser.com');
  assert.equal(patched.body.name.familyName, 'updatedFamilyName');
  assert.equal(patched.body[ENTERPRISE].department, 'Research');
  member = await world.member(userId);
  assert.equal(member.email_address, 'updatedEmail@testuser.com');
  assert.equal(member.email_address_verified, true);
  const renamed = await idp.request('PATCH', `/Users/${userId}`, { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'userName', value: '5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com' }] });
  assert.equal(renamed.body.userName, '5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com');
  assert.deepEqual(await world.sessionRoles(session.session_token), ['stytch_member']);

  // A group, created with Entra's schema, read without its members.
  const group = await idp.request('POST', '/Groups', {
    schemas: [GROUP, AD_GROUP], externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159', displayName: 'displayName', meta: { resourceType: 'Group' },
  });
  assert.equal(group.status, 201, JSON.stringify(group.body));
  const groupId = group.body.id as string;
  assert.equal((await idp.request('GET', `/Groups/${groupId}?excludedAttributes=members`)).body.members, undefined);
  const byName = await idp.request('GET', `/Groups?excludedAttributes=members&filter=${q('displayName eq "displayName"')}`);
  assert.deepEqual(byName.body.Resources.map((g: { id: string; members?: unknown }) => [g.id, g.members]), [[groupId, undefined]]);
  await world.ruleFor(groupId, 'viewer');
  const renamedGroup = await idp.request('PATCH', `/Groups/${groupId}`, { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'displayName', value: '1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName' }] });
  assert.equal(renamedGroup.body.displayName, '1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName');

  // Add member: the role holds at once, in the live session too.
  const membershipCheck = () => idp.request('GET', `/Groups?excludedAttributes=members&filter=${q(`id eq "${groupId}" and members eq "${userId}"`)}`);
  assert.equal((await membershipCheck()).body.totalResults, 0);
  const added = await idp.request('PATCH', `/Groups/${groupId}`, { schemas: [PATCH], Operations: [{ op: 'Add', path: 'members', value: [{ $ref: null, value: userId }] }] });
  assert.equal(added.status, 200, JSON.stringify(added.body));
  assert.equal((await membershipCheck()).body.totalResults, 1);
  member = await world.member(userId);
  assert.deepEqual(member.roles.find((r: { role_id: string }) => r.role_id === 'viewer')?.sources,
    [{ type: 'scim_connection_group', details: { connection_id: world.connection.connection_id, group_id: groupId } }]);
  assert.deepEqual(await world.sessionRoles(session.session_token), ['stytch_member', 'viewer']);
  assert.deepEqual(await world.searchByRole('viewer'), [userId]);

  // Remove member, Entra's way (a value list).
  const removed = await idp.request('PATCH', `/Groups/${groupId}`, { schemas: [PATCH], Operations: [{ op: 'Remove', path: 'members', value: [{ $ref: null, value: userId }] }] });
  assert.equal(removed.status, 200, JSON.stringify(removed.body));
  assert.deepEqual(await world.sessionRoles(session.session_token), ['stytch_member']);
  assert.deepEqual(await world.searchByRole('viewer'), []);
  assert.equal((await membershipCheck()).body.totalResults, 0);

  // Back in the group; disabled with the string "False" (Entra without its SCIM 2.0 flag).
  await idp.request('PATCH', `/Groups/${groupId}`, { schemas: [PATCH], Operations: [{ op: 'Add', path: 'members', value: [{ value: userId }] }] });
  assert.deepEqual(await world.searchByRole('viewer'), [userId]);
  const disabled = await idp.request('PATCH', `/Users/${userId}`, { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] });
  assert.equal(disabled.status, 200, JSON.stringify(disabled.body));
  assert.equal(disabled.body.active, false);
  assert.equal(await world.member(userId), null);
  assert.equal(await world.sessionRoles(session.session_token), null);
  assert.deepEqual(await world.searchByRole('viewer'), []);

  // Enabled again (a boolean, with the flag): a member with the group's role.
  const enabled = await idp.request('PATCH', `/Users/${userId}`, { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'active', value: true }] });
  assert.equal(enabled.body.active, true);
  assert.deepEqual(await world.searchByRole('viewer'), [userId]);
  const second = await world.project.startMemberSession(world.organizationId, userId);
  assert.deepEqual(await world.sessionRoles(second.session_token), ['stytch_member', 'viewer']);

  // Deleted: gone from the organization and the group, its session revoked.
  assert.equal((await idp.request('DELETE', `/Users/${userId}`)).status, 204);
  assert.equal(await world.member(userId), null);
  assert.equal(await world.sessionRoles(second.session_token), null);
  assert.deepEqual((await idp.request('GET', `/Groups/${groupId}`)).body.members, []);
  assert.equal((await idp.request('GET', `/Users/${userId}`)).status, 404);
  assert.equal((await idp.request('DELETE', `/Groups/${groupId}`)).status, 204);
});

test('Entra: paging with startIndex and count; PUT of a group sets its members; If-Match', async () => {
  const world = await ScimWorld.create(server, 'microsoft-entra');
  const { idp } = world;
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const user = await idp.request('POST', '/Users', { schemas: [USER], userName: `user${i}@contoso.test`, active: true, emails: [{ primary: true, type: 'work', value: `user${i}@contoso.test` }] });
    assert.equal(user.status, 201, JSON.stringify(user.body));
    ids.push(user.body.id);
  }
  const page = await idp.request('GET', '/Users?startIndex=2&count=2');
  assert.equal(page.body.totalResults, 5);
  assert.equal(page.body.startIndex, 2);
  assert.deepEqual(page.body.Resources.map((u: { id: string }) => u.id), ids.slice(1, 3));
  const group = await idp.request('POST', '/Groups', { schemas: [GROUP], displayName: 'All', members: ids.slice(0, 2).map((value) => ({ value })) });
  assert.equal(group.body.members.length, 2);
  await world.ruleFor(group.body.id, 'editor');
  assert.deepEqual((await world.searchByRole('editor')).sort(), ids.slice(0, 2).sort());
  const put = await idp.request('PUT', `/Groups/${group.body.id}`, { schemas: [GROUP], displayName: 'All', members: ids.slice(3).map((value) => ({ value })) });
  assert.equal(put.status, 200);
  assert.deepEqual((await world.searchByRole('editor')).sort(), ids.slice(3).sort());
  // An unknown member id is refused, and nothing changes.
  const unknown = await idp.request('PATCH', `/Groups/${group.body.id}`, { schemas: [PATCH], Operations: [{ op: 'Add', path: 'members', value: [{ value: 'member-test-00000000-0000-4000-8000-000000000000' }] }] });
  assert.equal(unknown.status, 400);
  assert.equal(unknown.body.scimType, 'invalidValue');
  // ETags: a stale If-Match is refused.
  const user = await idp.request('GET', `/Users/${ids[0]}`);
  const etag = user.headers.get('etag')!;
  assert.equal((await idp.request('PATCH', `/Users/${ids[0]}`, { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'displayName', value: 'One' }] }, { 'if-match': etag })).status, 200);
  assert.equal((await idp.request('PATCH', `/Users/${ids[0]}`, { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'displayName', value: 'Two' }] }, { 'if-match': etag })).status, 412);
});
