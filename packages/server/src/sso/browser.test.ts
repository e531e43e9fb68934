// The admin portal's SSO calls, SSO discovery by email and invites, through the official
// @stytch/vanilla-js B2B headless client in headless Chromium against a started Gatehouse
// (/sdk/v1/b2b/...): each member signs in with a password in its own browser context, and every call
// is checked against the signed-in member's stytch.sso / stytch.member permissions — a refusal is a
// 403 in the envelope and writes nothing; roles handed out by an invite stay within the inviter's own.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { B2BProject, expectOk } from '../testing/b2b.ts';
import { startOidcProvider, type TestOidcProvider } from '../testing/oidc-provider.ts';
import { createSamlIdp, generateSigningKey, TEST_IDP_ATTRIBUTE_MAPPING, type SamlTestIdp } from '../testing/saml-idp.ts';
import { allowOrigin, memberWithPassword, PASSWORD, sdkCall } from '../testing/sdk.ts';
import { startSdkPageWorld, type SdkPageWorld } from '../testing/sdk-page.ts';
import { oidcEndpointsByHand } from '../testing/sso.ts';
import { fitInRateWindow } from '../testing/rate-window.ts';

// The page keeps one headless client; the test drives it through window.portal. `fetchSDK` is how the
// admin portal itself reads /b2b/admin_portal_config (useAdminPortalConfig).
const PAGE_SCRIPT = `
import { StytchB2BHeadlessClient } from '@stytch/vanilla-js/b2b/headless';

const outcome = async (work) => {
  try { return { ok: await work() }; } catch (e) { return { error: e.error_type ?? String(e), status: e.status_code }; }
};

window.portal = {
  async start({ publicToken, api, organization_id, email_address, password }) {
    window.client = new StytchB2BHeadlessClient(publicToken, { endpoints: { testAPIURL: api, liveAPIURL: api } });
    if (email_address) await window.client.passwords.authenticate({ organization_id, email_address, password, session_duration_minutes: 60 });
    return true;
  },
  config: () => outcome(() => window.client._networkClient.fetchSDK({ url: '/b2b/admin_portal_config', method: 'GET' })),
  list: () => outcome(() => window.client.sso.getConnections()),
  discover: (email) => outcome(() => window.client.sso.discoverConnections(email)),
  createSaml: (body) => outcome(() => window.client.sso.saml.createConnection(body)),
  updateSaml: (body) => outcome(() => window.client.sso.saml.updateConnection(body)),
  createOidc: (body) => outcome(() => window.client.sso.oidc.createConnection(body)),
  updateOidc: (body) => outcome(() => window.client.sso.oidc.updateConnection(body)),
  remove: (connection_id) => outcome(() => window.client.sso.deleteConnection(connection_id)),
  updateSamlByUrl: (body) => outcome(() => window.client.sso.saml.updateConnectionByURL(body)),
  deleteCertificate: (body) => outcome(() => window.client.sso.saml.deleteVerificationCertificate(body)),
  invite: (body) => outcome(() => window.client.magicLinks.email.invite(body)),
};
`;

const POLICY = {
  resources: [{ resource_id: 'documents', description: 'Documents', actions: ['read', 'write'] }],
  roles: [
    { role_id: 'stytch_member', description: 'Every member', permissions: [{ resource_id: 'stytch.self', actions: ['*'] }] },
    {
      role_id: 'stytch_admin',
      description: 'Administers',
      permissions: [
        { resource_id: 'stytch.organization', actions: ['*'] },
        { resource_id: 'stytch.member', actions: ['*'] },
        { resource_id: 'stytch.sso', actions: ['*'] },
        { resource_id: 'documents', actions: ['read', 'write'] },
      ],
    },
    { role_id: 'editor', description: 'Edits', permissions: [{ resource_id: 'documents', actions: ['read', 'write'] }] },
    { role_id: 'inviter', description: 'Invites, nothing more', permissions: [{ resource_id: 'stytch.member', actions: ['create'] }] },
    { role_id: 'sso-reader', description: 'Sees SSO connections', permissions: [{ resource_id: 'stytch.sso', actions: ['get'] }] },
  ],
  scopes: [],
};

let world: SdkPageWorld;
let idp: SamlTestIdp;
let provider: TestOidcProvider;
before(async () => {
  world = await startSdkPageWorld(PAGE_SCRIPT);
  idp = await createSamlIdp();
  provider = await startOidcProvider({ redirectUris: [`${world.server.config.publicUrl}/v1/b2b/sso/oidc/callback`] });
});
after(async () => {
  await provider?.stop();
  await world?.close();
});

const call = (page: Page, step: string, arg?: unknown) => page.evaluate(([name, value]) => (window as any).portal[name as string](value), [step, arg] as const);

/** A project with POLICY, the page's origin allowed, one organization on acme.example, and members with each role. */
async function setUp() {
  const { server, pageOrigin } = world;
  const project = await B2BProject.create(server, POLICY);
  await allowOrigin(server, project.credentials, pageOrigin, 'B2B');
  const suffix = Math.random().toString(36).slice(2, 8);
  const organization = await project.createOrganization({ organization_slug: `acme-${suffix}`, email_allowed_domains: [`acme-${suffix}.example`] });
  const orgId: string = organization.organization_id;
  const email = (who: string) => `${who}@acme-${suffix}.example`;
  for (const [who, roles] of [['admin', ['stytch_admin']], ['plain', []], ['inviter', ['inviter']], ['reader', ['sso-reader']]] as const) {
    await memberWithPassword(project, orgId, email(who), [...roles]);
  }
  const contexts: BrowserContext[] = [];
  /** A page whose client is signed in as `who` (or not signed in). */
  const pageAs = async (who?: string) => {
    const context = await world.browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${pageOrigin}/`);
    await page.waitForFunction(() => 'portal' in window);
    await call(page, 'start', { publicToken: project.credentials.public_token, api: server.baseUrl, organization_id: orgId, email_address: who && email(who), password: PASSWORD });
    return page;
  };
  const connectionsOnServer = async () => {
    const listed = expectOk(await project.api('GET', `/v1/b2b/sso/${orgId}`));
    return [...listed.saml_connections, ...listed.oidc_connections];
  };
  const close = () => Promise.all(contexts.map((context) => context.close()));
  return { project, orgId, email, suffix, pageAs, connectionsOnServer, close };
}

describe('the admin portal\'s SSO calls', () => {
  test('an admin reads the portal config, creates, updates, lists and deletes SAML and OIDC connections', async () => {
    const { orgId, pageAs, connectionsOnServer, project, close } = await setUp();
    try {
      const admin = await pageAs('admin');
      const config = await call(admin, 'config');
      assert.deepEqual(config.ok?.sso_config, { sso_enabled: true, can_create_saml_connection: true, can_create_oidc_connection: true }, JSON.stringify(config));
      assert.equal(config.ok.scim_config.scim_enabled, true);
      assert.deepEqual((await call(admin, 'list')).ok.saml_connections, []);

      const saml = await call(admin, 'createSaml', { display_name: 'Okta', identity_provider: 'okta' });
      assert.equal(saml.ok?.connection.status, 'pending', JSON.stringify(saml));
      const samlId: string = saml.ok.connection.connection_id;
      assert.equal(saml.ok.connection.organization_id, orgId);
      // As the portal's form sends it: the connection id in the body, null for a field left alone.
      const samlUpdated = await call(admin, 'updateSaml', {
        connection_id: samlId, display_name: null, idp_entity_id: idp.entityId, idp_sso_url: idp.ssoUrl, x509_certificate: idp.certificate, attribute_mapping: TEST_IDP_ATTRIBUTE_MAPPING,
      });
      assert.equal(samlUpdated.ok?.connection.status, 'active', JSON.stringify(samlUpdated));
      assert.equal(samlUpdated.ok.connection.display_name, 'Okta');

      const oidc = await call(admin, 'createOidc', { display_name: 'Entra', identity_provider: 'microsoft-entra' });
      const oidcId: string = oidc.ok.connection.connection_id;
      // Every endpoint given (the portal's manual set-up): no discovery needed, so none is attempted
      // (this server does not allow loopback fetches at all: discovery would fail).
      const oidcUpdated = await call(admin, 'updateOidc', { connection_id: oidcId, client_id: provider.clientId, client_secret: provider.clientSecret, ...(await oidcEndpointsByHand(provider)) });
      assert.equal(oidcUpdated.ok?.connection.status, 'active', JSON.stringify(oidcUpdated));
      assert.ok(!oidcUpdated.ok.connection.client_secret.includes(provider.clientSecret));

      const listed = (await call(admin, 'list')).ok;
      assert.deepEqual(listed.saml_connections.map((c: any) => c.connection_id), [samlId]);
      assert.deepEqual(listed.oidc_connections.map((c: any) => c.connection_id), [oidcId]);
      // The first connection created became the organization's default.
      assert.equal((await project.getOrganization(orgId)).sso_default_connection_id, samlId);

      assert.deepEqual((await call(admin, 'remove', samlId)).ok?.connection_id, samlId);
      assert.deepEqual((await connectionsOnServer()).map((c: any) => c.connection_id), [oidcId]);
      assert.equal((await project.getOrganization(orgId)).sso_default_connection_id, null);
      // Another organization's connection is not found from this one.
      const other = await project.createOrganization({ organization_slug: `other-${Math.random().toString(36).slice(2, 8)}` });
      const foreign = expectOk(await project.api('POST', `/v1/b2b/sso/saml/${other.organization_id}`, { display_name: 'Theirs' })).connection.connection_id;
      assert.deepEqual(await call(admin, 'remove', foreign), { error: 'sso_connection_not_found', status: 404 });
      assert.equal(expectOk(await project.api('GET', `/v1/b2b/sso/${other.organization_id}`)).saml_connections.length, 1);
    } finally {
      await close();
    }
  });

  test('without stytch.sso: every call is a 403 and nothing is written; stytch.sso get lists but changes nothing', async () => {
    const { pageAs, connectionsOnServer, project, orgId, close } = await setUp();
    try {
      const existing = expectOk(await project.api('POST', `/v1/b2b/sso/oidc/${orgId}`, { display_name: 'Kept' })).connection;
      const before = JSON.stringify(await connectionsOnServer());
      const refused = { error: 'session_authorization_error', status: 403 };
      for (const who of ['plain', 'reader']) {
        const page = await pageAs(who);
        if (who === 'plain') assert.deepEqual(await call(page, 'list'), refused);
        else assert.deepEqual((await call(page, 'list')).ok?.oidc_connections.map((c: any) => c.connection_id), [existing.connection_id]);
        assert.deepEqual(await call(page, 'createSaml', { display_name: 'Mine' }), refused, who);
        assert.deepEqual(await call(page, 'createOidc', { display_name: 'Mine' }), refused, who);
        assert.deepEqual(await call(page, 'updateOidc', { connection_id: existing.connection_id, display_name: 'Renamed' }), refused, who);
        assert.deepEqual(await call(page, 'updateSaml', { connection_id: existing.connection_id, display_name: 'Renamed' }), refused, who);
        assert.deepEqual(await call(page, 'remove', existing.connection_id), refused, who);
      }
      assert.equal(JSON.stringify(await connectionsOnServer()), before);
      // Any signed-in member may read the portal's config; a page without a session may not.
      assert.equal((await call(await pageAs('plain'), 'config')).ok?.status_code, 200);
      assert.equal((await call(await pageAs(), 'config')).status, 404);
    } finally {
      await close();
    }
  });

  test('SAML by IdP metadata and a retired certificate: stytch.sso update; refused without it, nothing changed', async () => {
    const { pageAs, project, orgId, close } = await setUp();
    try {
      const admin = await pageAs('admin');
      const id: string = (await call(admin, 'createSaml', { display_name: 'By metadata' })).ok.connection.connection_id;
      // Gatehouse addition: the metadata XML itself (a metadata_url would be fetched through the guarded client).
      const byMetadata = await call(admin, 'updateSamlByUrl', { connection_id: id, metadata_xml: idp.metadata() });
      assert.equal(byMetadata.ok?.connection.status, 'active', JSON.stringify(byMetadata));
      assert.equal(byMetadata.ok.connection.idp_entity_id, idp.entityId);
      const [first] = byMetadata.ok.connection.verification_certificates;
      const rotated = await call(admin, 'updateSaml', { connection_id: id, x509_certificate: (await generateSigningKey('Rotated')).certificate });
      assert.equal(rotated.ok.connection.verification_certificates.length, 2);

      const plain = await pageAs('plain');
      const refused = { error: 'session_authorization_error', status: 403 };
      assert.deepEqual(await call(plain, 'updateSamlByUrl', { connection_id: id, metadata_xml: idp.metadata() }), refused);
      assert.deepEqual(await call(plain, 'deleteCertificate', { connection_id: id, certificate_id: first.certificate_id }), refused);
      const certificates = async () => expectOk(await project.api('GET', `/v1/b2b/sso/${orgId}`)).saml_connections[0].verification_certificates.map((c: any) => c.certificate_id);
      assert.equal((await certificates()).length, 2);

      assert.equal((await call(admin, 'deleteCertificate', { connection_id: id, certificate_id: first.certificate_id })).ok?.certificate_id, first.certificate_id);
      assert.deepEqual(await certificates(), [rotated.ok.connection.verification_certificates[1].certificate_id]);
    } finally {
      await close();
    }
  });

  test('an admin may not hand out, through a connection\'s role rules, a role beyond its own', async () => {
    const { pageAs, project, orgId, close } = await setUp();
    try {
      // An SSO-only administrator: stytch.sso, and nothing that editor allows.
      await project.putPolicy({ ...POLICY, roles: POLICY.roles.map((role) => (role.role_id === 'sso-reader' ? { ...role, permissions: [{ resource_id: 'stytch.sso', actions: ['*'] }] } : role)) });
      const page = await pageAs('reader');
      const created = await call(page, 'createSaml', { display_name: 'Rules' });
      const id = created.ok.connection.connection_id;
      assert.deepEqual(await call(page, 'updateSaml', { connection_id: id, saml_connection_implicit_role_assignments: [{ role_id: 'editor' }] }), { error: 'session_authorization_error', status: 403 });
      assert.deepEqual(expectOk(await project.api('GET', `/v1/b2b/sso/${orgId}`)).saml_connections[0].saml_connection_implicit_role_assignments, []);
      assert.equal((await call(page, 'updateSaml', { connection_id: id, saml_connection_implicit_role_assignments: [{ role_id: 'sso-reader' }] })).ok?.status_code, 200);
    } finally {
      await close();
    }
  });
});

describe('SSO discovery by email', () => {
  test('a member\'s organizations\' active connections; otherwise those its email domain could join; nothing for a stranger', async () => {
    const { project, orgId, email, suffix, pageAs, close } = await setUp();
    try {
      const active = expectOk(await project.api('POST', `/v1/b2b/sso/oidc/${orgId}`, { display_name: 'Entra' })).connection.connection_id;
      expectOk(await project.api('PUT', `/v1/b2b/sso/oidc/${orgId}/connections/${active}`, { client_id: provider.clientId, client_secret: provider.clientSecret, ...(await oidcEndpointsByHand(provider)) }));
      expectOk(await project.api('POST', `/v1/b2b/sso/saml/${orgId}`, { display_name: 'Unfinished' }));
      const page = await pageAs();
      const expected = [{ connection_id: active, display_name: 'Entra', identity_provider: 'generic' }];
      assert.deepEqual((await call(page, 'discover', email('plain'))).ok?.connections, expected);
      // Not a member, but the organization allows the domain and SSO JIT: the connection it could join through.
      assert.deepEqual((await call(page, 'discover', email('newcomer'))).ok?.connections, expected);
      expectOk(await project.api('PUT', `/v1/b2b/organizations/${orgId}`, { sso_jit_provisioning: 'NOT_ALLOWED' }));
      assert.deepEqual((await call(page, 'discover', email('newcomer2'))).ok?.connections, []);
      assert.deepEqual((await call(page, 'discover', `someone@elsewhere-${suffix}.example`)).ok?.connections, []);
    } finally {
      await close();
    }
  });

  test('rate limited per address like a sign-in: the 31st look-up of one address in a minute is a 429', async () => {
    const { project, email } = await setUp();
    const caller = { publicToken: project.credentials.public_token, origin: world.pageOrigin };
    const path = `/b2b/sso/discovery/connections?email_address=${encodeURIComponent(email('counted'))}`;
    await fitInRateWindow(25_000);
    for (let i = 0; i < 30; i += 1) assert.equal((await sdkCall(world.server, caller, 'GET', path)).status, 200);
    const limited = await sdkCall(world.server, caller, 'GET', path);
    assert.equal(limited.status, 429);
    assert.equal(limited.body.error_type, 'too_many_requests');
  });
});

describe('invites from the browser', () => {
  const outbox = async (project: B2BProject, to: string) => expectOk(await project.api('GET', `/v1/project/outbox?to=${encodeURIComponent(to)}&limit=5`)).messages;
  const memberByEmail = async (project: B2BProject, orgId: string, to: string) =>
    (await project.searchMembers({ organization_ids: [orgId], query: { operator: 'AND', operands: [{ filter_name: 'member_emails', filter_value: [to] }] } })).members;

  test('an admin invites with roles; the invitee gets a multi-tenant magic link', async () => {
    const { project, orgId, email, pageAs, close } = await setUp();
    try {
      const admin = await pageAs('admin');
      const invited = await call(admin, 'invite', { email_address: email('new'), roles: ['editor'], untrusted_metadata: { team: 'docs' } });
      assert.equal(invited.ok?.member.status, 'invited', JSON.stringify(invited));
      assert.equal(invited.ok.member.organization_id, orgId);
      assert.deepEqual(invited.ok.member.roles.map((r: any) => r.role_id).sort(), ['editor', 'stytch_member']);
      const [message] = await outbox(project, email('new'));
      assert.equal(new URL(message.link).searchParams.get('stytch_token_type'), 'multi_tenant_magic_links');
    } finally {
      await close();
    }
  });

  test('without stytch.member create: 403 and nothing written; trusted_metadata refused', async () => {
    const { project, orgId, email, pageAs, close } = await setUp();
    try {
      const plain = await pageAs('plain');
      assert.deepEqual(await call(plain, 'invite', { email_address: email('nobody') }), { error: 'session_authorization_error', status: 403 });
      const admin = await pageAs('admin');
      assert.deepEqual(await call(admin, 'invite', { email_address: email('trusted'), trusted_metadata: { tier: 'gold' } }), { error: 'cannot_update_trusted_metadata', status: 403 });
      for (const to of [email('nobody'), email('trusted')]) {
        assert.deepEqual(await memberByEmail(project, orgId, to), []);
        assert.deepEqual(await outbox(project, to), []);
      }
    } finally {
      await close();
    }
  });

  test('a member with stytch.member create alone invites within its own roles, never beyond', async () => {
    const { project, orgId, email, pageAs, close } = await setUp();
    try {
      const inviter = await pageAs('inviter');
      for (const roles of [['stytch_admin'], ['editor'], ['inviter', 'editor']]) {
        const to = email(`escalate-${roles.join('-')}`);
        assert.deepEqual(await call(inviter, 'invite', { email_address: to, roles }), { error: 'session_authorization_error', status: 403 }, roles.join());
        assert.deepEqual(await memberByEmail(project, orgId, to), []);
        assert.deepEqual(await outbox(project, to), []);
      }
      const peer = await call(inviter, 'invite', { email_address: email('peer'), roles: ['inviter'] });
      assert.deepEqual(peer.ok?.member.roles.map((r: any) => r.role_id).sort(), ['inviter', 'stytch_member'], JSON.stringify(peer));
      const bare = await call(inviter, 'invite', { email_address: email('bare') });
      assert.equal(bare.ok?.member.status, 'invited');
    } finally {
      await close();
    }
  });
});
