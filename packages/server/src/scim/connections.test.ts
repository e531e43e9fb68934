// SCIM connections through the official `stytch` B2BClient (scim.connection.*): create (the token
// shown once), get, getGroups, update with group role rules, rotation start/complete/cancel — each
// token working exactly while it should —, delete; and stytch.scim actions for member sessions.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { B2BProject, B2B_POLICY, expectOk, STYTCH_ADMIN_ROLE } from '../testing/b2b.ts';
import { startTestServer, type TestServer } from '../testing/harness.ts';
import { ScimTestClient } from '../testing/scim.ts';
import { b2bClient, expectStytchError } from '../testing/stytch-clients.ts';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

const SCIM_ADMIN = { role_id: 'scim_admin', description: 'Manages SCIM', permissions: [{ resource_id: 'stytch.scim', actions: ['*'] }] };

test('the official client creates, reads, updates, rotates and deletes a SCIM connection', async () => {
  const project = await B2BProject.create(server);
  const client = b2bClient(server, project.credentials);
  const organization = await project.createOrganization({ organization_name: 'Acme' });
  const organization_id = organization.organization_id as string;

  const none = await client.scim.connection.get({ organization_id });
  assert.equal(none.connection, undefined);

  const created = await client.scim.connection.create({ organization_id, display_name: 'Okta', identity_provider: 'okta' });
  const connection = created.connection!;
  assert.match(connection.connection_id, /^scim-connection-test-[0-9a-f-]{36}$/);
  assert.equal(connection.status, 'active');
  assert.equal(connection.display_name, 'Okta');
  assert.equal(connection.identity_provider, 'okta');
  assert.ok(connection.base_url.endsWith(`/v1/b2b/scim/${connection.connection_id}`), connection.base_url);
  assert.ok(connection.bearer_token.length >= 40);
  assert.deepEqual(connection.scim_group_implicit_role_assignments, []);
  const connection_id = connection.connection_id;
  // Never stored: only its digest is.
  const { rows } = await server.gatehouse.db.query<{ found: number }>(
    `SELECT count(*)::int AS found FROM scim_connections WHERE bearer_token_hash::text LIKE '%' || $1 || '%' OR display_name = $1`, [connection.bearer_token]);
  assert.equal(rows[0]!.found, 0);

  // One per organization, as Stytch.
  await expectStytchError(client.scim.connection.create({ organization_id }), 'scim_connection_already_exists', 400);

  const got = (await client.scim.connection.get({ organization_id })).connection!;
  assert.equal(got.bearer_token_last_four, connection.bearer_token.slice(-4));
  assert.equal(got.next_bearer_token_last_four, '');
  assert.equal((got as unknown as Record<string, unknown>).bearer_token, undefined);
  const shown = await project.getOrganization(organization_id);
  assert.deepEqual(shown.scim_active_connection, { connection_id, display_name: 'Okta', bearer_token_last_four: connection.bearer_token.slice(-4) });

  // The IdP provisions a group; a rule gives its members a role.
  const idp = new ScimTestClient(server, connection.base_url, connection.bearer_token);
  const group = await idp.request('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Engineering', members: [] });
  assert.equal(group.status, 201, JSON.stringify(group.body));
  const groups = await client.scim.connection.getGroups({ organization_id, connection_id });
  assert.deepEqual(groups.scim_groups, [{ group_id: group.body.id, group_name: 'Engineering', organization_id, connection_id, member_count: 0 }]);

  const updated = await client.scim.connection.update({
    organization_id, connection_id, display_name: 'Okta (prod)',
    scim_group_implicit_role_assignments: [{ role_id: 'editor', group_id: group.body.id, group_name: 'Engineering' }],
  });
  assert.equal(updated.connection!.display_name, 'Okta (prod)');
  assert.deepEqual(updated.connection!.scim_group_implicit_role_assignments, [{ role_id: 'editor', group_id: group.body.id, group_name: 'Engineering' }]);
  await expectStytchError(client.scim.connection.update({ organization_id, connection_id, scim_group_implicit_role_assignments: [{ role_id: 'editor', group_id: 'scim-group-test-00000000-0000-4000-8000-000000000000', group_name: '' }] }), 'invalid_argument', 400);
  await assert.rejects(client.scim.connection.update({ organization_id, connection_id, scim_group_implicit_role_assignments: [{ role_id: 'no_such_role', group_id: group.body.id, group_name: '' }] }),
    (error: { status_code?: number }) => error.status_code === 400);

  // A user the IdP puts in the group holds the role: the official client's member search by role finds it.
  const user = await idp.request('POST', '/Users', { userName: 'ada@acme.com', emails: [{ primary: true, value: 'ada@acme.com', type: 'work' }], active: true });
  assert.equal(user.status, 201, JSON.stringify(user.body));
  const byRole = () => client.organizations.members.search({ organization_ids: [organization_id], query: { operator: 'AND', operands: [{ filter_name: 'member_roles', filter_value: ['editor'] }] } });
  assert.deepEqual((await byRole()).members, []);
  await idp.request('PATCH', `/Groups/${group.body.id}`, { Operations: [{ op: 'add', path: 'members', value: [{ value: user.body.id }] }] });
  const found = await byRole();
  assert.deepEqual(found.members.map((m) => m.member_id), [user.body.id]);
  assert.deepEqual(found.members[0]!.roles.find((r) => r.role_id === 'editor')!.sources, [{ type: 'scim_connection_group', details: { connection_id, group_id: group.body.id } }]);
  assert.equal(found.members[0]!.scim_registration?.connection_id, connection_id);

  // Rotation: both tokens work while it runs; complete keeps only the new one.
  assert.equal((await idp.request('GET', '/Users')).status, 200);
  await expectStytchError(client.scim.connection.rotateComplete({ organization_id, connection_id }), 'scim_rotation_not_started', 400);
  const started = (await client.scim.connection.rotateStart({ organization_id, connection_id })).connection!;
  const next = started.next_bearer_token;
  assert.ok(next && next !== connection.bearer_token);
  const nextIdp = new ScimTestClient(server, connection.base_url, next);
  assert.equal((await idp.request('GET', '/Users')).status, 200);
  assert.equal((await nextIdp.request('GET', '/Users')).status, 200);
  const cancelled = (await client.scim.connection.rotateCancel({ organization_id, connection_id })).connection!;
  assert.equal(cancelled.next_bearer_token_last_four, '');
  assert.equal((await nextIdp.request('GET', '/Users')).status, 401);
  assert.equal((await idp.request('GET', '/Users')).status, 200);

  const again = (await client.scim.connection.rotateStart({ organization_id, connection_id })).connection!;
  const completed = (await client.scim.connection.rotateComplete({ organization_id, connection_id })).connection!;
  assert.equal(completed.bearer_token_last_four, again.next_bearer_token.slice(-4));
  const rejected = await idp.request('GET', '/Users');
  assert.equal(rejected.status, 401);
  assert.deepEqual(rejected.body.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error']);
  assert.equal(rejected.body.status, '401');
  assert.equal((await new ScimTestClient(server, connection.base_url, again.next_bearer_token).request('GET', '/Users')).status, 200);

  // The audit log has the connection's history, never a token.
  const audit = expectOk(await project.api('GET', `/v1/audit_events?target_type=scim_connection&target_id=${connection_id}`));
  const actions = audit.audit_events.map((event: { action: string }) => event.action);
  assert.ok(actions.includes('scim_connection.created') && actions.includes('scim_connection.updated') && actions.includes('scim_connection.token_rotated'), actions.join());
  assert.ok(!JSON.stringify(audit).includes(connection.bearer_token) && !JSON.stringify(audit).includes(next));

  const deleted = await client.scim.connection.delete({ organization_id, connection_id });
  assert.equal(deleted.connection_id, connection_id);
  assert.equal((await client.scim.connection.get({ organization_id })).connection, undefined);
  // The member stays; the group's role went with the connection.
  assert.deepEqual((await byRole()).members, []);
  assert.equal((await project.getMember(organization_id, user.body.id)).scim_registration, null);
  assert.equal((await new ScimTestClient(server, connection.base_url, again.next_bearer_token).request('GET', '/Users')).status, 401);
  await expectStytchError(client.scim.connection.delete({ organization_id, connection_id }), 'scim_connection_not_found', 404);
});

test('member sessions need the stytch.scim action each call names; group rules cannot escalate', async () => {
  const project = await B2BProject.create(server, { ...B2B_POLICY, roles: [...B2B_POLICY.roles.filter((r) => r.role_id !== 'stytch_admin'), STYTCH_ADMIN_ROLE, SCIM_ADMIN] });
  const client = b2bClient(server, project.credentials);
  const organization_id = (await project.createOrganization()).organization_id as string;
  const nobody = await project.createMember(organization_id, { email_address: 'nobody@acme.com' });
  const scimAdmin = await project.createMember(organization_id, { email_address: 'scim@acme.com', roles: ['scim_admin'] });
  const nobodySession = await project.startMemberSession(organization_id, nobody.member_id);
  const adminSession = await project.startMemberSession(organization_id, scimAdmin.member_id);

  await expectStytchError(client.scim.connection.create({ organization_id }, { authorization: { session_token: nobodySession.session_token } }), 'session_authorization_error', 403);
  await expectStytchError(client.scim.connection.get({ organization_id }, { authorization: { session_token: nobodySession.session_token } }), 'session_authorization_error', 403);
  const created = (await client.scim.connection.create({ organization_id, display_name: 'Entra', identity_provider: 'microsoft-entra' }, { authorization: { session_token: adminSession.session_token } })).connection!;
  assert.ok(created.base_url.endsWith('?aadOptscim062020'), created.base_url);
  const connection_id = created.connection_id;
  await expectStytchError(client.scim.connection.rotateStart({ organization_id, connection_id }, { authorization: { session_jwt: nobodySession.session_jwt } }), 'session_authorization_error', 403);
  const idp = new ScimTestClient(server, created.base_url, created.bearer_token);
  const group = (await idp.request('POST', '/Groups', { displayName: 'Admins' })).body;
  // editor grants documents, which stytch.scim * does not: the SCIM admin cannot hand it out.
  await expectStytchError(client.scim.connection.update(
    { organization_id, connection_id, scim_group_implicit_role_assignments: [{ role_id: 'editor', group_id: group.id, group_name: 'Admins' }] },
    { authorization: { session_token: adminSession.session_token } }), 'session_authorization_error', 403);
  const rules = (await client.scim.connection.get({ organization_id })).connection!.scim_group_implicit_role_assignments;
  assert.deepEqual(rules, []);
  // The project secret can.
  const updated = await client.scim.connection.update({ organization_id, connection_id, scim_group_implicit_role_assignments: [{ role_id: 'editor', group_id: group.id, group_name: 'Admins' }] });
  assert.equal(updated.connection!.scim_group_implicit_role_assignments.length, 1);
  const deleted = await client.scim.connection.delete({ organization_id, connection_id }, { authorization: { session_token: adminSession.session_token } });
  assert.equal(deleted.connection_id, connection_id);
});
