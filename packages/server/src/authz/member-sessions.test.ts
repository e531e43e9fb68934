// Member sessions over real HTTP (issue 14): a member-session header is honoured or refused, never
// ignored; an empty or doubled header is a 400; custom role definitions are grants (no escalation, own
// organization only); and the audit log names the member. Each refused call is checked to have
// written nothing, by reading back with the project secret alone.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { B2BProject, expectOk, STYTCH_ADMIN_ROLE, STYTCH_MEMBER_ROLE, type MemberSessionCredentials } from '../testing/b2b.ts';
import { basicAuth, expectError, startTestServer, type ApiResponse, type TestServer } from '../testing/harness.ts';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

const POLICY = {
  resources: [{ resource_id: 'documents', description: 'Documents', actions: ['read', 'write'] }],
  roles: [
    STYTCH_MEMBER_ROLE,
    STYTCH_ADMIN_ROLE,
    // Assigns roles, and reads documents: may define roles that read documents, no more.
    { role_id: 'role-manager', description: 'Assigns roles', permissions: [{ resource_id: 'stytch.member', actions: ['update.settings.roles'] }, { resource_id: 'documents', actions: ['read'] }] },
    { role_id: 'editor', description: 'Edits', permissions: [{ resource_id: 'documents', actions: ['read', 'write'] }] },
    { role_id: 'member-creator', description: 'Adds members', permissions: [{ resource_id: 'stytch.member', actions: ['create'] }] },
  ],
  scopes: [],
};

/** The organization's custom role the escalating member holds: it reads documents. */
const READER_ROLE = { role_id: 'org-reader', description: 'Reads', permissions: [{ resource_id: 'documents', actions: ['read'] }] };

async function world() {
  const project = await B2BProject.create(server, POLICY);
  const organization = await project.createOrganization({ organization_name: 'Acme' });
  const orgId = organization.organization_id as string;
  expectOk(await project.api('PUT', `/v1/b2b/rbac/organizations/${orgId}`, { org_policy: { roles: [READER_ROLE] } }));
  const other = await project.createOrganization({ organization_name: 'Other' });
  const otherId = other.organization_id as string;
  const session = async (email: string, roles: string[], org = orgId) => {
    const member = await project.createMember(org, { email_address: email, roles });
    return { member_id: member.member_id as string, session: await project.startMemberSession(org, member.member_id) };
  };
  const reader = await session('reader@acme.com', ['org-reader']);
  const manager = await session('manager@acme.com', ['role-manager', 'org-reader']);
  const admin = await session('admin@acme.com', ['stytch_admin', 'editor']);
  const outsider = await session('boss@other.com', ['stytch_admin', 'editor'], otherId);
  const customRoles = async (org = orgId) => expectOk(await project.api('GET', `/v1/b2b/rbac/organizations/${org}`)).org_policy.roles;
  return { project, orgId, otherId, reader, manager, admin, outsider, customRoles };
}

const withAdminPermissions = (role: typeof READER_ROLE) => ({
  ...role,
  permissions: [...role.permissions, { resource_id: 'stytch.member', actions: ['*'] }],
});

/** Calls with the project secret and the given raw header lines (to send empty or repeated headers). */
async function rawAs(project: B2BProject, method: string, path: string, headers: [string, string][], body?: unknown): Promise<ApiResponse> {
  const all = new Headers({ authorization: basicAuth(project.credentials.project_id, project.credentials.secret) });
  for (const [name, value] of headers) all.append(name, value);
  if (body !== undefined) all.set('content-type', 'application/json');
  return server.raw(path, { method, headers: all, body: body === undefined ? undefined : JSON.stringify(body) });
}

describe('organization custom roles with a member session (finding 1)', () => {
  test('a member cannot redefine a role it holds to include stytch.member:* and then make itself an admin', async () => {
    const { project, orgId, reader, customRoles } = await world();
    const escalated = { roles: [withAdminPermissions(READER_ROLE)] };
    expectError(await project.apiAs(reader.session, 'PUT', `/v1/b2b/rbac/organizations/${orgId}`, { org_policy: escalated }), 403, 'session_authorization_error');
    expectError(await project.apiAs(reader.session, 'PUT', `/v1/b2b/rbac/organizations/${orgId}`, { org_policy: escalated }, 'jwt'), 403, 'session_authorization_error');
    assert.deepEqual(await customRoles(), [READER_ROLE]);
    // And so it still cannot grant itself stytch_admin.
    expectError(await project.apiAs(reader.session, 'PUT', `/v1/b2b/organizations/${orgId}/members/${reader.member_id}`, { roles: ['org-reader', 'stytch_admin'] }), 403, 'session_authorization_error');
  });

  test('a member allowed to assign roles may define only roles within what it holds itself', async () => {
    const { project, orgId, manager, customRoles } = await world();
    const path = `/v1/b2b/rbac/organizations/${orgId}`;
    // Redefining its own role to write documents, or to administer members: both beyond what it holds.
    const writer = { ...READER_ROLE, permissions: [{ resource_id: 'documents', actions: ['read', 'write'] }] };
    expectError(await project.apiAs(manager.session, 'PUT', path, { org_policy: { roles: [writer] } }), 403, 'session_authorization_error');
    expectError(await project.apiAs(manager.session, 'PUT', path, { org_policy: { roles: [withAdminPermissions(READER_ROLE)] } }), 403, 'session_authorization_error');
    // A wildcard grants what the member lacks too.
    const wildcard = { ...READER_ROLE, permissions: [{ resource_id: 'documents', actions: ['*'] }] };
    expectError(await project.apiAs(manager.session, 'PUT', path, { org_policy: { roles: [wildcard] } }), 403, 'session_authorization_error');
    assert.deepEqual(await customRoles(), [READER_ROLE]);

    // A new role within its own permissions is fine, and the audit log names the member.
    const helper = { role_id: 'org-helper', description: 'Reads too', permissions: [{ resource_id: 'documents', actions: ['read'] }] };
    const done = expectOk(await project.apiAs(manager.session, 'PUT', path, { org_policy: { roles: [READER_ROLE, helper] } }));
    assert.deepEqual(done.org_policy.roles, [READER_ROLE, helper]);
    const events = expectOk(await project.api('GET', `/v1/audit_events?action=organization_roles.updated&organization_id=${orgId}`)).audit_events;
    assert.equal(events[0].actor.type, 'member_session');
    assert.equal(events[0].actor.id, manager.member_id);
    assert.equal(events[0].actor.session_id, manager.session.member_session_id);
  });

  test('a member cannot define roles in another organization, even as its admin', async () => {
    const { project, otherId, admin, customRoles } = await world();
    const path = `/v1/b2b/rbac/organizations/${otherId}`;
    const role = { role_id: 'planted', description: 'x', permissions: [{ resource_id: 'stytch.member', actions: ['*'] }] };
    expectError(await project.apiAs(admin.session, 'PUT', path, { org_policy: { roles: [role] } }), 403, 'session_authorization_tenancy_error');
    assert.deepEqual(await customRoles(otherId), []);
  });

  test('reading custom roles takes no member session', async () => {
    const { project, orgId, admin } = await world();
    expectError(await project.apiAs(admin.session, 'GET', `/v1/b2b/rbac/organizations/${orgId}`), 403, 'member_session_not_accepted');
  });
});

describe('reactivation hands the member\'s roles out again (attack review)', () => {
  test('a member who may only create members cannot bring back a deleted admin; a member without roles it can', async () => {
    const { project, orgId } = await world();
    const creator = await project.createMember(orgId, { email_address: 'creator@acme.com', roles: ['member-creator'] });
    const creatorSession = await project.startMemberSession(orgId, creator.member_id);
    const formerAdmin = await project.createMember(orgId, { email_address: 'former-admin@acme.com', roles: ['stytch_admin'] });
    const plain = await project.createMember(orgId, { email_address: 'plain@acme.com' });
    for (const member of [formerAdmin, plain]) expectOk(await project.api('DELETE', `/v1/b2b/organizations/${orgId}/members/${member.member_id}`));

    const reactivate = (memberId: string, via: 'token' | 'jwt' = 'token') =>
      project.apiAs(creatorSession, 'PUT', `/v1/b2b/organizations/${orgId}/members/${memberId}/reactivate`, undefined, via);
    expectError(await reactivate(formerAdmin.member_id), 403, 'session_authorization_error');
    expectError(await reactivate(formerAdmin.member_id, 'jwt'), 403, 'session_authorization_error');
    assert.equal(expectOk(await reactivate(plain.member_id)).member.status, 'active');
    // The project secret may bring the admin back, with its role (so the refusals left it deleted).
    const back = expectOk(await project.api('PUT', `/v1/b2b/organizations/${orgId}/members/${formerAdmin.member_id}/reactivate`)).member;
    assert.deepEqual([back.status, back.roles.some((r: { role_id: string }) => r.role_id === 'stytch_admin')], ['active', true]);
  });
});

describe('routes that cannot honour a member session refuse it (finding 1)', () => {
  test('the project policy, password migration and login_or_signup refuse a member-session header and change nothing', async () => {
    const { project, orgId, reader, admin } = await world();
    const before = await project.policy();
    for (const who of [reader, admin]) {
      for (const via of ['token', 'jwt'] as const) {
        const policy = { ...POLICY, roles: [...POLICY.roles.filter((r) => r.role_id !== 'editor'), { role_id: 'editor', description: 'All', permissions: [{ resource_id: 'stytch.member', actions: ['*'] }] }] };
        expectError(await project.apiAs(who.session, 'PUT', '/v1/b2b/rbac/policy', { policy }, via), 403, 'member_session_not_accepted');
        expectError(await project.apiAs(who.session, 'POST', '/v1/b2b/rbac/policy/roles', { role: { role_id: 'x', description: 'x', permissions: [] } }, via), 403, 'member_session_not_accepted');
        expectError(await project.apiAs(who.session, 'GET', '/v1/b2b/rbac/policy', undefined, via), 403, 'member_session_not_accepted');
        expectError(await project.apiAs(who.session, 'POST', '/v1/b2b/passwords/migrate', {
          organization_id: orgId, email_address: `${who.member_id}-m@acme.com`, hash_type: 'md_5', hash: '5f4dcc3b5aa765d61d8327deb882cf99', roles: ['stytch_admin'],
        }, via), 403, 'member_session_not_accepted');
        expectError(await project.apiAs(who.session, 'POST', '/v1/b2b/magic_links/email/login_or_signup', { organization_id: orgId, email_address: 'new@acme.com' }, via), 403, 'member_session_not_accepted');
      }
    }
    assert.deepEqual(await project.policy(), before);
    const found = expectOk(await project.api('POST', '/v1/b2b/organizations/members/search', { organization_ids: [orgId] })).members.map((m: any) => m.email_address).sort();
    assert.deepEqual(found, ['admin@acme.com', 'manager@acme.com', 'reader@acme.com']);
  });
});

describe('member-session headers are read strictly (finding 11)', () => {
  test('an empty header is a 400, not the project secret\'s authority', async () => {
    const { project, orgId, reader } = await world();
    const path = `/v1/b2b/organizations/${orgId}/members/${reader.member_id}`;
    for (const name of ['x-stytch-member-session', 'x-stytch-member-sessionjwt']) {
      expectError(await rawAs(project, 'PUT', path, [[name, '']], { roles: ['stytch_admin'] }), 400, 'invalid_member_session_header');
      // On a route that refuses member sessions too.
      expectError(await rawAs(project, 'GET', '/v1/b2b/rbac/policy', [[name, '']]), 400, 'invalid_member_session_header');
    }
    const roles = (await project.getMember(orgId, reader.member_id)).roles.map((r: any) => r.role_id);
    assert.deepEqual(roles.sort(), ['org-reader', 'stytch_member']);
  });

  test('a repeated header is a 400; both headers must name one session', async () => {
    const { project, orgId, reader, admin } = await world();
    const path = `/v1/b2b/organizations/${orgId}/members/${reader.member_id}`;
    const token = 'x-stytch-member-session';
    const jwt = 'x-stytch-member-sessionjwt';
    expectError(await rawAs(project, 'PUT', path, [[token, admin.session.session_token], [token, admin.session.session_token]], { name: 'Twice' }), 400, 'invalid_member_session_header');
    expectError(await rawAs(project, 'PUT', path, [[token, reader.session.session_token], [jwt, admin.session.session_jwt]], { roles: ['stytch_admin'] }), 400, 'invalid_member_session_header');
    expectError(await rawAs(project, 'PUT', path, [[token, admin.session.session_token], [jwt, reader.session.session_jwt]], { roles: ['stytch_admin'] }), 400, 'invalid_member_session_header');
    // The token and the JWT of one session together are what the official client sends when given both.
    const renamed = expectOk(await rawAs(project, 'PUT', path, [[token, reader.session.session_token], [jwt, reader.session.session_jwt]], { name: 'Reader' }));
    assert.equal(renamed.member.name, 'Reader');
    assert.deepEqual((await project.getMember(orgId, reader.member_id)).roles.map((r: any) => r.role_id).sort(), ['org-reader', 'stytch_member']);
  });

  test('an unknown session in the header is refused, not ignored', async () => {
    const { project, orgId, reader } = await world();
    const bogus: MemberSessionCredentials = { session_token: 'not-a-session-token-anyone-was-given', session_jwt: 'x.y.z', member_session_id: '' };
    const response = await project.apiAs(bogus, 'PUT', `/v1/b2b/organizations/${orgId}/members/${reader.member_id}`, { roles: ['stytch_admin'] });
    assert.ok(response.status >= 400 && response.status < 500, `expected a 4xx, got ${response.status}`);
    assert.deepEqual((await project.getMember(orgId, reader.member_id)).roles.map((r: any) => r.role_id).sort(), ['org-reader', 'stytch_member']);
  });
});

describe('role changes are decided under lock (finding 13)', () => {
  async function rolesWorld() {
    const { project, orgId, manager } = await world();
    const target = await project.createMember(orgId, { email_address: 'target@acme.com', roles: ['editor', 'org-reader'] });
    const explicit = async () =>
      (await project.getMember(orgId, target.member_id)).roles.filter((r: any) => r.role_id !== 'stytch_member').map((r: any) => r.role_id).sort();
    return { project, orgId, manager, target_id: target.member_id as string, path: `/v1/b2b/organizations/${orgId}/members/${target.member_id}`, explicit };
  }

  test('a member cannot re-send a role list that restores a role it could not grant', async () => {
    const { project, orgId, manager, target_id, path, explicit } = await rolesWorld();
    // role-manager reads documents but does not write them: it cannot grant or revoke editor.
    expectError(await project.apiAs(manager.session, 'PUT', path, { roles: ['org-reader'] }), 403, 'session_authorization_error');
    await project.updateMember(orgId, target_id, { roles: ['org-reader'] });
    expectError(await project.apiAs(manager.session, 'PUT', path, { roles: ['editor', 'org-reader'] }), 403, 'session_authorization_error');
    assert.deepEqual(await explicit(), ['org-reader']);
    // Re-sending the list as it stands changes nothing and is allowed.
    expectOk(await project.apiAs(manager.session, 'PUT', path, { roles: ['org-reader'] }));
  });

  test('a revocation committed while the member\'s update waits for the lock is not undone', {
    skip: server?.database.kind !== 'postgres' && !process.env.DATABASE_URL ? 'needs PostgreSQL: two connections at once' : false,
  }, async () => {
    const { project, manager, target_id, path, explicit } = await rolesWorld();
    const { default: pg } = await import('pg');
    const connect = async () => {
      const client = new pg.Client({ connectionString: process.env.DATABASE_URL, options: `-c search_path=${server.database.schema}` });
      await client.connect();
      return client;
    };
    const holder = await connect();
    const watcher = await connect();
    try {
      // Hold the target's row, as a secret-authorized update revoking editor would.
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM members WHERE member_id = $1 FOR UPDATE', [target_id]);
      const holderPid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      // The member re-sends the list it read before the revocation: editor included.
      const pending = project.apiAs(manager.session, 'PUT', path, { roles: ['editor', 'org-reader'] });
      // Wait until its write transaction is blocked behind ours (only backends our holder blocks count).
      const deadline = Date.now() + 20_000;
      for (;;) {
        const { rows } = await watcher.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))', [holderPid]);
        if (rows[0]!.n > 0) break;
        if (Date.now() > deadline) throw new Error('the member update never waited for the lock');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await holder.query("DELETE FROM member_roles WHERE member_id = $1 AND role_id = 'editor'", [target_id]);
      await holder.query('COMMIT');
      expectError(await pending, 403, 'session_authorization_error');
      assert.deepEqual(await explicit(), ['org-reader']);
    } finally {
      await holder.end();
      await watcher.end();
    }
  });
});
