// SSO sign-ins over real HTTP against real peers on loopback: a SAML IdP signing its responses
// with a generated certificate, and an OpenID provider (oidc-provider). Connection and group roles
// are recomputed at each sign-in, count in authorization checks only in SSO sessions, and refusals
// leave no member or session behind.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ProjectCredentials } from '../projects/service.ts';
import { expectError, type TestServer, startTestServer } from '../testing/harness.ts';
import { B2BProject, expectOk } from '../testing/b2b.ts';
import { createSamlIdp, readAuthnRequest, TEST_IDP_ATTRIBUTE_MAPPING, type SamlTestIdp, type SamlTestUser } from '../testing/saml-idp.ts';
import { startOidcProvider, type TestOidcProvider } from '../testing/oidc-provider.ts';

const APP = 'http://app.example/sso/callback';
const POLICY = {
  resources: [{ resource_id: 'repos', description: 'Code', actions: ['read', 'push'] }],
  roles: [
    { role_id: 'stytch_member', description: '', permissions: [{ resource_id: 'stytch.self', actions: ['*'] }] },
    { role_id: 'stytch_admin', description: '', permissions: [{ resource_id: 'stytch.member', actions: ['*'] }] },
    { role_id: 'sso-user', description: 'Everyone from the IdP', permissions: [{ resource_id: 'repos', actions: ['read'] }] },
    { role_id: 'engineer', description: 'The eng group', permissions: [{ resource_id: 'repos', actions: ['push'] }] },
  ],
  scopes: [],
};

let server: TestServer;
let idp: SamlTestIdp;

before(async () => {
  server = await startTestServer();
  idp = await createSamlIdp();
});
after(() => server?.close());

async function setUp() {
  const project = await server.createProject();
  expectOk(await server.api(project, 'PUT', '/v1/b2b/rbac/policy', { policy: POLICY }));
  const { organization } = expectOk(await server.api(project, 'POST', '/v1/b2b/organizations', { organization_name: `Acme ${Math.random()}` }));
  return { project, organizationId: organization.organization_id as string };
}

async function samlConnection(project: ProjectCredentials, organizationId: string) {
  const created = expectOk(await server.api(project, 'POST', `/v1/b2b/sso/saml/${organizationId}`, { display_name: 'Okta' })).connection;
  assert.equal(created.status, 'pending');
  const updated = expectOk(
    await server.api(project, 'PUT', `/v1/b2b/sso/saml/${organizationId}/connections/${created.connection_id}`, {
      idp_entity_id: idp.entityId,
      idp_sso_url: idp.ssoUrl,
      x509_certificate: idp.certificate,
      attribute_mapping: TEST_IDP_ATTRIBUTE_MAPPING,
      saml_connection_implicit_role_assignments: [{ role_id: 'sso-user' }],
      saml_group_implicit_role_assignments: [{ role_id: 'engineer', group: 'eng' }],
    }),
  ).connection;
  assert.equal(updated.status, 'active');
  return updated as { connection_id: string; acs_url: string; audience_uri: string };
}

/** Starts a sign-in like a browser: the redirect to the IdP, read as the IdP reads it. */
async function startSaml(project: ProjectCredentials, connectionId: string) {
  const response = await fetch(
    `${server.baseUrl}/v1/public/sso/start?${new URLSearchParams({ connection_id: connectionId, public_token: project.public_token, login_redirect_url: APP, signup_redirect_url: APP })}`,
    { redirect: 'manual' },
  );
  assert.equal(response.status, 302, await response.text());
  const location = response.headers.get('location')!;
  assert.ok(location.startsWith(idp.ssoUrl));
  return readAuthnRequest(location);
}

async function postAcs(connectionId: string, samlResponse: string, relayState: string) {
  const response = await fetch(`${server.baseUrl}/v1/b2b/sso/saml/acs/${connectionId}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ SAMLResponse: samlResponse, RelayState: relayState }).toString(),
  });
  const text = await response.text();
  return { status: response.status, location: response.headers.get('location'), body: text ? JSON.parse(text) : null };
}

async function samlSignIn(project: ProjectCredentials, connection: { connection_id: string; acs_url: string; audience_uri: string }, user: SamlTestUser) {
  const request = await startSaml(project, connection.connection_id);
  const samlResponse = idp.response({ acsUrl: connection.acs_url, audience: connection.audience_uri, requestId: request.id, user });
  const acs = await postAcs(connection.connection_id, samlResponse, request.relayState!);
  assert.equal(acs.status, 302, JSON.stringify(acs.body));
  const back = new URL(acs.location!);
  assert.equal(`${back.origin}${back.pathname}`, APP);
  assert.equal(back.searchParams.get('stytch_token_type'), 'sso');
  return expectOk(await server.api(project, 'POST', '/v1/b2b/sso/authenticate', { sso_token: back.searchParams.get('token'), session_duration_minutes: 60 }));
}

async function memberCount(project: ProjectCredentials, organizationId: string): Promise<number> {
  return expectOk(await server.api(project, 'POST', '/v1/b2b/organizations/members/search', { organization_ids: [organizationId] })).results_metadata.total;
}

const check = (organizationId: string, action: string) => ({ organization_id: organizationId, resource_id: 'repos', action });

describe('SAML', () => {
  test('a sign-in creates the member just in time with connection and group roles; a group change shows at the next sign-in', async () => {
    const { project, organizationId } = await setUp();
    const connection = await samlConnection(project, organizationId);

    const first = await samlSignIn(project, connection, { nameId: 'ann@acme.example', email: 'ann@acme.example', groups: ['eng', 'other'] });
    assert.equal(first.member.email_address, 'ann@acme.example');
    assert.equal(first.member.status, 'active');
    assert.deepEqual(first.member_session.roles, ['stytch_member', 'sso-user', 'engineer']);
    assert.deepEqual(first.member.roles.slice(1), [
      { role_id: 'sso-user', sources: [{ type: 'sso_connection', details: { connection_id: connection.connection_id } }] },
      { role_id: 'engineer', sources: [{ type: 'sso_connection_group', details: { connection_id: connection.connection_id, group: 'eng' } }] },
    ]);
    assert.equal(first.member_session.authentication_factors[0].type, 'sso');
    assert.equal(first.member_session.authentication_factors[0].saml_sso_factor.provider_id, connection.connection_id);
    expectOk(await server.api(project, 'POST', '/v1/b2b/sessions/authenticate', { session_token: first.session_token, authorization_check: check(organizationId, 'push') }));

    // Removed from the group at the IdP: the next sign-in drops the role, the same member.
    const second = await samlSignIn(project, connection, { nameId: 'ann@acme.example', email: 'ann@acme.example', groups: ['other'] });
    assert.equal(second.member_id, first.member_id);
    assert.deepEqual(second.member_session.roles, ['stytch_member', 'sso-user']);
    expectError(
      await server.api(project, 'POST', '/v1/b2b/sessions/authenticate', { session_token: second.session_token, authorization_check: check(organizationId, 'push') }),
      403,
      'session_authorization_error',
    );
    // Search by role sees SSO roles too.
    const holders = expectOk(await server.api(project, 'POST', '/v1/b2b/organizations/members/search', {
      organization_ids: [organizationId],
      query: { operator: 'AND', operands: [{ filter_name: 'member_roles', filter_value: ['sso-user'] }] },
    }));
    assert.deepEqual(holders.members.map((m: { member_id: string }) => m.member_id), [first.member_id]);
  });

  test('roles from a connection count only in sessions with a factor from it: a password session does not get them', async () => {
    const { project, organizationId } = await setUp();
    const connection = await samlConnection(project, organizationId);
    const sso = await samlSignIn(project, connection, { nameId: 'bo@acme.example', email: 'bo@acme.example', groups: ['eng'] });
    // The same member, signed in with a password.
    const bcrypt = (await import('bcryptjs')).default;
    expectOk(await server.api(project, 'POST', '/v1/b2b/passwords/migrate', {
      organization_id: organizationId, email_address: 'bo@acme.example', hash: bcrypt.hashSync('a long enough passphrase 7', 4), hash_type: 'bcrypt',
    }));
    const password = expectOk(await server.api(project, 'POST', '/v1/b2b/passwords/authenticate', {
      organization_id: organizationId, email_address: 'bo@acme.example', password: 'a long enough passphrase 7', session_duration_minutes: 60,
    }));
    assert.equal(password.member_id, sso.member_id);
    assert.deepEqual(password.member_session.roles, ['stytch_member']);
    // member.roles still lists them, with their sources.
    assert.deepEqual(password.member.roles.map((r: { role_id: string }) => r.role_id), ['stytch_member', 'sso-user', 'engineer']);
    expectError(
      await server.api(project, 'POST', '/v1/b2b/sessions/authenticate', { session_token: password.session_token, authorization_check: check(organizationId, 'read') }),
      403,
      'session_authorization_error',
    );
    expectOk(await server.api(project, 'POST', '/v1/b2b/sessions/authenticate', { session_token: sso.session_token, authorization_check: check(organizationId, 'read') }));
  });

  test('refusals leave no member and no session: bad signature, replayed assertion, used flow, JIT not allowed', async () => {
    const { project, organizationId } = await setUp();
    const connection = await samlConnection(project, organizationId);
    const user = { nameId: 'cy@acme.example', email: 'cy@acme.example', groups: [] };

    const other = await createSamlIdp();
    let request = await startSaml(project, connection.connection_id);
    const forged = other.response({ acsUrl: connection.acs_url, audience: connection.audience_uri, requestId: request.id, user });
    const refused = await postAcs(connection.connection_id, forged, request.relayState!);
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error_type, 'saml_signature_invalid');
    // The flow is spent even by a refused answer.
    const genuine = idp.response({ acsUrl: connection.acs_url, audience: connection.audience_uri, requestId: request.id, user });
    assert.equal((await postAcs(connection.connection_id, genuine, request.relayState!)).body.error_type, 'saml_in_response_to_mismatch');
    assert.equal(await memberCount(project, organizationId), 0);

    // A genuine assertion works once; the same assertion id in an answer to a new request is refused.
    request = await startSaml(project, connection.connection_id);
    const once = idp.response({ acsUrl: connection.acs_url, audience: connection.audience_uri, requestId: request.id, user, assertionId: '_fixed-assertion-id' });
    assert.equal((await postAcs(connection.connection_id, once, request.relayState!)).status, 302);
    request = await startSaml(project, connection.connection_id);
    const replay = idp.response({ acsUrl: connection.acs_url, audience: connection.audience_uri, requestId: request.id, user, assertionId: '_fixed-assertion-id' });
    const replayed = await postAcs(connection.connection_id, replay, request.relayState!);
    assert.equal(replayed.status, 400);
    assert.equal(replayed.body.error_type, 'saml_assertion_replayed');
    assert.equal(await memberCount(project, organizationId), 1);

    // No just-in-time members: a new person is refused, nothing written.
    expectOk(await server.api(project, 'PUT', `/v1/b2b/organizations/${organizationId}`, { sso_jit_provisioning: 'NOT_ALLOWED' }));
    request = await startSaml(project, connection.connection_id);
    const stranger = idp.response({ acsUrl: connection.acs_url, audience: connection.audience_uri, requestId: request.id, user: { nameId: 'dee@acme.example', email: 'dee@acme.example' } });
    const jit = await postAcs(connection.connection_id, stranger, request.relayState!);
    assert.equal(jit.status, 403);
    assert.equal(jit.body.error_type, 'sso_jit_provisioning_not_allowed');
    assert.equal(await memberCount(project, organizationId), 1);

    // Only through listed connections, or for the organization's allowed email domains.
    expectOk(await server.api(project, 'PUT', `/v1/b2b/organizations/${organizationId}`, {
      sso_jit_provisioning: 'RESTRICTED', sso_jit_provisioning_allowed_connections: [], email_jit_provisioning: 'RESTRICTED', email_allowed_domains: ['partner.example'],
    }));
    request = await startSaml(project, connection.connection_id);
    const partner = idp.response({ acsUrl: connection.acs_url, audience: connection.audience_uri, requestId: request.id, user: { nameId: 'pat@partner.example', email: 'pat@partner.example' } });
    assert.equal((await postAcs(connection.connection_id, partner, request.relayState!)).status, 302);
    expectOk(await server.api(project, 'PUT', `/v1/b2b/organizations/${organizationId}`, { email_jit_provisioning: 'NOT_ALLOWED', sso_jit_provisioning_allowed_connections: [connection.connection_id] }));
    request = await startSaml(project, connection.connection_id);
    const listed = idp.response({ acsUrl: connection.acs_url, audience: connection.audience_uri, requestId: request.id, user: { nameId: 'dee@acme.example', email: 'dee@acme.example' } });
    assert.equal((await postAcs(connection.connection_id, listed, request.relayState!)).status, 302);
    assert.equal(await memberCount(project, organizationId), 3);
  });

  test('managing connections with a member session needs stytch.sso actions, in the member\'s organization', async () => {
    const { project, organizationId } = await setUp();
    const b2b = new B2BProject(server, project);
    const plainMember = expectOk(await server.api(project, 'POST', `/v1/b2b/organizations/${organizationId}/members`, { email_address: 'plain@acme.example' }));
    const adminMember = expectOk(await server.api(project, 'POST', `/v1/b2b/organizations/${organizationId}/members`, { email_address: 'boss@acme.example', roles: ['stytch_admin'] }));
    expectOk(await server.api(project, 'PUT', '/v1/b2b/rbac/policy', {
      policy: { ...POLICY, roles: POLICY.roles.map((r) => (r.role_id === 'stytch_admin' ? { ...r, permissions: [...r.permissions, { resource_id: 'stytch.sso', actions: ['*'] }] } : r)) },
    }));
    const plain = await b2b.startMemberSession(organizationId, plainMember.member_id);
    const admin = await b2b.startMemberSession(organizationId, adminMember.member_id);
    expectError(await b2b.apiAs(plain, 'POST', `/v1/b2b/sso/saml/${organizationId}`, {}), 403, 'session_authorization_error');
    expectError(await b2b.apiAs(plain, 'GET', `/v1/b2b/sso/${organizationId}`), 403, 'session_authorization_error');
    const created = expectOk(await b2b.apiAs(admin, 'POST', `/v1/b2b/sso/saml/${organizationId}`, {})).connection;
    // The admin may not hand out a role it does not hold all of (engineer pushes to repos).
    expectError(
      await b2b.apiAs(admin, 'PUT', `/v1/b2b/sso/saml/${organizationId}/connections/${created.connection_id}`, { saml_connection_implicit_role_assignments: [{ role_id: 'engineer' }] }),
      403,
      'session_authorization_error',
    );
    const listed = expectOk(await server.api(project, 'GET', `/v1/b2b/sso/${organizationId}`));
    assert.deepEqual(listed.saml_connections[0].saml_connection_implicit_role_assignments, []);
  });

  test('the one-time token works once, and a start for another project\'s public token is refused', async () => {
    const { project, organizationId } = await setUp();
    const connection = await samlConnection(project, organizationId);
    const request = await startSaml(project, connection.connection_id);
    const acs = await postAcs(connection.connection_id, idp.response({ acsUrl: connection.acs_url, audience: connection.audience_uri, requestId: request.id, user: { nameId: 'ed@acme.example', email: 'ed@acme.example' } }), request.relayState!);
    const token = new URL(acs.location!).searchParams.get('token');
    expectOk(await server.api(project, 'POST', '/v1/b2b/sso/authenticate', { sso_token: token }));
    expectError(await server.api(project, 'POST', '/v1/b2b/sso/authenticate', { sso_token: token }), 404, 'sso_token_not_found');

    const stranger = await server.createProject();
    const response = await fetch(
      `${server.baseUrl}/v1/public/sso/start?${new URLSearchParams({ connection_id: connection.connection_id, public_token: stranger.public_token, login_redirect_url: APP })}`,
      { redirect: 'manual' },
    );
    assert.equal(response.status, 404);
  });

  test('connections: list, SP metadata, update by IdP metadata XML, delete takes the roles away', async () => {
    const { project, organizationId } = await setUp();
    const created = expectOk(await server.api(project, 'POST', `/v1/b2b/sso/saml/${organizationId}`, {})).connection;
    const byMetadata = expectOk(await server.api(project, 'PUT', `/v1/b2b/sso/saml/${organizationId}/connections/${created.connection_id}/url`, { metadata_xml: idp.metadata() })).connection;
    assert.equal(byMetadata.idp_entity_id, idp.entityId);
    assert.equal(byMetadata.idp_sso_url, idp.ssoUrl);
    assert.equal(byMetadata.verification_certificates.length, 1);
    assert.equal(byMetadata.status, 'active');

    const metadata = await fetch(`${server.baseUrl}/v1/b2b/sso/saml/metadata/${created.connection_id}`);
    const xml = await metadata.text();
    assert.ok(xml.includes(byMetadata.acs_url) && xml.includes(byMetadata.audience_uri));

    const listed = expectOk(await server.api(project, 'GET', `/v1/b2b/sso/${organizationId}`));
    assert.deepEqual(listed.saml_connections.map((c: { connection_id: string }) => c.connection_id), [created.connection_id]);
    const organization = expectOk(await server.api(project, 'GET', `/v1/b2b/organizations/${organizationId}`)).organization;
    assert.deepEqual(organization.sso_active_connections.map((c: { connection_id: string }) => c.connection_id), [created.connection_id]);

    const connection = await samlConnection(project, organizationId);
    const signedIn = await samlSignIn(project, connection, { nameId: 'fay@acme.example', email: 'fay@acme.example', groups: ['eng'] });
    expectOk(await server.api(project, 'DELETE', `/v1/b2b/sso/${organizationId}/connections/${connection.connection_id}`));
    const after = expectOk(await server.api(project, 'POST', '/v1/b2b/sessions/authenticate', { session_token: signedIn.session_token }));
    assert.deepEqual(after.member_session.roles, ['stytch_member']);
  });

  test('role rules must name roles the policy defines', async () => {
    const { project, organizationId } = await setUp();
    const created = expectOk(await server.api(project, 'POST', `/v1/b2b/sso/saml/${organizationId}`, {})).connection;
    expectError(
      await server.api(project, 'PUT', `/v1/b2b/sso/saml/${organizationId}/connections/${created.connection_id}`, { saml_group_implicit_role_assignments: [{ role_id: 'ghost', group: 'g' }] }),
      400,
      'invalid_rbac_role_id',
    );
    expectError(
      await server.api(project, 'PUT', `/v1/b2b/sso/saml/${organizationId}/connections/${created.connection_id}`, { x509_certificate: 'not a certificate' }),
      400,
      'saml_certificate_invalid',
    );
  });
});

describe('OIDC', () => {
  let provider: TestOidcProvider;

  before(async () => {
    provider = await startOidcProvider({ redirectUris: [`${server.config.publicUrl}/v1/b2b/sso/oidc/callback`] });
  });
  after(() => provider?.stop());

  async function oidcConnection(project: ProjectCredentials, organizationId: string) {
    const created = expectOk(await server.api(project, 'POST', `/v1/b2b/sso/oidc/${organizationId}`, { display_name: 'Entra' })).connection;
    const updated = expectOk(
      await server.api(project, 'PUT', `/v1/b2b/sso/oidc/${organizationId}/connections/${created.connection_id}`, {
        issuer: provider.issuer,
        client_id: provider.clientId,
        client_secret: provider.clientSecret,
        // Like Okta: the groups claim comes with the `groups` scope.
        custom_scopes: 'groups',
        oidc_connection_implicit_role_assignments: [{ role_id: 'sso-user' }],
        oidc_group_implicit_role_assignments: [{ role_id: 'engineer', group: 'eng' }],
      }),
    ).connection;
    assert.equal(updated.status, 'active');
    assert.equal(updated.authorization_url.startsWith(provider.issuer), true);
    assert.ok(!updated.client_secret.includes(provider.clientSecret));
    return updated as { connection_id: string };
  }

  async function oidcSignIn(project: ProjectCredentials, connectionId: string) {
    const start = await fetch(
      `${server.baseUrl}/v1/public/sso/start?${new URLSearchParams({ connection_id: connectionId, public_token: project.public_token, login_redirect_url: APP, signup_redirect_url: APP })}`,
      { redirect: 'manual' },
    );
    assert.equal(start.status, 302, await start.text());
    const callback = await provider.signIn(start.headers.get('location')!);
    const finished = await fetch(`${server.baseUrl}${callback.pathname}${callback.search}`, { redirect: 'manual' });
    const text = await finished.text();
    return { status: finished.status, location: finished.headers.get('location'), body: text ? JSON.parse(text) : null };
  }

  test('a sign-in through the OpenID provider, groups re-read at the next sign-in', async () => {
    const { project, organizationId } = await setUp();
    const connection = await oidcConnection(project, organizationId);
    provider.setUser({ sub: 'oidc-user-1', email: 'gus@acme.example', email_verified: true, name: 'Gus', groups: ['eng'] });
    let finished = await oidcSignIn(project, connection.connection_id);
    assert.equal(finished.status, 302, JSON.stringify(finished.body));
    let token = new URL(finished.location!).searchParams.get('token');
    const first = expectOk(await server.api(project, 'POST', '/v1/b2b/sso/authenticate', { sso_token: token, session_duration_minutes: 30 }));
    assert.deepEqual(first.member_session.roles, ['stytch_member', 'sso-user', 'engineer']);
    assert.equal(first.member_session.authentication_factors[0].oidc_sso_factor.provider_id, connection.connection_id);

    provider.setUser({ sub: 'oidc-user-1', email: 'gus@acme.example', email_verified: true, name: 'Gus', groups: [] });
    finished = await oidcSignIn(project, connection.connection_id);
    token = new URL(finished.location!).searchParams.get('token');
    const second = expectOk(await server.api(project, 'POST', '/v1/b2b/sso/authenticate', { sso_token: token }));
    assert.equal(second.member_id, first.member_id);
    assert.deepEqual(second.member_session.roles, ['stytch_member', 'sso-user']);
  });

  test('a callback replayed or refused at the provider leaves nothing behind', async () => {
    const { project, organizationId } = await setUp();
    const connection = await oidcConnection(project, organizationId);
    provider.setUser({ sub: 'oidc-user-2', email: 'hal@acme.example', groups: [] });
    const start = await fetch(
      `${server.baseUrl}/v1/public/sso/start?${new URLSearchParams({ connection_id: connection.connection_id, public_token: project.public_token, login_redirect_url: APP })}`,
      { redirect: 'manual' },
    );
    const denied = await provider.signIn(start.headers.get('location')!, { deny: true });
    const refused = await fetch(`${server.baseUrl}${denied.pathname}${denied.search}`, { redirect: 'manual' });
    assert.equal(refused.status, 400);
    assert.equal(((await refused.json()) as { error_type: string }).error_type, 'oidc_provider_error');
    assert.equal(await memberCount(project, organizationId), 0);

    const ok = await oidcSignIn(project, connection.connection_id);
    assert.equal(ok.status, 302);
    assert.equal(await memberCount(project, organizationId), 1);
  });
});
