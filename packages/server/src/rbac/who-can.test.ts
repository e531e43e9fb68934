// "Who can do X?" over real HTTP: the granting roles (by name or through `*`), and every user or
// member holding one — explicitly, by an email rule, by the default role — with the sources; an
// organization's custom roles only for its members; pages; bad questions are 400s; another
// project's data never shows.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ProjectCredentials } from '../projects/service.ts';
import { B2BProject, expectOk } from '../testing/b2b.ts';
import { expectError, startTestServer, type TestServer } from '../testing/harness.ts';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

const POLICY = {
  resources: [
    { resource_id: 'documents', description: '', actions: ['read', 'write', 'delete'] },
    { resource_id: 'reports', description: '', actions: ['view'] },
  ],
  roles: [
    { role_id: 'stytch_user', description: '', permissions: [{ resource_id: 'documents', actions: ['read'] }] },
    { role_id: 'editor', description: '', permissions: [{ resource_id: 'documents', actions: ['read', 'write'] }] },
    { role_id: 'admin', description: '', permissions: [{ resource_id: 'documents', actions: ['*'] }, { resource_id: 'reports', actions: ['*'] }] },
  ],
  scopes: [],
};

const DIRECT = { type: 'direct_assignment', details: {} };
const DEFAULT = { type: 'default_role', details: {} };

const api = (project: ProjectCredentials, method: string, path: string, body?: unknown) => server.api(project, method, path, body);

async function consumerProject() {
  const project = await server.createProject();
  expectOk(await api(project, 'PUT', '/v1/rbac/policy', { policy: POLICY }));
  const user = async (email: string, roles: string[]) => expectOk(await api(project, 'POST', '/v1/users', { email, roles })).user_id as string;
  return {
    project,
    alice: await user('alice@example.com', ['editor']),
    bob: await user('bob@example.com', []),
    carol: await user('carol@example.com', ['admin']),
  };
}

describe('consumer who_can', () => {
  test('the granting roles and their holders, with how and where from', async () => {
    const { project, alice, carol } = await consumerProject();
    const write = expectOk(await api(project, 'GET', '/v1/rbac/who_can?resource_id=documents&action=write'));
    assert.deepEqual(write.roles, [{ role_id: 'editor', via: 'action' }, { role_id: 'admin', via: '*' }]);
    assert.deepEqual(write.users, [
      { user_id: alice, email: 'alice@example.com', via: [{ role_id: 'editor', sources: [DIRECT] }] },
      { user_id: carol, email: 'carol@example.com', via: [{ role_id: 'admin', sources: [DIRECT] }] },
    ]);
    assert.equal(write.total, 2);
    assert.equal(write.next_cursor, null);
    assert.equal(write.policy_version, 2);

    // stytch_user reads: every user, through the default role (and alice's editor role too).
    const read = expectOk(await api(project, 'GET', '/v1/rbac/who_can?resource_id=documents&action=read'));
    assert.deepEqual(read.roles.map((role: { role_id: string }) => role.role_id), ['stytch_user', 'editor', 'admin']);
    assert.equal(read.total, 3);
    assert.deepEqual(read.users[0].via, [{ role_id: 'stytch_user', sources: [DEFAULT] }, { role_id: 'editor', sources: [DIRECT] }]);
    assert.deepEqual(read.users[1].via, [{ role_id: 'stytch_user', sources: [DEFAULT] }]);

    const view = expectOk(await api(project, 'GET', '/v1/rbac/who_can?resource_id=reports&action=view'));
    assert.deepEqual(view.users.map((user: { user_id: string }) => user.user_id), [carol]);
  });

  test('pages follow the cursor; a cursor belongs to its question', async () => {
    const { project, alice, bob, carol } = await consumerProject();
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: any = expectOk(await api(project, 'GET', `/v1/rbac/who_can?resource_id=documents&action=read&limit=1${cursor ? `&cursor=${cursor}` : ''}`));
      assert.ok(page.users.length <= 1);
      assert.equal(page.total, 3);
      ids.push(...page.users.map((user: { user_id: string }) => user.user_id));
      cursor = page.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    assert.deepEqual(ids, [alice, bob, carol]);

    const first = expectOk(await api(project, 'GET', '/v1/rbac/who_can?resource_id=documents&action=read&limit=1'));
    expectError(await api(project, 'GET', `/v1/rbac/who_can?resource_id=documents&action=write&cursor=${first.next_cursor}`), 400, 'rbac_invalid_cursor');
    expectError(await api(project, 'GET', '/v1/rbac/who_can?resource_id=documents&action=read&cursor=nonsense'), 400, 'rbac_invalid_cursor');
    for (const limit of ['0', '1001', 'ten']) {
      expectError(await api(project, 'GET', `/v1/rbac/who_can?resource_id=documents&action=read&limit=${limit}`), 400, 'invalid_argument');
    }
  });

  test('unknown resources and actions are 400s that say what is declared', async () => {
    const { project } = await consumerProject();
    const resource = expectError(await api(project, 'GET', '/v1/rbac/who_can?resource_id=videos&action=read'), 400, 'invalid_rbac_resource_id');
    assert.match(resource.error_message, /"videos"/);
    const action = expectError(await api(project, 'GET', '/v1/rbac/who_can?resource_id=documents&action=print'), 400, 'invalid_rbac_action');
    assert.match(action.error_message, /"read", "write", "delete"/);
    expectError(await api(project, 'GET', '/v1/rbac/who_can?resource_id=documents&action=*'), 400, 'invalid_rbac_action');
    expectError(await api(project, 'GET', '/v1/rbac/who_can?resource_id=documents'), 400, 'invalid_argument');
    expectError(await api(project, 'GET', '/v1/rbac/who_can?resource_id=documents&action=read&organization_id=organization-test-x'), 400, 'invalid_argument');
  });

  test("another project's users never show", async () => {
    const mine = await consumerProject();
    const theirs = await consumerProject();
    const write = expectOk(await api(mine.project, 'GET', '/v1/rbac/who_can?resource_id=documents&action=write'));
    assert.deepEqual(write.users.map((user: { user_id: string }) => user.user_id), [mine.alice, mine.carol]);
    const read = expectOk(await api(mine.project, 'GET', '/v1/rbac/who_can?resource_id=documents&action=read'));
    assert.ok(!read.users.some((user: { user_id: string }) => [theirs.alice, theirs.bob, theirs.carol].includes(user.user_id)));
  });
});

describe('B2B who_can', () => {
  test('explicit, email-rule and default-role holders; custom roles only in their organization; deleted members and other projects left out', async () => {
    const project = await B2BProject.create(server);
    const acme = await project.createOrganization({ rbac_email_implicit_role_assignments: [{ domain: 'acme.com', role_id: 'viewer' }] });
    const globex = await project.createOrganization();
    expectOk(await project.api('PUT', `/v1/b2b/rbac/organizations/${globex.organization_id}`, {
      org_policy: { roles: [{ role_id: 'publisher', description: '', permissions: [{ resource_id: 'documents', actions: ['read', 'delete'] }] }] },
    }));
    const editor = await project.createMember(globex.organization_id, { email_address: 'e@globex.com', roles: ['editor'] });
    const implicit = await project.createVerifiedMember(acme.organization_id, { email_address: 'i@acme.com' });
    const publisher = await project.createMember(globex.organization_id, { email_address: 'p@globex.com', roles: ['publisher'] });
    const plain = await project.createMember(globex.organization_id, { email_address: 'n@globex.com' });
    const gone = await project.createVerifiedMember(acme.organization_id, { email_address: 'gone@acme.com' });
    await project.deleteMember(acme.organization_id, gone.member_id);
    const other = await B2BProject.create(server);
    const otherOrg = await other.createOrganization({ rbac_email_implicit_role_assignments: [{ domain: 'acme.com', role_id: 'viewer' }] });
    await other.createMember(otherOrg.organization_id, { email_address: 'x@acme.com', roles: ['editor'] });

    const read = expectOk(await project.api('GET', '/v1/b2b/rbac/who_can?resource_id=documents&action=read'));
    assert.deepEqual(read.roles, [
      { role_id: 'editor', via: 'action' },
      { role_id: 'viewer', via: 'action' },
      { role_id: 'publisher', via: 'action', organization_id: globex.organization_id },
    ]);
    assert.deepEqual(read.members, [
      { member_id: editor.member_id, email: 'e@globex.com', organization_id: globex.organization_id, via: [{ role_id: 'editor', sources: [DIRECT] }] },
      {
        member_id: implicit.member_id, email: 'i@acme.com', organization_id: acme.organization_id,
        via: [{ role_id: 'viewer', sources: [{ type: 'email_assignment', details: { email_domain: 'acme.com' } }] }],
      },
      { member_id: publisher.member_id, email: 'p@globex.com', organization_id: globex.organization_id, via: [{ role_id: 'publisher', sources: [DIRECT] }] },
    ]);
    assert.equal(read.total, null, 'a custom role grants: no count by role id');

    // Only acme: its own roles, none of globex's.
    const inAcme = expectOk(await project.api('GET', `/v1/b2b/rbac/who_can?resource_id=documents&action=read&organization_id=${acme.organization_id}`));
    assert.deepEqual(inAcme.roles.map((role: { role_id: string }) => role.role_id), ['editor', 'viewer']);
    assert.deepEqual(inAcme.members.map((member: { member_id: string }) => member.member_id), [implicit.member_id]);
    assert.equal(inAcme.total, 1);

    // stytch_member has stytch.self:*: every live member of the project, by the default role.
    const self = expectOk(await project.api('GET', '/v1/b2b/rbac/who_can?resource_id=stytch.self&action=delete'));
    assert.deepEqual(self.roles, [{ role_id: 'stytch_member', via: '*' }]);
    assert.deepEqual(self.members.map((member: { member_id: string }) => member.member_id),
      [editor.member_id, implicit.member_id, publisher.member_id, plain.member_id]);
    assert.deepEqual(self.members[0].via, [{ role_id: 'stytch_member', sources: [DEFAULT] }]);
    assert.equal(self.total, 4);

    // A built-in resource granted to stytch_admin, which nobody holds here.
    const search = expectOk(await project.api('GET', '/v1/b2b/rbac/who_can?resource_id=stytch.member&action=search'));
    assert.deepEqual(search.roles.map((role: { role_id: string }) => role.role_id), ['stytch_admin', 'auditor']);
    assert.deepEqual(search.members, []);
    assert.equal(search.total, 0);

    expectError(await project.api('GET', '/v1/b2b/rbac/who_can?resource_id=documents&action=read&organization_id=organization-test-nope'), 400, 'invalid_organization_id');
    expectError(await project.api('GET', `/v1/b2b/rbac/who_can?resource_id=documents&action=read&organization_id=${otherOrg.organization_id}`), 404, 'organization_not_found');
  });

  test('a page is filled past members whose same-named custom role does not grant', async () => {
    const project = await B2BProject.create(server);
    const grants = await project.createOrganization();
    const denies = await project.createOrganization();
    const role = (actions: string[]) => ({ org_policy: { roles: [{ role_id: 'lead', description: '', permissions: [{ resource_id: 'documents', actions }] }] } });
    expectOk(await project.api('PUT', `/v1/b2b/rbac/organizations/${grants.organization_id}`, role(['write'])));
    expectOk(await project.api('PUT', `/v1/b2b/rbac/organizations/${denies.organization_id}`, role(['read'])));
    const expected: string[] = [];
    for (let i = 0; i < 3; i++) {
      await project.createMember(denies.organization_id, { email_address: `d${i}@denies.com`, roles: ['lead'] });
      expected.push((await project.createMember(grants.organization_id, { email_address: `g${i}@grants.com`, roles: ['lead'] })).member_id);
    }
    const ids: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const page: any = expectOk(await project.api('GET', `/v1/b2b/rbac/who_can?resource_id=documents&action=write&limit=2${cursor ? `&cursor=${cursor}` : ''}`));
      ids.push(...page.members.map((member: { member_id: string }) => member.member_id));
      cursor = page.next_cursor;
      if (!cursor) break;
    }
    assert.deepEqual(ids, expected);
  });
});
