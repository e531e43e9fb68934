// The audit log over real HTTP: each kind of change is recorded with its actor (the secret by id, a
// member session by the member) and its state before and after; a refused change records nothing;
// filters and cursors; another project's events stay invisible; and the table itself refuses any
// UPDATE, DELETE or TRUNCATE, whoever sends it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { B2BProject, CONSUMER_POLICY, expectOk } from '../testing/b2b.ts';
import { expectError, startTestServer, type TestServer } from '../testing/harness.ts';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

/** A project with the B2B test policy and the consumer policy above. */
async function newProject(): Promise<B2BProject> {
  const project = await B2BProject.create(server);
  expectOk(await project.api('PUT', '/v1/rbac/policy', { policy: CONSUMER_POLICY }));
  return project;
}

async function secretId(project: B2BProject): Promise<string> {
  const { secrets } = expectOk(await project.api('GET', '/v1/project/secrets'));
  assert.equal(secrets.length, 1);
  return secrets[0].secret_id;
}

async function events(project: B2BProject, query = ''): Promise<any[]> {
  return expectOk(await project.api('GET', `/v1/audit_events${query ? `?${query}` : ''}`)).audit_events;
}

/** Every event of the project, following cursors, newest first. */
async function allEvents(project: B2BProject, query: string, limit: number): Promise<any[]> {
  const found: any[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page++) {
    const body = expectOk(await project.api('GET', `/v1/audit_events?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`));
    assert.ok(body.audit_events.length <= limit);
    found.push(...body.audit_events);
    cursor = body.next_cursor;
    if (!cursor) return found;
  }
  throw new Error('too many pages');
}

const roles = (member: { roles: { role_id: string }[] }) => member.roles.map((role) => role.role_id);

describe('what is recorded', () => {
  test('policy writes: the whole policy and version numbers before and after, by the secret that made them; refused writes record nothing', async () => {
    const project = await newProject();
    const actor = { type: 'project_secret', id: await secretId(project) };
    const [change] = await events(project, 'action=policy.updated&target_id=consumer');
    assert.equal(change.target_type, 'policy');
    assert.deepEqual(change.actor, actor);
    assert.equal(change.organization_id, null);
    assert.equal(change.after.version, change.before.version + 1);
    assert.deepEqual(change.after.policy.roles.map((r: { role_id: string }) => r.role_id), ['stytch_user', 'editor', 'viewer']);
    assert.match(change.event_id, /^audit-event-test-[0-9a-f-]{36}$/);
    assert.deepEqual(expectOk(await project.api('GET', `/v1/audit_events/${change.event_id}`)).audit_event, change);

    const count = (await events(project)).length;
    // Invalid, refused because in use, and a dry run: none is a change.
    expectError(await project.api('POST', '/v1/rbac/policy/roles', { role_id: 'x', permissions: [{ resource_id: 'nowhere', actions: ['read'] }] }), 400, 'invalid_permission_resource');
    expectOk(await project.api('POST', '/v1/users', { email: 'held@example.com', roles: ['viewer'] }));
    expectError(await project.api('DELETE', '/v1/rbac/policy/roles/viewer'), 409, 'rbac_role_in_use');
    expectOk(await project.api('DELETE', '/v1/rbac/policy/roles/editor?dry_run=true'));
    const after = await events(project);
    assert.equal(after.length, count + 1, 'only the user created with a role');
    assert.equal(after[0].action, 'user.created');

    // A cascade names the assignments it removed.
    const cascade = expectOk(await project.api('DELETE', '/v1/rbac/policy/roles/viewer?cascade=true'));
    const [removed] = await events(project, 'action=policy.updated&limit=1');
    assert.equal(removed.after.version, cascade.policy_version);
    assert.deepEqual(removed.after.revoked_assignments, [{ role_id: 'viewer', count: 1 }]);
  });

  test('users: roles on create, change and delete; no entry when no role is involved or the change is refused', async () => {
    const project = await newProject();
    const actor = { type: 'project_secret', id: await secretId(project) };
    const start = (await events(project)).length;
    const plain = expectOk(await project.api('POST', '/v1/users', { email: 'plain@example.com' }));
    expectOk(await project.api('PUT', `/v1/users/${plain.user_id}`, { name: { first_name: 'Plain' } }));
    expectOk(await project.api('DELETE', `/v1/users/${plain.user_id}`));
    assert.equal((await events(project)).length, start, 'a user without roles is not in the log');

    const { user_id } = expectOk(await project.api('POST', '/v1/users', { email: 'ada@example.com', roles: ['viewer'] }));
    expectOk(await project.api('PUT', `/v1/users/${user_id}`, { roles: ['editor', 'viewer'] }));
    expectOk(await project.api('PUT', `/v1/users/${user_id}`, { roles: ['viewer', 'editor'], name: { first_name: 'Ada' } }));
    expectError(await project.api('PUT', `/v1/users/${user_id}`, { roles: ['nobody'] }), 400, 'invalid_rbac_role_id');
    expectOk(await project.api('DELETE', `/v1/users/${user_id}`));

    const history = (await events(project, `target_id=${user_id}`)).reverse();
    assert.deepEqual(history.map((e) => [e.action, e.before, e.after]), [
      ['user.created', null, { roles: ['viewer'] }],
      ['user.roles.updated', { roles: ['viewer'] }, { roles: ['editor', 'viewer'] }],
      ['user.deleted', { roles: ['editor', 'viewer'] }, null],
    ]);
    for (const event of history) {
      assert.deepEqual(event.actor, actor);
      assert.equal(event.target_type, 'user');
    }
  });

  test('members: create, roles, email, delete and reactivate; a member session is the actor, and an escalation it attempts records nothing', async () => {
    const project = await newProject();
    const secret = { type: 'project_secret', id: await secretId(project) };
    const organization = await project.createOrganization();
    const orgId = organization.organization_id;
    const admin = await project.createMember(orgId, { email_address: 'admin@acme.com', roles: ['stytch_admin'] });
    const ada = await project.createMember(orgId, { email_address: 'ada@acme.com', roles: ['viewer'] });
    const session = await project.startMemberSession(orgId, admin.member_id);

    // The admin may not grant editor (it cannot write documents itself); auditor it may.
    expectError(await project.apiAs(session, 'PUT', `/v1/b2b/organizations/${orgId}/members/${ada.member_id}`, { roles: ['viewer', 'editor'] }), 403, 'session_authorization_error');
    const granted = expectOk(await project.apiAs(session, 'PUT', `/v1/b2b/organizations/${orgId}/members/${ada.member_id}`, { roles: ['viewer', 'auditor'] }, 'jwt')).member;
    assert.deepEqual(roles(granted).sort(), ['auditor', 'stytch_member', 'viewer']);
    await project.changeEmail(orgId, ada.member_id, 'ada@other.com');
    await project.updateMember(orgId, ada.member_id, { name: 'Ada' });
    await project.deleteMember(orgId, ada.member_id);
    expectOk(await project.api('PUT', `/v1/b2b/organizations/${orgId}/members/${ada.member_id}/reactivate`));

    const history = (await events(project, `target_type=member&target_id=${ada.member_id}`)).reverse();
    const state = (email: string, status: string, roles: string[], verified = email === 'ada@other.com') =>
      ({ email_address: email, email_address_verified: verified, status, roles });
    assert.deepEqual(history.map((e) => [e.action, e.before, e.after]), [
      ['member.created', null, state('ada@acme.com', 'active', ['viewer'])],
      ['member.roles.updated', state('ada@acme.com', 'active', ['viewer']), state('ada@acme.com', 'active', ['auditor', 'viewer'])],
      // The new address replaces the old one when the link mailed to it is followed: proven, so verified.
      ['member.email.updated', state('ada@acme.com', 'active', ['auditor', 'viewer']), state('ada@other.com', 'active', ['auditor', 'viewer'])],
      ['member.deleted', state('ada@other.com', 'active', ['auditor', 'viewer']), state('ada@other.com', 'deleted', ['auditor', 'viewer'])],
      ['member.reactivated', state('ada@other.com', 'deleted', ['auditor', 'viewer']), state('ada@other.com', 'active', ['auditor', 'viewer'])],
    ]);
    assert.ok(history.every((e) => e.organization_id === orgId));
    assert.deepEqual(history[1].actor, { type: 'member_session', id: admin.member_id, organization_id: orgId, session_id: session.member_session_id });
    assert.deepEqual(history[2].actor, { type: 'system', id: 'magic_links.email_update' });
    for (const index of [0, 3, 4]) assert.deepEqual(history[index].actor, secret);
  });

  test('organizations: create, email-domain rules, custom roles and delete; SSO connections with their role rules, never the client secret', async () => {
    const project = await newProject();
    const organization = await project.createOrganization({ rbac_email_implicit_role_assignments: [{ domain: 'acme.com', role_id: 'viewer' }] });
    const orgId = organization.organization_id;
    await project.updateOrganization(orgId, { rbac_email_implicit_role_assignments: [{ domain: 'acme.com', role_id: 'editor' }] });
    await project.updateOrganization(orgId, { organization_name: 'Renamed' }); // no rule changed: no entry
    const customRole = { role_id: 'org-reader', description: 'Reads', permissions: [{ resource_id: 'documents', actions: ['read'] }] };
    expectOk(await project.api('PUT', `/v1/b2b/rbac/organizations/${orgId}`, { org_policy: { roles: [customRole] } }));

    const { connection } = expectOk(await project.api('POST', `/v1/b2b/sso/oidc/${orgId}`, { display_name: 'IdP' }));
    const connectionId = connection.connection_id;
    expectOk(await project.api('PUT', `/v1/b2b/sso/oidc/${orgId}/connections/${connectionId}`, {
      client_id: 'client', client_secret: 'a-very-secret-client-secret', oidc_connection_implicit_role_assignments: [{ role_id: 'viewer' }],
      oidc_group_implicit_role_assignments: [{ role_id: 'editor', group: 'writers' }],
    }));
    expectError(await project.api('PUT', `/v1/b2b/sso/oidc/${orgId}/connections/${connectionId}`, { oidc_connection_implicit_role_assignments: [{ role_id: 'nobody' }] }), 400, 'invalid_rbac_role_id');
    expectOk(await project.api('DELETE', `/v1/b2b/sso/${orgId}/connections/${connectionId}`));
    expectOk(await project.api('DELETE', `/v1/b2b/organizations/${orgId}`));

    const history = (await events(project, `organization_id=${orgId}`)).reverse();
    assert.deepEqual(history.map((e) => e.action), [
      'organization.created', 'organization.email_role_rules.updated', 'organization_roles.updated',
      'sso_connection.created', 'sso_connection.updated', 'sso_connection.deleted', 'organization.deleted',
    ]);
    const [created, rules, custom, connectionCreated, connectionUpdated, connectionDeleted, deleted] = history;
    assert.deepEqual(created.after.email_role_rules, [{ domain: 'acme.com', role_id: 'viewer' }]);
    assert.deepEqual([rules.before, rules.after], [{ email_role_rules: [{ domain: 'acme.com', role_id: 'viewer' }] }, { email_role_rules: [{ domain: 'acme.com', role_id: 'editor' }] }]);
    assert.deepEqual([custom.before, custom.after], [{ custom_roles: [] }, { custom_roles: [customRole] }]);
    assert.equal(connectionCreated.target_id, connectionId);
    assert.deepEqual(connectionUpdated.after.connection_role_rules, [{ role_id: 'viewer' }]);
    assert.deepEqual(connectionUpdated.after.group_role_rules, [{ role_id: 'editor', group: 'writers' }]);
    assert.equal(connectionUpdated.after.config.client_secret_set, true);
    assert.equal(connectionUpdated.before.config.client_secret_set, false);
    assert.deepEqual(connectionDeleted.before, connectionUpdated.after);
    assert.equal(connectionDeleted.after, null);
    assert.deepEqual(deleted.before.custom_roles, [customRole]);
    assert.equal(deleted.after, null);
    assert.ok(!JSON.stringify(history).includes('a-very-secret-client-secret'), 'the client secret is not in the log');
  });

  test('secrets: id and last four only, never the value or its hash', async () => {
    const project = await newProject();
    const first = await secretId(project);
    const created = expectOk(await project.api('POST', '/v1/project/secrets')).secret;
    expectOk(await project.api('DELETE', `/v1/project/secrets/${first}`));
    const withNewSecret = new B2BProject(server, { ...project.credentials, secret: created.secret });
    const history = (await events(withNewSecret, 'target_type=secret')).reverse();
    assert.deepEqual(history.map((e) => [e.action, e.target_id, e.actor.type, e.before, e.after]), [
      ['secret.created', first, 'system', null, { secret_id: first, last_four: project.credentials.secret.slice(-4) }],
      ['secret.created', created.secret_id, 'project_secret', null, { secret_id: created.secret_id, last_four: created.last_four }],
      ['secret.revoked', first, 'project_secret', { secret_id: first, last_four: project.credentials.secret.slice(-4) }, null],
    ]);
    assert.equal(history[1].actor.id, first, 'made with the first secret');
    assert.ok(!JSON.stringify(history).includes(created.secret));
  });
});

describe('reading the log', () => {
  test('filters (action lists and prefixes, actor, target, organization, time) and cursor pages, newest first', async () => {
    const project = await newProject();
    const organization = await project.createOrganization();
    for (let i = 0; i < 4; i++) await project.createMember(organization.organization_id, { email_address: `m${i}@example.com`, roles: ['viewer'] });
    for (let i = 0; i < 3; i++) expectOk(await project.api('POST', '/v1/users', { email: `u${i}@example.com`, roles: ['editor'] }));

    const everything = await events(project);
    const positions = everything.map((e) => Date.parse(e.occurred_at));
    assert.deepEqual(positions, [...positions].sort((a, b) => b - a), 'newest first');
    const paged = await allEvents(project, 'actor_type=project_secret', 2);
    assert.deepEqual(paged.map((e) => e.event_id), everything.filter((e) => e.actor.type === 'project_secret').map((e) => e.event_id));

    const count = async (query: string) => (await events(project, query)).length;
    assert.equal(await count('action=member.created'), 4);
    assert.equal(await count('action=member.created,user.created'), 7);
    assert.equal(await count('action=member.*'), 4);
    assert.equal(await count('action=policy.*'), 2, 'the consumer and B2B policy writes');
    assert.equal(await count(`organization_id=${organization.organization_id}`), 5);
    assert.equal(await count('target_type=user'), 3);
    assert.equal(await count('actor_type=system'), 1, 'the first secret, made with the project');
    assert.equal(await count(`actor_id=${await secretId(project)}&action=user.created`), 3);
    const member = everything.find((e) => e.action === 'member.created');
    assert.deepEqual((await events(project, `target_id=${member.target_id}`)).map((e) => e.event_id), [member.event_id]);
    const oldest = everything[everything.length - 1].occurred_at;
    const newest = everything[0].occurred_at;
    assert.equal(await count(`since=${oldest}&until=${newest}`), everything.length);
    assert.equal(await count(`since=${new Date(Date.parse(newest) + 1).toISOString()}`), 0);
    assert.equal(await count(`until=${new Date(Date.parse(oldest) - 1).toISOString()}`), 0);
  });

  test('bad filters get 400 invalid_argument in the error envelope', async () => {
    const project = await newProject();
    for (const query of [
      'action=policy.exploded', 'action=nothing.*', 'action=', 'actor_type=robot', 'target_type=planet', 'since=yesterday',
      'until=2026-13-01T00:00:00Z', 'since=2026-01-01', 'limit=0', 'limit=1001', 'limit=ten', 'cursor=bm90LWEtY3Vyc29y', 'color=blue',
    ]) {
      const response = await project.api('GET', `/v1/audit_events?${query}`);
      assert.equal(response.status, 400, `${query}: ${JSON.stringify(response.body)}`);
      expectError(response, 400, 'invalid_argument');
    }
    expectError(await project.api('GET', '/v1/audit_events/audit-event-test-00000000-0000-4000-8000-000000000000'), 404, 'audit_event_not_found');
  });

  test("another project's events are invisible", async () => {
    const mine = await newProject();
    const theirs = await newProject();
    const organization = await theirs.createOrganization();
    const [event] = await events(theirs, `organization_id=${organization.organization_id}`);
    assert.equal((await events(mine, `organization_id=${organization.organization_id}`)).length, 0);
    expectError(await mine.api('GET', `/v1/audit_events/${event.event_id}`), 404, 'audit_event_not_found');
    const own = await events(mine);
    assert.ok(own.length > 0 && own.every((e) => !JSON.stringify(e).includes(theirs.credentials.project_id)));
    expectError(await server.api(null, 'GET', '/v1/audit_events'), 401, 'unauthorized_credentials');
  });
});

describe('immutability', () => {
  test('no API changes or removes an entry', async () => {
    const project = await newProject();
    const [event] = await events(project);
    for (const method of ['PUT', 'PATCH', 'DELETE']) {
      expectError(await project.api(method, `/v1/audit_events/${event.event_id}`, {}), 405, 'method_not_allowed');
      expectError(await project.api(method, '/v1/audit_events', {}), 405, 'method_not_allowed');
    }
    assert.deepEqual(expectOk(await project.api('GET', `/v1/audit_events/${event.event_id}`)).audit_event, event);
  });

  test('the table refuses UPDATE, DELETE and TRUNCATE, even from SQL', async () => {
    const project = await newProject();
    const [event] = await events(project);
    const { db } = server.database;
    for (const sql of [
      `UPDATE audit_events SET action = 'policy.rolled_back' WHERE event_id = $1`,
      `DELETE FROM audit_events WHERE event_id = $1`,
      `TRUNCATE audit_events`,
    ]) {
      await assert.rejects(db.query(sql, sql.includes('$1') ? [event.event_id] : []), /append-only/, sql);
    }
    assert.deepEqual(expectOk(await project.api('GET', `/v1/audit_events/${event.event_id}`)).audit_event, event);
  });
});
