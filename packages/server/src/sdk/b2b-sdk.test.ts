// The B2B browser SDK API over real HTTP: sign-in, member sessions, the member's own profile, and the
// organization and member calls the B2B SDK makes, each checked against the signed-in member's
// permissions on the built-in stytch.* resources (a refusal writes nothing).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { B2B_POLICY, type B2BProject } from '../testing/b2b.ts';
import { expectError, startTestServer, type TestServer } from '../testing/harness.ts';
import { b2bWorld, expectData, memberWithPassword, PASSWORD, sdkCall } from '../testing/sdk.ts';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

const APP = 'http://localhost:5173';

/** An organization with an admin (stytch_admin), a plain member and an editor, each signed in through /sdk/v1. */
async function world() {
  const { project, organization } = await b2bWorld(server, APP, B2B_POLICY);
  const orgId: string = organization.organization_id;
  const admin = await memberWithPassword(project, orgId, 'admin@acme.com', ['stytch_admin']);
  const plain = await memberWithPassword(project, orgId, 'plain@acme.com');
  const editor = await memberWithPassword(project, orgId, 'editor@acme.com', ['editor']);
  const signIn = async (email: string) => {
    const data = expectData(
      await sdkCall(server, { publicToken: project.credentials.public_token, origin: APP }, 'POST', '/b2b/passwords/authenticate', {
        organization_id: orgId,
        email_address: email,
        password: PASSWORD,
        session_duration_minutes: 60,
      }),
    );
    return { publicToken: project.credentials.public_token, sessionToken: data.session_token as string, origin: APP, data };
  };
  return { project, orgId, admin, plain, editor, as: { admin: await signIn('admin@acme.com'), plain: await signIn('plain@acme.com'), editor: await signIn('editor@acme.com') } };
}

const memberOf = async (project: B2BProject, orgId: string, memberId: string) => project.getMember(orgId, memberId);

describe('B2B sign-in and sessions', () => {
  test('password sign-in: member_session with roles, member, organization, token and JWT', async () => {
    const { as, editor, orgId } = await world();
    const { data } = as.editor;
    assert.equal(data.member_id, editor.member_id);
    assert.equal(data.organization.organization_id, orgId);
    assert.deepEqual([...data.member_session.roles].sort(), ['editor', 'stytch_member']);
    assert.ok(data.member_session.member_session_id && data.session_token && data.session_jwt);
    assert.equal(data.member_authenticated, true);
  });

  test('sessions/authenticate and revoke with the session in Basic auth; a user session is not a member session', async () => {
    const { as, editor } = await world();
    const authenticated = expectData(await sdkCall(server, as.editor, 'POST', '/b2b/sessions/authenticate', { session_duration_minutes: 30 }));
    assert.equal(authenticated.member.member_id, editor.member_id);
    assert.equal(authenticated.session_token, as.editor.sessionToken);
    assert.ok(authenticated.session_jwt);
    expectError(await sdkCall(server, as.editor, 'POST', '/sessions/authenticate', {}), 404, 'session_not_found');
    expectData(await sdkCall(server, as.editor, 'POST', '/b2b/sessions/revoke'));
    expectError(await sdkCall(server, as.editor, 'POST', '/b2b/sessions/authenticate', {}), 404, 'session_not_found');
  });

  test('revoking another member\'s sessions needs stytch.member delete', async () => {
    const { as, plain, editor } = await world();
    expectError(await sdkCall(server, as.plain, 'POST', `/b2b/sessions/revoke/${editor.member_id}`), 403, 'session_authorization_error');
    expectData(await sdkCall(server, as.editor, 'POST', '/b2b/sessions/authenticate', {}));
    expectData(await sdkCall(server, as.admin, 'POST', `/b2b/sessions/revoke/${editor.member_id}`));
    expectError(await sdkCall(server, as.editor, 'POST', '/b2b/sessions/authenticate', {}), 404, 'session_not_found');
    expectData(await sdkCall(server, as.plain, 'POST', `/b2b/sessions/revoke/${plain.member_id}`));
  });
});

describe('the member\'s own profile', () => {
  test('members/me; self update of name and untrusted_metadata; trusted_metadata, roles, external_id refused and nothing written', async () => {
    const { project, orgId, as, plain } = await world();
    const me = expectData(await sdkCall(server, as.plain, 'GET', '/b2b/organizations/members/me'));
    assert.equal(me.member.member_id, plain.member_id);
    const updated = expectData(await sdkCall(server, as.plain, 'PUT', '/b2b/organizations/members/update', { name: 'Plain Jane', untrusted_metadata: { theme: 'dark' } }));
    assert.equal(updated.member.name, 'Plain Jane');
    expectError(await sdkCall(server, as.plain, 'PUT', '/b2b/organizations/members/update', { trusted_metadata: { tier: 1 } }), 403, 'cannot_update_trusted_metadata');
    expectError(await sdkCall(server, as.plain, 'PUT', '/b2b/organizations/members/update', { roles: ['stytch_admin'] }), 403, 'cannot_update_roles');
    expectError(await sdkCall(server, as.plain, 'PUT', '/b2b/organizations/members/update', { external_id: 'x', name: 'Eve' }), 403, 'field_not_writable_from_browser');
    const after = await memberOf(project, orgId, plain.member_id);
    assert.equal(after.name, 'Plain Jane');
    assert.deepEqual(after.trusted_metadata, {});
    assert.deepEqual(after.roles.map((role: { role_id: string }) => role.role_id), ['stytch_member']);
  });

  test('self update needs stytch.self: a policy without it refuses', async () => {
    const policy = { ...B2B_POLICY, roles: B2B_POLICY.roles.map((role) => (role.role_id === 'stytch_member' ? { ...role, permissions: [] } : role)) };
    const { project, organization } = await b2bWorld(server, APP, policy);
    await memberWithPassword(project, organization.organization_id, 'nobody@acme.com');
    const signedIn = expectData(
      await sdkCall(server, { publicToken: project.credentials.public_token, origin: APP }, 'POST', '/b2b/passwords/authenticate', {
        organization_id: organization.organization_id,
        email_address: 'nobody@acme.com',
        password: PASSWORD,
        session_duration_minutes: 60,
      }),
    );
    const caller = { publicToken: project.credentials.public_token, sessionToken: signedIn.session_token, origin: APP };
    expectError(await sdkCall(server, caller, 'PUT', '/b2b/organizations/members/update', { name: 'X' }), 403, 'session_authorization_error');
  });
});

describe('organization and member administration as the signed-in member', () => {
  test('organization get for any member; update needs stytch.organization; trusted_metadata never', async () => {
    const policy = {
      ...B2B_POLICY,
      roles: [...B2B_POLICY.roles.filter((role) => role.role_id !== 'stytch_admin'), { role_id: 'stytch_admin', description: 'All', permissions: [{ resource_id: 'stytch.organization', actions: ['*'] }, { resource_id: 'stytch.member', actions: ['*'] }] }],
    };
    const { project, organization } = await b2bWorld(server, APP, policy);
    const orgId = organization.organization_id;
    await memberWithPassword(project, orgId, 'admin@acme.com', ['stytch_admin']);
    await memberWithPassword(project, orgId, 'plain@acme.com');
    const signIn = async (email: string) => ({
      publicToken: project.credentials.public_token,
      origin: APP,
      sessionToken: expectData(
        await sdkCall(server, { publicToken: project.credentials.public_token, origin: APP }, 'POST', '/b2b/passwords/authenticate', {
          organization_id: orgId,
          email_address: email,
          password: PASSWORD,
          session_duration_minutes: 60,
        }),
      ).session_token as string,
    });
    const admin = await signIn('admin@acme.com');
    const plain = await signIn('plain@acme.com');
    assert.equal(expectData(await sdkCall(server, plain, 'GET', '/b2b/organizations/me')).organization.organization_id, orgId);
    expectError(await sdkCall(server, plain, 'PUT', '/b2b/organizations/me', { organization_name: 'Hijacked' }), 403, 'session_authorization_error');
    expectError(await sdkCall(server, plain, 'DELETE', '/b2b/organizations/me'), 403, 'session_authorization_error');
    assert.equal(expectData(await sdkCall(server, admin, 'PUT', '/b2b/organizations/me', { organization_name: 'Acme Two' })).organization.organization_name, 'Acme Two');
    expectError(await sdkCall(server, admin, 'PUT', '/b2b/organizations/me', { trusted_metadata: { a: 1 } }), 403, 'cannot_update_trusted_metadata');
    const after = await project.getOrganization(orgId);
    assert.equal(after.organization_name, 'Acme Two');
    assert.deepEqual(after.trusted_metadata, {});
  });

  test('member search, create, update, delete: stytch.member actions; no escalation; refusals write nothing', async () => {
    const { project, orgId, as, plain, editor } = await world();
    // Search.
    expectError(await sdkCall(server, as.plain, 'POST', '/b2b/organizations/me/members/search', {}), 403, 'session_authorization_error');
    const found = expectData(await sdkCall(server, as.admin, 'POST', '/b2b/organizations/me/members/search', {}));
    assert.equal(found.results_metadata.total, 3);
    // Create.
    expectError(await sdkCall(server, as.plain, 'POST', '/b2b/organizations/members', { email_address: 'new@acme.com' }), 403, 'session_authorization_error');
    expectError(await sdkCall(server, as.admin, 'POST', '/b2b/organizations/members', { email_address: 'new@acme.com', trusted_metadata: { a: 1 } }), 403, 'cannot_update_trusted_metadata');
    // stytch_admin here holds stytch.member only, not documents: it cannot hand out editor.
    expectError(await sdkCall(server, as.admin, 'POST', '/b2b/organizations/members', { email_address: 'new@acme.com', roles: ['editor'] }), 403, 'session_authorization_error');
    assert.equal((await project.searchMemberIds([orgId])).length, 3);
    const created = expectData(await sdkCall(server, as.admin, 'POST', '/b2b/organizations/members', { email_address: 'new@acme.com', name: 'New' }));
    assert.equal(created.member.email_address, 'new@acme.com');
    // Update.
    expectError(await sdkCall(server, as.plain, 'PUT', `/b2b/organizations/members/${editor.member_id}`, { name: 'Renamed' }), 403, 'session_authorization_error');
    expectError(await sdkCall(server, as.plain, 'PUT', `/b2b/organizations/members/${plain.member_id}`, { roles: ['stytch_admin'] }), 403, 'session_authorization_error');
    expectError(await sdkCall(server, as.editor, 'PUT', `/b2b/organizations/members/${editor.member_id}`, { roles: ['editor', 'auditor'] }), 403, 'session_authorization_error');
    assert.equal((await memberOf(project, orgId, editor.member_id)).name, 'editor');
    assert.equal(expectData(await sdkCall(server, as.admin, 'PUT', `/b2b/organizations/members/${editor.member_id}`, { name: 'Renamed' })).member.name, 'Renamed');
    assert.equal(expectData(await sdkCall(server, as.plain, 'PUT', `/b2b/organizations/members/${plain.member_id}`, { name: 'Me' })).member.name, 'Me');
    // Delete.
    expectError(await sdkCall(server, as.plain, 'DELETE', `/b2b/organizations/members/${editor.member_id}`), 403, 'session_authorization_error');
    expectData(await sdkCall(server, as.admin, 'DELETE', `/b2b/organizations/members/${created.member.member_id}`));
    assert.equal((await project.searchMemberIds([orgId])).length, 3);
  });

  test('tenancy: a member of another organization cannot act here', async () => {
    const { project, orgId, editor } = await world();
    const other = await project.createOrganization({ organization_slug: `other-${Math.random().toString(36).slice(2, 8)}` });
    await memberWithPassword(project, other.organization_id, 'boss@other.com', ['stytch_admin']);
    const boss = {
      publicToken: project.credentials.public_token,
      origin: APP,
      sessionToken: expectData(
        await sdkCall(server, { publicToken: project.credentials.public_token, origin: APP }, 'POST', '/b2b/passwords/authenticate', {
          organization_id: other.organization_id,
          email_address: 'boss@other.com',
          password: PASSWORD,
          session_duration_minutes: 60,
        }),
      ).session_token as string,
    };
    // Its calls name its own organization; a member of ours is not found there.
    expectError(await sdkCall(server, boss, 'PUT', `/b2b/organizations/members/${editor.member_id}`, { name: 'Taken' }), 404, 'member_not_found');
    expectError(await sdkCall(server, boss, 'DELETE', `/b2b/organizations/members/${editor.member_id}`), 404, 'member_not_found');
    assert.equal((await memberOf(project, orgId, editor.member_id)).name, 'editor');
  });

  test('a member\'s password: its own with stytch.self, another\'s only with stytch.member', async () => {
    const { project, orgId, as, editor, plain } = await world();
    expectError(await sdkCall(server, as.plain, 'DELETE', `/b2b/organizations/members/passwords/${editor.member_password_id}`), 403, 'session_authorization_error');
    assert.ok((await memberOf(project, orgId, editor.member_id)).member_password_id);
    expectData(await sdkCall(server, as.plain, 'DELETE', `/b2b/organizations/members/passwords/${plain.member_password_id}`));
    assert.equal((await memberOf(project, orgId, plain.member_id)).member_password_id, '');
  });
});
