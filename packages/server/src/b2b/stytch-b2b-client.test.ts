// The official `stytch` Node B2BClient (v14) against a started Gatehouse: organizations, members
// with roles, search by role, B2B password sign-in, sessions.authenticate with authorization checks
// (allowed, denied, another organization), authenticateJwt checked locally against the JWKS and the
// policies, and members calls made on behalf of a member session.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import bcrypt from 'bcryptjs';
import type { ProjectCredentials } from '../projects/service.ts';
import { startTestServer, type TestServer } from '../testing/harness.ts';
import { b2bClient, expectStytchError } from '../testing/stytch-clients.ts';

let server: TestServer;
let project: ProjectCredentials;
let client: ReturnType<typeof b2bClient>;

const POLICY = {
  resources: [{ resource_id: 'documents', description: 'Documents', actions: ['read', 'write', 'delete'] }],
  roles: [
    { role_id: 'stytch_member', description: 'Every member', permissions: [{ resource_id: 'stytch.self', actions: ['*'] }] },
    {
      role_id: 'stytch_admin',
      description: 'Administers',
      permissions: [
        { resource_id: 'stytch.member', actions: ['*'] },
        { resource_id: 'stytch.organization', actions: ['*'] },
        { resource_id: 'documents', actions: ['*'] },
      ],
    },
    { role_id: 'editor', description: 'Edits', permissions: [{ resource_id: 'documents', actions: ['read', 'write'] }] },
    { role_id: 'reader', description: 'Reads', permissions: [{ resource_id: 'documents', actions: ['read'] }] },
  ],
  scopes: [],
};

const PASSWORD = 'a sturdy b2b passphrase 42';

before(async () => {
  server = await startTestServer();
  project = await server.createProject();
  assert.equal((await server.api(project, 'PUT', '/v1/b2b/rbac/policy', { policy: POLICY })).status, 200);
  client = b2bClient(server, project);
});
after(() => server.close());

/** A member with a bcrypt password migrated in, signed in through passwords.authenticate. */
async function signIn(organizationId: string, email: string, roles: string[] = []) {
  const migrated = await client.passwords.migrate({
    organization_id: organizationId,
    email_address: email,
    hash: bcrypt.hashSync(PASSWORD, 4),
    hash_type: 'bcrypt',
    roles,
  });
  assert.equal(migrated.member_created, true);
  const signedIn = await client.passwords.authenticate({ organization_id: organizationId, email_address: email, password: PASSWORD, session_duration_minutes: 60 });
  assert.equal(signedIn.member_id, migrated.member_id);
  return signedIn;
}

test('organizations and members: create with roles, update roles, search by explicit and implicit role', async () => {
  const { organization } = await client.organizations.create({
    organization_name: 'Acme',
    organization_slug: 'acme-client',
    rbac_email_implicit_role_assignments: [{ domain: 'readers.example', role_id: 'reader' }],
  });
  assert.match(organization.organization_id, /^organization-test-/);
  assert.deepEqual(organization.rbac_email_implicit_role_assignments, [{ domain: 'readers.example', role_id: 'reader' }]);
  assert.equal((await client.organizations.get({ organization_id: organization.organization_id })).organization.organization_slug, 'acme-client');

  const ann = await client.organizations.members.create({ organization_id: organization.organization_id, email_address: 'ann@acme.example', roles: ['editor'] });
  assert.deepEqual(ann.member.roles.map((role) => role.role_id), ['stytch_member', 'editor']);
  const bob = await client.organizations.members.create({ organization_id: organization.organization_id, email_address: 'bob@readers.example' });
  // An email-domain rule counts once the address is proven: bob follows a login link mailed to it.
  assert.equal(bob.member.roles.find((role) => role.role_id === 'reader'), undefined);
  await client.magicLinks.email.loginOrSignup({ organization_id: organization.organization_id, email_address: 'bob@readers.example' });
  const outbox = await server.api(project, 'GET', `/v1/project/outbox?to=${encodeURIComponent('bob@readers.example')}&limit=1`);
  const proven = await client.magicLinks.authenticate({ magic_links_token: new URL(outbox.body.messages[0].link).searchParams.get('token')! });
  assert.deepEqual(proven.member.roles.find((role) => role.role_id === 'reader')?.sources, [{ type: 'email_assignment', details: { email_domain: 'readers.example' } }]);

  const updated = await client.organizations.members.update({ organization_id: organization.organization_id, member_id: ann.member_id, roles: ['reader'] });
  assert.deepEqual(updated.member.roles.map((role) => role.role_id), ['stytch_member', 'reader']);

  const search = async (roles: string[]) =>
    (
      await client.organizations.members.search({
        organization_ids: [organization.organization_id],
        // member_roles is in Stytch's API but not in this client's type union.
        query: { operator: 'AND', operands: [{ filter_name: 'member_roles', filter_value: roles } as never] },
      })
    ).members.map((member) => member.email_address).sort();
  assert.deepEqual(await search(['reader']), ['ann@acme.example', 'bob@readers.example']);
  assert.deepEqual(await search(['editor']), []);
});

test('B2B password sign-in, then sessions.authenticate with an authorization check: allowed, denied, another organization', async () => {
  const { organization } = await client.organizations.create({ organization_name: 'Globex' });
  const { organization: other } = await client.organizations.create({ organization_name: 'Initech' });
  const signedIn = await signIn(organization.organization_id, 'carol@globex.example', ['editor']);
  assert.ok(signedIn.session_token && signedIn.session_jwt);
  assert.deepEqual(signedIn.member_session?.roles, ['stytch_member', 'editor']);
  await expectStytchError(
    client.passwords.authenticate({ organization_id: organization.organization_id, email_address: 'carol@globex.example', password: 'not the password at all 7' }),
    'unauthorized_credentials',
    401,
  );

  const allowed = await client.sessions.authenticate({
    session_token: signedIn.session_token,
    authorization_check: { organization_id: organization.organization_id, resource_id: 'documents', action: 'write' },
  });
  assert.deepEqual(allowed.verdict, { authorized: true, granting_roles: ['editor'] });
  assert.equal(allowed.member.member_id, signedIn.member_id);
  assert.equal(allowed.organization.organization_id, organization.organization_id);

  await expectStytchError(
    client.sessions.authenticate({
      session_token: signedIn.session_token,
      authorization_check: { organization_id: organization.organization_id, resource_id: 'documents', action: 'delete' },
    }),
    'session_authorization_error',
    403,
  );
  await expectStytchError(
    client.sessions.authenticate({
      session_token: signedIn.session_token,
      authorization_check: { organization_id: other.organization_id, resource_id: 'documents', action: 'read' },
    }),
    'session_authorization_tenancy_error',
    403,
  );
});

test('sessions.authenticateJwt decides locally from the JWKS, the B2B policy and the organization policy', async () => {
  const { organization } = await client.organizations.create({ organization_name: 'Umbrella' });
  const { organization: other } = await client.organizations.create({ organization_name: 'Cyberdyne' });
  const signedIn = await signIn(organization.organization_id, 'dave@umbrella.example', ['reader']);

  const local = await client.sessions.authenticateJwtLocal({
    session_jwt: signedIn.session_jwt,
    authorization_check: { organization_id: organization.organization_id, resource_id: 'documents', action: 'read' },
  });
  assert.equal(local.member_id, signedIn.member_id);
  assert.equal(local.organization_id, organization.organization_id);
  assert.deepEqual(local.roles, ['stytch_member', 'reader']);

  await assert.rejects(
    client.sessions.authenticateJwtLocal({
      session_jwt: signedIn.session_jwt,
      authorization_check: { organization_id: organization.organization_id, resource_id: 'documents', action: 'write' },
    }),
    (error: { code?: string }) => error.code === 'invalid_permissions',
  );
  await assert.rejects(
    client.sessions.authenticateJwtLocal({
      session_jwt: signedIn.session_jwt,
      authorization_check: { organization_id: other.organization_id, resource_id: 'documents', action: 'read' },
    }),
    (error: { code?: string }) => error.code === 'tenancy_mismatch',
  );

  // authenticateJwt: allowed locally; a local denial falls back to the server, which denies too.
  const viaJwt = await client.sessions.authenticateJwt({
    session_jwt: signedIn.session_jwt,
    authorization_check: { organization_id: organization.organization_id, resource_id: 'documents', action: 'read' },
  });
  assert.equal(viaJwt.member_session.member_id, signedIn.member_id);
  await expectStytchError(
    client.sessions.authenticateJwt({
      session_jwt: signedIn.session_jwt,
      authorization_check: { organization_id: organization.organization_id, resource_id: 'documents', action: 'delete' },
    }),
    'session_authorization_error',
    403,
  );
});

test('members calls on behalf of a member session: allowed for an admin, denied (nothing written) for a plain member', async () => {
  const { organization } = await client.organizations.create({ organization_name: 'Hooli' });
  const admin = await signIn(organization.organization_id, 'erin@hooli.example', ['stytch_admin']);
  const plain = await signIn(organization.organization_id, 'frank@hooli.example');
  const target = await client.organizations.members.create({ organization_id: organization.organization_id, email_address: 'gina@hooli.example' });

  const granted = await client.organizations.members.update(
    { organization_id: organization.organization_id, member_id: target.member_id, roles: ['editor'] },
    { authorization: { session_token: admin.session_token } },
  );
  assert.deepEqual(granted.member.roles.map((role) => role.role_id), ['stytch_member', 'editor']);

  await expectStytchError(
    client.organizations.members.update(
      { organization_id: organization.organization_id, member_id: target.member_id, roles: ['stytch_admin'] },
      { authorization: { session_token: plain.session_token } },
    ),
    'session_authorization_error',
    403,
  );
  // A plain member may not make itself an admin either.
  await expectStytchError(
    client.organizations.members.update(
      { organization_id: organization.organization_id, member_id: plain.member_id, roles: ['stytch_admin'] },
      { authorization: { session_jwt: plain.session_jwt } },
    ),
    'session_authorization_error',
    403,
  );
  const after = await client.organizations.members.get({ organization_id: organization.organization_id, member_id: target.member_id });
  assert.deepEqual(after.member.roles.map((role) => role.role_id), ['stytch_member', 'editor']);
  const self = await client.organizations.members.get({ organization_id: organization.organization_id, member_id: plain.member_id });
  assert.equal(self.member.is_admin, false);
});
