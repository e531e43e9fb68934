// GET /v1/rbac/access_at over real HTTP, on a clock the test moves: the answer at instants between
// changes follows role grants and revokes, policy changes (including a cascade that removes a held
// role), and for members their email (email-domain rules), the organization's rules and custom
// roles, and deletion. Nothing is asked of the live state: only of the history.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { B2BProject, expectOk } from '../testing/b2b.ts';
import { expectError, ManualClock, startTestServer, type TestServer } from '../testing/harness.ts';

const clock = new ManualClock();
let server: TestServer;
before(async () => {
  server = await startTestServer({ clock });
});
after(() => server.close());

const SECOND = 1000;
/** Moves the clock on and returns an instant just before the move (after everything done so far). */
function tick(): string {
  const before = new Date(clock.now().getTime() + SECOND / 2).toISOString();
  clock.advance(SECOND);
  return before;
}

const CONSUMER_POLICY = {
  resources: [{ resource_id: 'documents', description: 'Documents', actions: ['read', 'write'] }],
  roles: [
    { role_id: 'stytch_user', description: 'Every user', permissions: [] },
    { role_id: 'editor', description: 'Edits', permissions: [{ resource_id: 'documents', actions: ['read', 'write'] }] },
    { role_id: 'viewer', description: 'Reads', permissions: [{ resource_id: 'documents', actions: ['read'] }] },
  ],
  scopes: [],
};

async function accessAt(project: B2BProject, subject: string, action: string, at: string): Promise<any> {
  const { request_id, ...body } = expectOk(await project.api('GET', `/v1/rbac/access_at?${subject}&resource_id=documents&action=${action}&at=${encodeURIComponent(at)}`));
  assert.equal(body.at, new Date(at).toISOString());
  return body;
}

const granting = (answer: any) => answer.granting_roles.map((role: any) => `${role.role_id}:${role.sources.map((s: any) => s.type).join(',')}`);

describe('users', () => {
  test('a grant and a revoke, a policy change, and a cascade that removes a held role, each seen at the instants around it', async () => {
    const project = await B2BProject.create(server, null);
    expectOk(await project.api('PUT', '/v1/rbac/policy', { policy: CONSUMER_POLICY }));
    const beforeUser = tick();
    const { user_id } = expectOk(await project.api('POST', '/v1/users', { email: 'ada@example.com' }));
    const subject = `user_id=${user_id}`;
    const noRoles = tick();
    expectOk(await project.api('PUT', `/v1/users/${user_id}`, { roles: ['editor'] }));
    const editor = tick();
    expectOk(await project.api('PUT', `/v1/users/${user_id}`, { roles: [] }));
    const revoked = tick();
    const readForAll = structuredClone(CONSUMER_POLICY);
    readForAll.roles[0]!.permissions = [{ resource_id: 'documents', actions: ['read'] }];
    const v3 = expectOk(await project.api('PUT', '/v1/rbac/policy', { policy: readForAll })).policy_version;
    const everyoneReads = tick();
    expectOk(await project.api('PUT', `/v1/users/${user_id}`, { roles: ['viewer'] }));
    const viewer = tick();
    expectOk(await project.api('DELETE', '/v1/rbac/policy/roles/viewer?cascade=true'));
    const viewerGone = tick();

    const before = await accessAt(project, subject, 'write', beforeUser);
    assert.equal(before.allowed, false);
    assert.equal(before.existed, false);
    assert.match(before.note, /did not exist yet/);

    const none = await accessAt(project, subject, 'write', noRoles);
    assert.deepEqual([none.allowed, none.existed, none.roles], [false, true, ['stytch_user']]);
    const held = await accessAt(project, subject, 'write', editor);
    assert.deepEqual([held.allowed, held.roles, granting(held)], [true, ['stytch_user', 'editor'], ['editor:direct_assignment']]);
    assert.equal(held.policy_version, v3 - 1);
    const gone = await accessAt(project, subject, 'write', revoked);
    assert.deepEqual([gone.allowed, gone.roles, gone.granting_roles], [false, ['stytch_user'], []]);

    assert.equal((await accessAt(project, subject, 'read', revoked)).allowed, false);
    const reads = await accessAt(project, subject, 'read', everyoneReads);
    assert.deepEqual([reads.allowed, reads.policy_version, granting(reads)], [true, v3, ['stytch_user:direct_assignment']]);

    const viewing = await accessAt(project, subject, 'read', viewer);
    assert.deepEqual([viewing.roles, granting(viewing)], [['stytch_user', 'viewer'], ['stytch_user:direct_assignment', 'viewer:direct_assignment']]);
    const afterCascade = await accessAt(project, subject, 'read', viewerGone);
    assert.deepEqual(afterCascade.roles, ['stytch_user'], 'the cascade ended the assignment though no user event says so');
    assert.equal(afterCascade.policy_version, v3 + 1);

    // The answers do not change when the present does: delete the user, ask again.
    expectOk(await project.api('DELETE', `/v1/users/${user_id}`));
    const deleted = tick();
    assert.deepEqual(await accessAt(project, subject, 'write', editor), held);
    const afterDelete = await accessAt(project, subject, 'read', deleted);
    assert.deepEqual([afterDelete.allowed, afterDelete.existed], [false, false]);
  });

  test('bad questions get 400 in the error envelope', async () => {
    const project = await B2BProject.create(server, null);
    const now = clock.now().toISOString();
    const user = 'user-test-00000000-0000-4000-8000-000000000000';
    const member = 'member-test-00000000-0000-4000-8000-000000000000';
    const ask = (query: string) => project.api('GET', `/v1/rbac/access_at?${query}`);
    expectError(await ask(`user_id=${user}&resource_id=documents&action=read&at=yesterday`), 400, 'invalid_argument');
    expectError(await ask(`user_id=${user}&resource_id=documents&action=read&at=${new Date(clock.now().getTime() + 60_000).toISOString()}`), 400, 'invalid_argument');
    expectError(await ask(`user_id=${user}&member_id=${member}&resource_id=documents&action=read&at=${now}`), 400, 'invalid_argument');
    expectError(await ask(`resource_id=documents&action=read&at=${now}`), 400, 'invalid_argument');
    expectError(await ask(`user_id=${user}&action=read&at=${now}`), 400, 'invalid_argument');
    expectError(await ask(`user_id=not-a-user&resource_id=documents&action=read&at=${now}`), 400, 'invalid_user_id');
    expectError(await ask(`member_id=not-a-member&resource_id=documents&action=read&at=${now}`), 400, 'invalid_member_id');
    const unknown = expectOk(await ask(`user_id=${user}&resource_id=documents&action=read&at=${now}`));
    assert.deepEqual([unknown.allowed, unknown.existed], [false, false]);
    assert.match(unknown.note, /No user with this id is known/);
  });
});

describe('members', () => {
  test('email-domain rules, an email change, custom roles and deletion, each seen at the instants around it', async () => {
    const project = await B2BProject.create(server);
    const organization = await project.createOrganization({ rbac_email_implicit_role_assignments: [{ domain: 'acme.com', role_id: 'viewer' }] });
    const orgId = organization.organization_id;
    const beforeMember = tick();
    const ada = await project.createMember(orgId, { email_address: 'ada@acme.com' });
    const bob = await project.createMember(orgId, { email_address: 'bob@acme.com' });
    const subject = `member_id=${ada.member_id}`;
    const byEmail = tick();
    await project.updateOrganization(orgId, { rbac_email_implicit_role_assignments: [{ domain: 'acme.com', role_id: 'editor' }] });
    const editorRule = tick();
    await project.updateMember(orgId, ada.member_id, { email_address: 'ada@other.com' });
    const otherDomain = tick();
    const reader = { role_id: 'org-reader', description: 'Reads', permissions: [{ resource_id: 'documents', actions: ['read'] }] };
    expectOk(await project.api('PUT', `/v1/b2b/rbac/organizations/${orgId}`, { org_policy: { roles: [reader] } }));
    await project.updateMember(orgId, ada.member_id, { roles: ['org-reader'] });
    const customRole = tick();
    await project.deleteMember(orgId, ada.member_id);
    const deleted = tick();

    assert.deepEqual((await accessAt(project, subject, 'read', beforeMember)).existed, false);
    const viaRule = await accessAt(project, subject, 'read', byEmail);
    assert.deepEqual([viaRule.allowed, viaRule.roles, granting(viaRule)], [true, ['stytch_member', 'viewer'], ['viewer:email_assignment']]);
    assert.equal(viaRule.subject.email_address, 'ada@acme.com');
    assert.equal(viaRule.subject.organization_id, orgId);
    assert.equal((await accessAt(project, subject, 'write', byEmail)).allowed, false);
    const viaEditorRule = await accessAt(project, subject, 'write', editorRule);
    assert.deepEqual([viaEditorRule.allowed, granting(viaEditorRule)], [true, ['editor:email_assignment']]);
    const moved = await accessAt(project, subject, 'read', otherDomain);
    assert.deepEqual([moved.allowed, moved.roles, moved.subject.email_address], [false, ['stytch_member'], 'ada@other.com']);
    const custom = await accessAt(project, subject, 'read', customRole);
    assert.deepEqual([custom.allowed, granting(custom)], [true, ['org-reader:direct_assignment']]);
    const gone = await accessAt(project, subject, 'read', deleted);
    assert.deepEqual([gone.allowed, gone.existed], [false, false]);
    assert.match(gone.note, /deleted/);

    // The organization goes, members and all: the history still answers for before.
    expectOk(await project.api('DELETE', `/v1/b2b/organizations/${orgId}`));
    const orgGone = tick();
    assert.deepEqual(await accessAt(project, subject, 'read', customRole), custom);
    assert.equal((await accessAt(project, `member_id=${bob.member_id}`, 'write', deleted)).allowed, true, 'bob still writes by the editor rule');
    const bobGone = await accessAt(project, `member_id=${bob.member_id}`, 'write', orgGone);
    assert.deepEqual([bobGone.allowed, bobGone.existed], [false, false]);
    assert.match(bobGone.note, /organization was deleted/);
  });
});
