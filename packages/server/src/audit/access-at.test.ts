// GET /v1/rbac/access_at over real HTTP, on a clock the test moves: the answer at instants between
// changes follows role grants and revokes, policy changes (including a cascade that removes a held
// role), and for members their email (email-domain rules), the organization's rules and custom
// roles, SSO connection and group rules with the groups of real SAML sign-ins, and deletion. Nothing
// is asked of the live state: only of the history.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { B2BProject, CONSUMER_POLICY, expectOk } from '../testing/b2b.ts';
import { expectError, ManualClock, startTestServer, type TestServer } from '../testing/harness.ts';
import { createSamlIdp, readAuthnRequest, TEST_IDP_ATTRIBUTE_MAPPING, type SamlTestIdp, type SamlTestUser } from '../testing/saml-idp.ts';

// Starts at the real time: the test IdP dates its assertions by the real clock.
const clock = new ManualClock(Date.now());
let server: TestServer;
let idp: SamlTestIdp;
before(async () => {
  server = await startTestServer({ clock });
  idp = await createSamlIdp();
});
after(() => server.close());

const SECOND = 1000;
/** Moves the clock on and returns an instant just before the move (after everything done so far). */
function tick(): string {
  const before = new Date(clock.now().getTime() + SECOND / 2).toISOString();
  clock.advance(SECOND);
  return before;
}

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
    const ada = await project.createVerifiedMember(orgId, { email_address: 'ada@acme.com' });
    const bob = await project.createVerifiedMember(orgId, { email_address: 'bob@acme.com' });
    const subject = `member_id=${ada.member_id}`;
    const byEmail = tick();
    await project.updateOrganization(orgId, { rbac_email_implicit_role_assignments: [{ domain: 'acme.com', role_id: 'editor' }] });
    const editorRule = tick();
    await project.changeEmail(orgId, ada.member_id, 'ada@other.com');
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

describe('members through SSO', () => {
  /** A SAML sign-in as far as the ACS, as a browser makes it: what registers the member with its groups. */
  async function signIn(project: B2BProject, connection: { connection_id: string; acs_url: string; audience_uri: string }, user: SamlTestUser) {
    // The IdP dates its assertion by the real clock: the server's may not lag behind it (a loaded machine).
    clock.advance(Math.max(0, Date.now() - clock.now().getTime()));
    const query = new URLSearchParams({ connection_id: connection.connection_id, public_token: project.credentials.public_token, login_redirect_url: 'http://app.example/sso', signup_redirect_url: 'http://app.example/sso' });
    const start = await fetch(`${server.baseUrl}/v1/public/sso/start?${query}`, { redirect: 'manual' });
    const request = readAuthnRequest(start.headers.get('location')!);
    const SAMLResponse = idp.response({ acsUrl: connection.acs_url, audience: connection.audience_uri, requestId: request.id, user });
    // To this server's port; acs_url names the configured public URL.
    const acs = await fetch(`${server.baseUrl}/v1/b2b/sso/saml/acs/${connection.connection_id}`, {
      method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ SAMLResponse, RelayState: request.relayState! }).toString(),
    });
    assert.equal(acs.status, 302, await acs.text());
  }

  test("connection and group rules with the member's IdP groups, each as it was then", async () => {
    const project = await B2BProject.create(server);
    const orgId = (await project.createOrganization()).organization_id;
    const created = expectOk(await project.api('POST', `/v1/b2b/sso/saml/${orgId}`, { display_name: 'IdP' })).connection;
    const connectionPath = `/v1/b2b/sso/saml/${orgId}/connections/${created.connection_id}`;
    const connection = expectOk(await project.api('PUT', connectionPath, {
      idp_entity_id: idp.entityId, idp_sso_url: idp.ssoUrl, x509_certificate: idp.certificate, attribute_mapping: TEST_IDP_ATTRIBUTE_MAPPING,
      saml_connection_implicit_role_assignments: [{ role_id: 'viewer' }],
      saml_group_implicit_role_assignments: [{ role_id: 'editor', group: 'writers' }],
    })).connection;
    const user = { nameId: 'ann@acme.example', email: 'ann@acme.example' };
    await signIn(project, connection, { ...user, groups: ['writers'] });
    const [member] = (await project.searchMembers({ organization_ids: [orgId] })).members;
    const subject = `member_id=${member.member_id}`;
    const writer = tick();
    await signIn(project, connection, { ...user, groups: [] });
    const notWriter = tick();
    expectOk(await project.api('PUT', connectionPath, { saml_connection_implicit_role_assignments: [] }));
    const noRule = tick();

    const writes = await accessAt(project, subject, 'write', writer);
    assert.deepEqual([writes.allowed, writes.roles, granting(writes)], [true, ['stytch_member', 'viewer', 'editor'], ['editor:sso_connection_group']]);
    assert.equal(writes.granting_roles[0].sources[0].details.group, 'writers');
    const reads = await accessAt(project, subject, 'read', notWriter);
    assert.deepEqual([reads.allowed, reads.roles, granting(reads)], [true, ['stytch_member', 'viewer'], ['viewer:sso_connection']]);
    assert.equal((await accessAt(project, subject, 'write', notWriter)).allowed, false);
    const none = await accessAt(project, subject, 'read', noRule);
    assert.deepEqual([none.allowed, none.roles], [false, ['stytch_member']]);
    const groups = (await expectOk(await project.api('GET', `/v1/audit_events?action=member.sso_groups.updated&target_id=${member.member_id}`))).audit_events;
    assert.deepEqual(groups.map((e: any) => [e.actor, e.before?.groups ?? null, e.after.groups]), [
      [{ type: 'system', id: 'sso.saml' }, ['writers'], []],
      [{ type: 'system', id: 'sso.saml' }, null, ['writers']],
    ]);
  });
});
