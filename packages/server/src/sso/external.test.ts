// External SSO connections through the official `stytch` B2BClient (sso.external.*, sso.getConnections,
// sso.deleteConnection): an organization signs people in through another organization's SAML
// connection, they land in the organization of the external connection with its own role rules, and
// the source organization's members are untouched. Member sessions need stytch.sso create.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { B2BProject, expectOk } from '../testing/b2b.ts';
import { startTestServer, type TestServer } from '../testing/harness.ts';
import { createSamlIdp, type SamlTestIdp, type SamlTestUser } from '../testing/saml-idp.ts';
import { startOidcProvider } from '../testing/oidc-provider.ts';
import { createOidcConnection, createSamlConnection, oidcCallback, postAcs, ssoTokenOf, startSaml, type FinishedSignIn, type TestSamlConnection } from '../testing/sso.ts';
import { b2bClient, expectStytchError } from '../testing/stytch-clients.ts';

const POLICY = {
  resources: [{ resource_id: 'repos', description: 'Code', actions: ['read', 'push'] }],
  roles: [
    { role_id: 'stytch_member', description: '', permissions: [{ resource_id: 'stytch.self', actions: ['*'] }] },
    { role_id: 'stytch_admin', description: '', permissions: [{ resource_id: 'stytch.member', actions: ['*'] }, { resource_id: 'stytch.sso', actions: ['*'] }] },
    { role_id: 'sso-user', description: 'Everyone from the IdP', permissions: [{ resource_id: 'repos', actions: ['read'] }] },
    { role_id: 'engineer', description: 'The eng group', permissions: [{ resource_id: 'repos', actions: ['push'] }] },
    { role_id: 'contractor', description: 'People of the partner', permissions: [{ resource_id: 'repos', actions: ['read'] }] },
    { role_id: 'sso-reader', description: 'Reads SSO settings', permissions: [{ resource_id: 'stytch.sso', actions: ['get'] }] },
    { role_id: 'sso-creator', description: 'Creates connections', permissions: [{ resource_id: 'stytch.sso', actions: ['create', 'get'] }] },
  ],
  scopes: [],
};

let server: TestServer;
let idp: SamlTestIdp;
before(async () => {
  // The OpenID provider is on loopback: the development setting lets discovery reach it.
  server = await startTestServer({ env: { GATEHOUSE_OUTBOUND_ALLOW_PRIVATE: 'true' } });
  idp = await createSamlIdp();
});
after(() => server?.close());

async function setUp() {
  const project = await B2BProject.create(server, POLICY);
  const source = (await project.createOrganization({ organization_name: 'Parent' })).organization_id as string;
  const target = (await project.createOrganization({ organization_name: 'Subsidiary' })).organization_id as string;
  const saml = await createSamlConnection((method, path, body) => project.api(method, path, body), source, idp, {
    saml_connection_implicit_role_assignments: [{ role_id: 'sso-user' }],
    saml_group_implicit_role_assignments: [{ role_id: 'engineer', group: 'eng' }],
  });
  return { project, client: b2bClient(server, project.credentials), source, target, saml };
}

/** A SAML sign-in started with `startWith` (a connection id), answered by the IdP at the source connection's ACS. */
async function signInThrough(project: B2BProject, saml: TestSamlConnection, startWith: string, user: SamlTestUser): Promise<FinishedSignIn> {
  const request = await startSaml(server, idp, project.credentials, startWith);
  const samlResponse = idp.response({ acsUrl: saml.acs_url, audience: saml.audience_uri, requestId: request.id, user });
  return postAcs(server, saml.connection_id, samlResponse, request.relayState!);
}

async function authenticate(project: B2BProject, finished: FinishedSignIn) {
  return expectOk(await project.api('POST', '/v1/b2b/sso/authenticate', { sso_token: ssoTokenOf(finished), session_duration_minutes: 60 }));
}

test('the official client creates, lists, updates and deletes an external connection; a sign-in lands in its organization with its own roles', async () => {
  const { project, client, source, target, saml } = await setUp();
  const ANN = { nameId: 'ann@parent.example', email: 'ann@parent.example', groups: ['eng'] };
  // Ann is already a member of the source organization through its own connection.
  const atSource = await authenticate(project, await signInThrough(project, saml, saml.connection_id, ANN));
  assert.equal(atSource.member.organization_id, source);

  const created = (await client.sso.external.createConnection({
    organization_id: target, external_organization_id: source, external_connection_id: saml.connection_id, display_name: 'Parent IdP',
    connection_implicit_role_assignments: [{ role_id: 'contractor' }],
  })).connection!;
  assert.match(created.connection_id, /^external-connection-test-[0-9a-f-]{36}$/);
  assert.deepEqual(created, {
    organization_id: target, connection_id: created.connection_id, external_organization_id: source, external_connection_id: saml.connection_id,
    display_name: 'Parent IdP', status: 'active', external_connection_implicit_role_assignments: [{ role_id: 'contractor' }], external_group_implicit_role_assignments: [],
  });
  const externalId = created.connection_id;

  // The source must be that organization's connection, in this project, and not external itself.
  await expectStytchError(client.sso.external.createConnection({ organization_id: target, external_organization_id: target, external_connection_id: saml.connection_id }), 'sso_connection_not_found', 404);
  await expectStytchError(client.sso.external.createConnection({ organization_id: source, external_organization_id: target, external_connection_id: externalId }), 'sso_connection_not_found', 404);
  const other = await B2BProject.create(server, POLICY);
  const otherOrganization = (await other.createOrganization({ organization_name: 'Elsewhere' })).organization_id as string;
  await expectStytchError(b2bClient(server, other.credentials).sso.external.createConnection({ organization_id: otherOrganization, external_organization_id: source, external_connection_id: saml.connection_id }), 'sso_connection_not_found', 404);
  // An unknown role in a rule is refused, and nothing is created.
  await assert.rejects(client.sso.external.createConnection({ organization_id: target, external_organization_id: source, external_connection_id: saml.connection_id, connection_implicit_role_assignments: [{ role_id: 'no-such-role' }] }),
    (error: { status_code?: number }) => error.status_code === 400);
  assert.deepEqual((await client.sso.getConnections({ organization_id: target })).external_connections.map((c) => c.connection_id), [externalId]);

  const updated = (await client.sso.external.updateConnection({
    organization_id: target, connection_id: externalId, display_name: 'Parent (Okta)',
    external_group_implicit_role_assignments: [{ role_id: 'engineer', group: 'eng' }],
  })).connection!;
  assert.equal(updated.display_name, 'Parent (Okta)');
  assert.deepEqual(updated.external_connection_implicit_role_assignments, [{ role_id: 'contractor' }]);
  assert.deepEqual(updated.external_group_implicit_role_assignments, [{ role_id: 'engineer', group: 'eng' }]);

  const listed = await client.sso.getConnections({ organization_id: target });
  assert.deepEqual(listed.external_connections, [updated]);
  assert.deepEqual(listed.saml_connections, []);
  assert.deepEqual((await client.sso.getConnections({ organization_id: source })).external_connections, []);

  // Starting with the external connection: the source's IdP, a member of the TARGET organization, the external connection's roles.
  const signedIn = await authenticate(project, await signInThrough(project, saml, externalId, ANN));
  assert.equal(signedIn.member.organization_id, target);
  assert.notEqual(signedIn.member.member_id, atSource.member.member_id);
  assert.deepEqual(signedIn.member_session.roles, ['stytch_member', 'contractor', 'engineer']);
  assert.deepEqual(signedIn.member.roles.slice(1), [
    { role_id: 'contractor', sources: [{ type: 'sso_connection', details: { connection_id: externalId } }] },
    { role_id: 'engineer', sources: [{ type: 'sso_connection_group', details: { connection_id: externalId, group: 'eng' } }] },
  ]);
  assert.equal(signedIn.member_session.authentication_factors[0].saml_sso_factor.provider_id, externalId);
  // The source organization's member is untouched: its roles come from the source connection only.
  const sourceMember = await project.getMember(source, atSource.member.member_id);
  assert.deepEqual(sourceMember.roles.map((r: { role_id: string }) => r.role_id), ['stytch_member', 'sso-user', 'engineer']);
  const { rows } = await server.gatehouse.db.query<{ connection_id: string }>('SELECT connection_id FROM sso_registrations WHERE member_id = $1', [atSource.member.member_id]);
  assert.deepEqual(rows.map((r) => r.connection_id), [saml.connection_id]);
  // A second sign-in finds the same target member by its registration.
  const again = await authenticate(project, await signInThrough(project, saml, externalId, ANN));
  assert.equal(again.member.member_id, signedIn.member.member_id);

  // The linking rule is unchanged: an existing member of the target the connection did not create is not taken over by email.
  await project.createMember(target, { email_address: 'bob@parent.example' });
  const refused = await signInThrough(project, saml, externalId, { nameId: 'bob@parent.example', email: 'bob@parent.example', groups: [] });
  assert.equal(refused.body?.error_type, 'sso_member_link_not_allowed', JSON.stringify(refused));

  // Just in time by the TARGET organization's settings: with them off there, a new person is refused (the source still allows it).
  expectOk(await project.api('PUT', `/v1/b2b/organizations/${target}`, { sso_jit_provisioning: 'NOT_ALLOWED' }));
  const noJit = await signInThrough(project, saml, externalId, { nameId: 'cy@parent.example', email: 'cy@parent.example', groups: [] });
  assert.equal(noJit.body?.error_type, 'sso_jit_provisioning_not_allowed', JSON.stringify(noJit));
  assert.equal((await authenticate(project, await signInThrough(project, saml, saml.connection_id, { nameId: 'cy@parent.example', email: 'cy@parent.example', groups: [] }))).member.organization_id, source);

  const deleted = await client.sso.deleteConnection({ organization_id: target, connection_id: externalId });
  assert.equal(deleted.connection_id, externalId);
  assert.deepEqual((await client.sso.getConnections({ organization_id: target })).external_connections, []);
  const after = await project.getMember(target, signedIn.member.member_id);
  assert.deepEqual(after.roles.map((r: { role_id: string }) => r.role_id), ['stytch_member']);
  // The source connection still signs its own people in.
  assert.equal((await authenticate(project, await signInThrough(project, saml, saml.connection_id, ANN))).member.member_id, atSource.member.member_id);
});

test('member sessions need stytch.sso create in the target organization, and its role rules cannot escalate', async () => {
  const { project, client, source, target, saml } = await setUp();
  const reader = await project.createMember(target, { email_address: 'reader@sub.example', roles: ['sso-reader'] });
  const creator = await project.createMember(target, { email_address: 'creator@sub.example', roles: ['sso-creator'] });
  const sourceAdmin = await project.createMember(source, { email_address: 'admin@parent.example', roles: ['stytch_admin'] });
  const readerSession = await project.startMemberSession(target, reader.member_id);
  const creatorSession = await project.startMemberSession(target, creator.member_id);
  const sourceAdminSession = await project.startMemberSession(source, sourceAdmin.member_id);
  const request = { organization_id: target, external_organization_id: source, external_connection_id: saml.connection_id };

  await expectStytchError(client.sso.external.createConnection(request, { authorization: { session_token: readerSession.session_token } }), 'session_authorization_error', 403);
  // An administrator of the source organization is no one in the target.
  await expectStytchError(client.sso.external.createConnection(request, { authorization: { session_token: sourceAdminSession.session_token } }), 'session_authorization_tenancy_error', 403);
  // A rule handing out a role the creator could not grant is refused, and nothing is created.
  await assert.rejects(client.sso.external.createConnection({ ...request, connection_implicit_role_assignments: [{ role_id: 'engineer' }] }, { authorization: { session_token: creatorSession.session_token } }),
    (error: { status_code?: number }) => error.status_code === 403);
  assert.deepEqual((await client.sso.getConnections({ organization_id: target })).external_connections, []);

  const created = (await client.sso.external.createConnection(request, { authorization: { session_token: creatorSession.session_token } })).connection!;
  assert.equal(created.organization_id, target);
  // Updating needs stytch.sso update, which the creator lacks.
  await expectStytchError(client.sso.external.updateConnection({ organization_id: target, connection_id: created.connection_id, display_name: 'x' },
    { authorization: { session_token: creatorSession.session_token } }), 'session_authorization_error', 403);

  // Deleting the source connection deletes the external connection too, and the target organization no longer names it.
  expectOk(await project.api('PUT', `/v1/b2b/organizations/${target}`, { sso_default_connection_id: created.connection_id }));
  await client.sso.deleteConnection({ organization_id: source, connection_id: saml.connection_id });
  assert.deepEqual((await client.sso.getConnections({ organization_id: target })).external_connections, []);
  assert.equal((await project.getOrganization(target)).sso_default_connection_id, null);
});

test('through an OIDC source: the provider\'s callback lands the person in the external connection\'s organization', async () => {
  const project = await B2BProject.create(server, POLICY);
  const client = b2bClient(server, project.credentials);
  const source = (await project.createOrganization({ organization_name: 'Parent' })).organization_id as string;
  const target = (await project.createOrganization({ organization_name: 'Subsidiary' })).organization_id as string;
  const provider = await startOidcProvider({ redirectUris: [`${server.config.publicUrl}/v1/b2b/sso/oidc/callback`] });
  try {
    const oidc = await createOidcConnection((method, path, body) => project.api(method, path, body), source, provider, {
      oidc_connection_implicit_role_assignments: [{ role_id: 'sso-user' }],
    });
    const external = (await client.sso.external.createConnection({
      organization_id: target, external_organization_id: source, external_connection_id: oidc.connection_id,
      connection_implicit_role_assignments: [{ role_id: 'contractor' }],
    })).connection!;
    provider.setUser({ sub: 'oidc-user-1', email: 'gus@parent.example', email_verified: true, name: 'Gus', groups: [] });
    const signedIn = await authenticate(project, await oidcCallback(server, provider, project.credentials, external.connection_id));
    assert.equal(signedIn.member.organization_id, target);
    assert.deepEqual(signedIn.member_session.roles, ['stytch_member', 'contractor']);
    assert.equal(signedIn.member_session.authentication_factors[0].oidc_sso_factor.provider_id, external.connection_id);
    // Nobody was created in the source organization.
    const sourceMembers = await client.organizations.members.search({ organization_ids: [source] });
    assert.deepEqual(sourceMembers.members, []);
  } finally {
    await provider.stop();
  }
});
