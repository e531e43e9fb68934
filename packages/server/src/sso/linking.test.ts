// SSO never takes over an existing member by email alone (issue 14, finding 3), over real HTTP with a
// real SAML IdP and a real OpenID provider on loopback. A member holding stytch.sso sets up a
// connection trusting its own IdP and asserts a colleague's address: refused. The address links only
// when the connection provisioned the member, the organization verified the domain for the
// connection (project secret only), or an allowed caller linked the member (audited); an email the
// OpenID provider does not say is verified never links.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ProjectCredentials } from '../projects/service.ts';
import { B2BProject, expectOk } from '../testing/b2b.ts';
import { expectError, startTestServer, type TestServer } from '../testing/harness.ts';
import { startOidcProvider, type TestOidcProvider } from '../testing/oidc-provider.ts';
import { createSamlIdp, type SamlTestIdp } from '../testing/saml-idp.ts';
import { createOidcConnection, createSamlConnection, oidcCallback, samlAcs, ssoTokenOf, type ApiCall } from '../testing/sso.ts';

const POLICY = {
  resources: [{ resource_id: 'billing', description: 'Money', actions: ['pay'] }],
  roles: [
    { role_id: 'stytch_member', description: '', permissions: [{ resource_id: 'stytch.self', actions: ['*'] }] },
    { role_id: 'stytch_admin', description: '', permissions: [{ resource_id: 'stytch.member', actions: ['*'] }, { resource_id: 'billing', actions: ['pay'] }] },
    { role_id: 'sso-admin', description: 'Sets up SSO', permissions: [{ resource_id: 'stytch.sso', actions: ['*'] }] },
  ],
  scopes: [],
};

let server: TestServer;
let idp: SamlTestIdp;
let provider: TestOidcProvider;

before(async () => {
  // The OpenID provider is on loopback: the development setting lets discovery and the token exchange reach it.
  server = await startTestServer({ env: { GATEHOUSE_OUTBOUND_ALLOW_PRIVATE: 'true' } });
  idp = await createSamlIdp();
  provider = await startOidcProvider({ redirectUris: [`${server.config.publicUrl}/v1/b2b/sso/oidc/callback`] });
});
after(async () => {
  await provider?.stop();
  await server?.close();
});

async function setUp() {
  const project = await server.createProject();
  expectOk(await server.api(project, 'PUT', '/v1/b2b/rbac/policy', { policy: POLICY }));
  const { organization } = expectOk(await server.api(project, 'POST', '/v1/b2b/organizations', { organization_name: `Acme ${Math.random()}` }));
  const organizationId = organization.organization_id as string;
  const addMember = async (email: string, roles: string[] = []) =>
    expectOk(await server.api(project, 'POST', `/v1/b2b/organizations/${organizationId}/members`, { email_address: email, roles })).member;
  const secret: ApiCall = (method, path, body) => server.api(project, method, path, body);
  return { project, organizationId, addMember, secret, b2b: new B2BProject(server, project) };
}

async function authenticate(project: ProjectCredentials, token: string) {
  return expectOk(await server.api(project, 'POST', '/v1/b2b/sso/authenticate', { sso_token: token, session_duration_minutes: 60 }));
}

async function registrations(project: ProjectCredentials, organizationId: string, memberId: string) {
  return expectOk(await server.api(project, 'GET', `/v1/b2b/organizations/${organizationId}/member?member_id=${memberId}`)).member.sso_registrations;
}

describe('SAML', () => {
  test("finding 3: a member holding stytch.sso sets up a connection to its own IdP and asserts a colleague's address: refused, nothing written", async () => {
    const { project, organizationId, addMember, b2b } = await setUp();
    const alice = await addMember('alice@acme.example', ['stytch_admin']);
    const mallory = await addMember('mallory@acme.example', ['sso-admin']);
    const session = await b2b.startMemberSession(organizationId, mallory.member_id);
    const asMallory: ApiCall = (method, path, body) => b2b.apiAs(session, method, path, body);
    const malloryIdp = await createSamlIdp();
    const connection = await createSamlConnection(asMallory, organizationId, malloryIdp);

    const refused = await samlAcs(server, malloryIdp, project, connection, { nameId: 'alice', email: 'alice@acme.example' });
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    assert.equal(refused.body.error_type, 'sso_member_link_not_allowed');
    assert.deepEqual(await registrations(project, organizationId, alice.member_id), []);

    // Nor may Mallory vouch for the domain, or link Alice (whose roles Mallory could not grant).
    expectError(
      await asMallory('PUT', `/v1/b2b/sso/saml/${organizationId}/connections/${connection.connection_id}`, { verified_email_domains: ['acme.example'] }),
      403,
      'session_authorization_error',
    );
    expectError(await asMallory('PUT', `/v1/b2b/sso/${organizationId}/connections/${connection.connection_id}/members/${alice.member_id}`), 403, 'session_authorization_error');
    const again = await samlAcs(server, malloryIdp, project, connection, { nameId: 'alice', email: 'alice@acme.example' });
    assert.equal(again.body.error_type, 'sso_member_link_not_allowed');
  });

  test("attack review: stytch.sso update cannot swap the IdP of a connection that signs members in (its certificate, endpoints, metadata); the secret can", async () => {
    const { project, organizationId, addMember, secret, b2b } = await setUp();
    const alice = await addMember('alice@acme.example', ['stytch_admin']);
    const mallory = await addMember('mallory@acme.example', ['sso-admin']);
    const connection = await createSamlConnection(secret, organizationId, idp);
    const path = `/v1/b2b/sso/saml/${organizationId}/connections/${connection.connection_id}`;
    expectOk(await secret('PUT', path, { verified_email_domains: ['acme.example'] }));
    const session = await b2b.startMemberSession(organizationId, mallory.member_id);
    const asMallory = (method: string, body: unknown) => b2b.apiAs(session, method, path, body);
    const malloryIdp = await createSamlIdp();

    expectError(await asMallory('PUT', { x509_certificate: malloryIdp.certificate }), 403, 'session_authorization_error');
    expectError(await asMallory('PUT', { idp_sso_url: 'https://idp.mallory.example/sso' }), 403, 'session_authorization_error');
    expectError(await asMallory('PUT', { attribute_mapping: { email: 'other', full_name: 'name' } }), 403, 'session_authorization_error');
    expectError(await b2b.apiAs(session, 'PUT', `${path}/url`, { metadata_xml: malloryIdp.metadata() }), 403, 'session_authorization_error');
    // Mallory's IdP still cannot sign in as Alice; a setting that leaves the IdP as it is may change.
    const forged = await samlAcs(server, malloryIdp, project, connection, { nameId: 'alice', email: 'alice@acme.example' });
    assert.equal(forged.status, 400, JSON.stringify(forged.body));
    assert.match(forged.body.error_type, /^saml_/, 'refused as a response the connection does not trust');
    expectOk(await asMallory('PUT', { display_name: 'Okta (acme)' }));
    // The project secret may rotate the IdP's certificate.
    expectOk(await secret('PUT', path, { x509_certificate: malloryIdp.certificate }));
    assert.ok(alice.member_id);
  });

  test("attack review: a new member from a member's own IdP gets no role from an email-domain rule (its address is not verified)", async () => {
    const { project, organizationId, addMember, secret, b2b } = await setUp();
    expectOk(await secret('PUT', `/v1/b2b/organizations/${organizationId}`, { rbac_email_implicit_role_assignments: [{ domain: 'acme.example', role_id: 'stytch_admin' }] }));
    const mallory = await addMember('mallory@acme.example', ['sso-admin']);
    const session = await b2b.startMemberSession(organizationId, mallory.member_id);
    const malloryIdp = await createSamlIdp();
    const connection = await createSamlConnection((method, path, body) => b2b.apiAs(session, method, path, body), organizationId, malloryIdp);
    const ghost = await authenticate(project, ssoTokenOf(await samlAcs(server, malloryIdp, project, connection, { nameId: 'ghost', email: 'ghost@acme.example' })));
    assert.equal(ghost.member.email_address_verified, false);
    assert.deepEqual(ghost.member_session.roles, ['stytch_member']);
    assert.equal(ghost.member.is_admin, false);
  });

  test('a domain the organization verified for the connection (project secret) links the existing member, and marks the address verified', async () => {
    const { project, organizationId, addMember, secret } = await setUp();
    const bea = await addMember('bea@acme.example', ['stytch_admin']);
    const connection = await createSamlConnection(secret, organizationId, idp);
    assert.equal((await samlAcs(server, idp, project, connection, { nameId: 'bea', email: 'bea@acme.example' })).body.error_type, 'sso_member_link_not_allowed');

    const updated = expectOk(await secret('PUT', `/v1/b2b/sso/saml/${organizationId}/connections/${connection.connection_id}`, { verified_email_domains: ['ACME.example'] }));
    assert.deepEqual(updated.connection.verified_email_domains, ['acme.example']);
    const signedIn = await authenticate(project, ssoTokenOf(await samlAcs(server, idp, project, connection, { nameId: 'bea', email: 'bea@acme.example' })));
    assert.equal(signedIn.member_id, bea.member_id);
    assert.deepEqual(signedIn.member_session.roles, ['stytch_member', 'stytch_admin']);

    // Another domain is not covered; a public mailbox domain cannot be verified at all.
    await addMember('cat@partner.example');
    assert.equal((await samlAcs(server, idp, project, connection, { nameId: 'cat', email: 'cat@partner.example' })).body.error_type, 'sso_member_link_not_allowed');
    expectError(await secret('PUT', `/v1/b2b/sso/saml/${organizationId}/connections/${connection.connection_id}`, { verified_email_domains: ['gmail.com'] }), 400, 'invalid_email_domain');
  });

  test('an explicit link (project secret) lets the connection sign the member in; it is audited; unlinking ends it', async () => {
    const { project, organizationId, addMember, secret } = await setUp();
    const dan = await addMember('dan@acme.example');
    const connection = await createSamlConnection(secret, organizationId, idp);
    const linkPath = `/v1/b2b/sso/${organizationId}/connections/${connection.connection_id}/members/${dan.member_id}`;
    expectOk(await secret('PUT', linkPath));
    const signedIn = await authenticate(project, ssoTokenOf(await samlAcs(server, idp, project, connection, { nameId: 'dan-at-idp', email: 'dan@acme.example' })));
    assert.equal(signedIn.member_id, dan.member_id);

    const events = expectOk(await secret('GET', `/v1/audit_events?action=member.sso_link.*`)).audit_events;
    assert.equal(events.length, 1);
    assert.equal(events[0].action, 'member.sso_link.created');
    assert.equal(events[0].actor.type, 'project_secret');
    assert.equal(events[0].target_id, dan.member_id);
    assert.deepEqual(events[0].after, { connection_id: connection.connection_id, reason: 'linked' });

    // Unlinked: the registration goes too, and the next sign-in is judged like a first one.
    expectOk(await secret('DELETE', linkPath));
    assert.deepEqual(await registrations(project, organizationId, dan.member_id), []);
    assert.equal((await samlAcs(server, idp, project, connection, { nameId: 'dan-at-idp', email: 'dan@acme.example' })).body.error_type, 'sso_member_link_not_allowed');
    expectError(await secret('DELETE', linkPath), 404, 'sso_member_link_not_found');
    const after = expectOk(await secret('GET', `/v1/audit_events?action=member.sso_link.*`)).audit_events;
    assert.deepEqual(after.map((event: { action: string }) => event.action).sort(), ['member.sso_link.created', 'member.sso_link.deleted']);
  });

  test('a member session may link a member whose roles it could grant (stytch.sso update), not one with more', async () => {
    const { organizationId, addMember, b2b, secret } = await setUp();
    const ssoAdmin = await addMember('sam@acme.example', ['sso-admin']);
    const plain = await addMember('pam@acme.example');
    const boss = await addMember('bob@acme.example', ['stytch_admin']);
    const connection = await createSamlConnection(secret, organizationId, idp);
    const session = await b2b.startMemberSession(organizationId, ssoAdmin.member_id);
    const path = (memberId: string) => `/v1/b2b/sso/${organizationId}/connections/${connection.connection_id}/members/${memberId}`;
    expectOk(await b2b.apiAs(session, 'PUT', path(plain.member_id)));
    expectError(await b2b.apiAs(session, 'PUT', path(boss.member_id)), 403, 'session_authorization_error');
    const plainSession = await b2b.startMemberSession(organizationId, plain.member_id);
    expectError(await b2b.apiAs(plainSession, 'PUT', path(plain.member_id)), 403, 'session_authorization_error');
    const events = expectOk(await secret('GET', `/v1/audit_events?action=member.sso_link.*`)).audit_events;
    assert.equal(events.length, 1);
    assert.equal(events[0].actor.type, 'member_session');
    assert.equal(events[0].actor.id, ssoAdmin.member_id);
  });

  test('the connection that provisioned a member may sign it in by email again (new NameID); another connection may not', async () => {
    const { project, organizationId, secret } = await setUp();
    const first = await createSamlConnection(secret, organizationId, idp);
    const jit = await authenticate(project, ssoTokenOf(await samlAcs(server, idp, project, first, { nameId: 'eve-1', email: 'eve@acme.example' })));
    assert.equal(jit.member.email_address_verified, false, 'nobody vouched for acme.example at this connection');
    const renamed = await authenticate(project, ssoTokenOf(await samlAcs(server, idp, project, first, { nameId: 'eve-2', email: 'eve@acme.example' })));
    assert.equal(renamed.member_id, jit.member_id);

    const otherIdp = await createSamlIdp();
    const second = await createSamlConnection(secret, organizationId, otherIdp);
    assert.equal((await samlAcs(server, otherIdp, project, second, { nameId: 'eve', email: 'eve@acme.example' })).body.error_type, 'sso_member_link_not_allowed');
  });
});

describe('OIDC', () => {
  test('an email the provider says is unverified, or does not say is verified, never links — even in a verified domain', async () => {
    const { project, organizationId, addMember, secret } = await setUp();
    const fay = await addMember('fay@acme.example');
    const connection = await createOidcConnection(secret, organizationId, provider, { verified_email_domains: ['acme.example'] });
    for (const email_verified of [false, null]) {
      provider.setUser({ sub: `fay-${String(email_verified)}`, email: 'fay@acme.example', email_verified });
      const refused = await oidcCallback(server, provider, project, connection.connection_id);
      assert.equal(refused.status, 403, JSON.stringify(refused.body));
      assert.equal(refused.body.error_type, 'sso_email_not_verified');
    }
    assert.deepEqual(await registrations(project, organizationId, fay.member_id), []);

    provider.setUser({ sub: 'fay-verified', email: 'fay@acme.example', email_verified: true });
    const signedIn = await authenticate(project, ssoTokenOf(await oidcCallback(server, provider, project, connection.connection_id)));
    assert.equal(signedIn.member_id, fay.member_id);
  });

  test('an unverified email may still join as a new member where the organization lets the connection provision, with the address unverified', async () => {
    const { project, organizationId, secret } = await setUp();
    const connection = await createOidcConnection(secret, organizationId, provider, { verified_email_domains: ['acme.example'] });
    provider.setUser({ sub: 'gil', email: 'gil@acme.example', email_verified: false });
    const joined = await authenticate(project, ssoTokenOf(await oidcCallback(server, provider, project, connection.connection_id)));
    assert.equal(joined.member.email_address, 'gil@acme.example');
    assert.equal(joined.member.email_address_verified, false);

    // Email-domain JIT (as Stytch's) takes verified addresses only.
    expectOk(await secret('PUT', `/v1/b2b/organizations/${organizationId}`, {
      sso_jit_provisioning: 'NOT_ALLOWED', email_jit_provisioning: 'RESTRICTED', email_allowed_domains: ['acme.example'],
    }));
    provider.setUser({ sub: 'hub', email: 'hub@acme.example', email_verified: false });
    assert.equal((await oidcCallback(server, provider, project, connection.connection_id)).body.error_type, 'sso_jit_provisioning_not_allowed');
    provider.setUser({ sub: 'hub', email: 'hub@acme.example', email_verified: true });
    const verified = await authenticate(project, ssoTokenOf(await oidcCallback(server, provider, project, connection.connection_id)));
    assert.equal(verified.member.email_address_verified, true);
  });
});
