// Okta's provisioning, replayed over HTTP: the requests Okta's SCIM 2.0 documentation shows it
// sending (the user lookup by userName and create with a password it must never keep, the profile
// PUT, Group Push: lookup by displayName, create, `add` to path `members`, rename by a path-less
// `replace`, `remove` of `members[value eq "…"]`, and the path-less `replace` of `active` that
// deactivates), with a group role rule on the connection; after each step the member's roles, its
// live session's roles, member search by role, who-can and (afterwards) access-at are checked.
// DATABASE_URL=postgres://… runs it on PostgreSQL.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../testing/harness.ts';
import { fitInRateWindow } from '../testing/rate-window.ts';
import { ScimWorld } from '../testing/scim.ts';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

const editorSource = (member: any) => member.roles.find((role: { role_id: string }) => role.role_id === 'editor')?.sources ?? [];

test('Okta: create a user, push a group, add, rename, remove, deactivate, reactivate, delete', async () => {
  const world = await ScimWorld.create(server, 'okta');
  const { idp } = world;
  const userName = 'test.user@okta.local';

  // Okta first looks the user up.
  const lookup = await idp.request('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}&startIndex=1&count=100`);
  assert.equal(lookup.status, 200);
  assert.match(lookup.headers.get('content-type') ?? '', /^application\/scim\+json/);
  assert.deepEqual(lookup.body, { schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] });

  // Create, as Okta sends it (with a password).
  const created = await idp.request('POST', '/Users', {
    schemas: [USER], userName, name: { givenName: 'Test', familyName: 'User' },
    emails: [{ primary: true, value: userName, type: 'work' }], displayName: 'Test User', locale: 'en-US',
    externalId: '00ujl29u0le5T6Aj10h7', groups: [], password: '1mz050nq', active: true,
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const userId = created.body.id as string;
  assert.match(userId, /^member-test-/);
  assert.equal(created.headers.get('location'), created.body.meta.location);
  assert.equal(created.headers.get('etag'), created.body.meta.version);
  assert.equal(created.body.userName, userName);
  assert.equal(created.body.active, true);
  assert.equal(created.body.password, undefined);
  assert.ok(!JSON.stringify(await server.gatehouse.db.query('SELECT attributes FROM scim_users')).includes('1mz050nq'), 'the password is not stored');

  // The user is a member of the organization, its address verified (the IdP vouches for it).
  let member = await world.member(userId);
  assert.equal(member.email_address, userName);
  assert.equal(member.email_address_verified, true);
  assert.equal(member.status, 'active');
  assert.equal(member.name, 'Test User');
  assert.equal(member.scim_registration.connection_id, world.connection.connection_id);
  assert.equal(member.scim_registration.external_id, '00ujl29u0le5T6Aj10h7');
  assert.deepEqual(member.roles.map((role: { role_id: string }) => role.role_id), ['stytch_member']);
  const session = await world.project.startMemberSession(world.organizationId, userId);
  assert.deepEqual(await world.sessionRoles(session.session_token), ['stytch_member']);

  // A second create of the same userName is a uniqueness error in SCIM's shape.
  const duplicate = await idp.request('POST', '/Users', { schemas: [USER], userName, emails: [{ primary: true, value: userName }], active: true });
  assert.equal(duplicate.status, 409);
  assert.deepEqual(duplicate.body.schemas, [ERROR]);
  assert.equal(duplicate.body.status, '409');
  assert.equal(duplicate.body.scimType, 'uniqueness');

  // GET and the profile PUT.
  const got = await idp.request('GET', `/Users/${userId}`);
  assert.equal(got.status, 200);
  assert.equal(got.body.name.givenName, 'Test');
  const put = await idp.request('PUT', `/Users/${userId}`, {
    schemas: [USER], id: userId, userName, name: { givenName: 'Another', familyName: 'User' },
    emails: [{ primary: true, value: userName, type: 'work' }], displayName: 'Another User', active: true, groups: [],
  });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  assert.equal(put.body.name.givenName, 'Another');
  assert.equal((await world.member(userId)).name, 'Another User');

  // Group Push: lookup, create, a rule on the connection, then the user is added.
  const groupName = 'Test SCIMv2';
  const groupLookup = await idp.request('GET', `/Groups?filter=${encodeURIComponent(`displayName eq "${groupName}"`)}&startIndex=1&count=100`);
  assert.equal(groupLookup.body.totalResults, 0);
  const group = await idp.request('POST', '/Groups', { schemas: [GROUP], displayName: groupName, members: [] });
  assert.equal(group.status, 201, JSON.stringify(group.body));
  const groupId = group.body.id as string;
  await world.ruleFor(groupId, 'editor');
  assert.deepEqual(await world.searchByRole('editor'), []);

  const added = await idp.request('PATCH', `/Groups/${groupId}`, {
    schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: userId, display: userName }] }],
  });
  assert.equal(added.status, 200, JSON.stringify(added.body));
  assert.deepEqual(added.body.members.map((m: { value: string }) => m.value), [userId]);
  member = await world.member(userId);
  assert.deepEqual(editorSource(member), [{ type: 'scim_connection_group', details: { connection_id: world.connection.connection_id, group_id: groupId } }]);
  // The session already open carries the role: no new sign-in.
  assert.deepEqual(await world.sessionRoles(session.session_token), ['editor', 'stytch_member']);
  assert.deepEqual(await world.searchByRole('editor'), [userId]);
  assert.deepEqual(await world.whoCan('documents', 'write'), [userId]);
  assert.equal((await idp.request('GET', `/Users/${userId}`)).body.groups[0].value, groupId);
  const whileInGroup = new Date();

  // Okta renames with a path-less replace.
  const renamed = await idp.request('PATCH', `/Groups/${groupId}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { id: groupId, displayName: 'Engineering' } }] });
  assert.equal(renamed.status, 200);
  assert.equal(renamed.body.displayName, 'Engineering');
  assert.deepEqual(await world.sessionRoles(session.session_token), ['editor', 'stytch_member']);

  // Removed from the group: the role goes at once.
  await new Promise((resolve) => setTimeout(resolve, 5));
  const removed = await idp.request('PATCH', `/Groups/${groupId}`, { schemas: [PATCH], Operations: [{ op: 'remove', path: `members[value eq "${userId}"]` }] });
  assert.equal(removed.status, 200, JSON.stringify(removed.body));
  assert.deepEqual(removed.body.members, []);
  assert.deepEqual(editorSource(await world.member(userId)), []);
  assert.deepEqual(await world.sessionRoles(session.session_token), ['stytch_member']);
  assert.deepEqual(await world.searchByRole('editor'), []);
  assert.deepEqual(await world.whoCan('documents', 'write'), []);
  // History: access-at replays the group membership.
  assert.equal(await world.allowedAt(userId, 'documents', 'write', whileInGroup), true);
  assert.equal(await world.allowedAt(userId, 'documents', 'write', new Date()), false);

  // Back in the group, then deactivated: the member is deprovisioned and its session revoked.
  await idp.request('PATCH', `/Groups/${groupId}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: userId, display: userName }] }] });
  assert.deepEqual(await world.sessionRoles(session.session_token), ['editor', 'stytch_member']);
  const deactivated = await idp.request('PATCH', `/Users/${userId}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] });
  assert.equal(deactivated.status, 200, JSON.stringify(deactivated.body));
  assert.equal(deactivated.body.active, false);
  assert.equal(await world.member(userId), null);
  assert.equal(await world.sessionRoles(session.session_token), null);
  assert.deepEqual(await world.searchByRole('editor'), []);
  assert.equal((await idp.request('GET', `/Users/${userId}`)).body.active, false);
  const inactive = await idp.request('GET', `/Users?filter=${encodeURIComponent('active eq false')}`);
  assert.deepEqual(inactive.body.Resources.map((u: { id: string }) => u.id), [userId]);

  // Reactivated: a member again, with the group's role; a new session carries it.
  const reactivated = await idp.request('PATCH', `/Users/${userId}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: true } }] });
  assert.equal(reactivated.body.active, true);
  member = await world.member(userId);
  assert.equal(member.status, 'active');
  assert.equal(editorSource(member).length, 1);
  const second = await world.project.startMemberSession(world.organizationId, userId);
  assert.deepEqual(await world.sessionRoles(second.session_token), ['editor', 'stytch_member']);

  // The group deleted: its role goes.
  assert.equal((await idp.request('DELETE', `/Groups/${groupId}`)).status, 204);
  assert.deepEqual(await world.sessionRoles(second.session_token), ['stytch_member']);
  assert.equal((await idp.request('GET', `/Groups/${groupId}`)).status, 404);

  // The user deleted: deprovisioned, session revoked, and unknown to the SCIM service.
  assert.equal((await idp.request('DELETE', `/Users/${userId}`)).status, 204);
  assert.equal(await world.member(userId), null);
  assert.equal(await world.sessionRoles(second.session_token), null);
  const gone = await idp.request('GET', `/Users/${userId}`);
  assert.equal(gone.status, 404);
  assert.deepEqual(gone.body.schemas, [ERROR]);
  assert.equal(gone.body.status, '404');

  // The audit log has every group change of the member.
  const audit = await world.project.api('GET', `/v1/audit_events?target_id=${userId}&action=member.scim_groups.updated`);
  assert.equal(audit.status, 200);
  assert.ok(audit.body.audit_events.length >= 4, JSON.stringify(audit.body.audit_events.map((e: { action: string }) => e.action)));
});

test('Okta: a wrong or missing bearer token, or another connection\'s, gets a SCIM 401', async () => {
  const world = await ScimWorld.create(server, 'okta');
  const other = await ScimWorld.create(server, 'okta');
  for (const authorization of [undefined, 'Bearer nope', `Basic ${world.connection.bearer_token}`, `Bearer ${other.connection.bearer_token}`]) {
    const headers: Record<string, string> = authorization ? { authorization } : {};
    const response = await server.raw(`/v1/b2b/scim/${world.connection.connection_id}/Users`, { headers });
    assert.equal(response.status, 401, `${authorization}: ${JSON.stringify(response.body)}`);
    assert.deepEqual(response.body.schemas, [ERROR]);
    assert.equal(response.body.status, '401');
  }
  const config = await world.idp.request('GET', '/ServiceProviderConfig');
  assert.equal(config.status, 200);
  assert.equal(config.body.patch.supported, true);
  assert.equal(config.body.filter.supported, true);
  const types = await world.idp.request('GET', '/ResourceTypes');
  assert.deepEqual(types.body.Resources.map((type: { id: string }) => type.id), ['User', 'Group']);
  const schemas = await world.idp.request('GET', '/Schemas');
  assert.equal(schemas.body.totalResults, 3);
  // A bad filter is SCIM's invalidFilter.
  const bad = await world.idp.request('GET', `/Users?filter=${encodeURIComponent('userName eq')}`);
  assert.equal(bad.status, 400);
  assert.equal(bad.body.scimType, 'invalidFilter');
});

test('the SCIM service is rate limited per caller IP, with SCIM\'s 429', async () => {
  const limited = await startTestServer({ env: { GATEHOUSE_RATE_LIMIT_IP: '3' } });
  try {
    const world = await ScimWorld.create(limited, 'okta');
    await fitInRateWindow(20_000);
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await world.idp.request('GET', '/Users')).status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200, 429]);
    const refused = await world.idp.request('GET', '/Users');
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers.get('retry-after')) > 0);
    assert.deepEqual(refused.body.schemas, [ERROR]);
    assert.equal(refused.body.status, '429');
  } finally {
    await limited.close();
  }
});
