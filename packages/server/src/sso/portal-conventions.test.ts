// Stytch's conventions the admin portal relies on, through the official `stytch` B2B client: an OIDC
// connection update that gives every endpoint does not read the provider's discovery document (and
// the connection still signs members in), and the organization's sso_default_connection_id follows
// its connections (the first one created becomes the default; deleting the default clears it).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { B2BProject, B2B_POLICY } from '../testing/b2b.ts';
import { expectError, startTestServer, type TestServer } from '../testing/harness.ts';
import { startOidcProvider, type TestOidcProvider } from '../testing/oidc-provider.ts';
import { oidcCallback, oidcEndpointsByHand, ssoTokenOf } from '../testing/sso.ts';
import { b2bClient, expectStytchError } from '../testing/stytch-clients.ts';

let server: TestServer;
let provider: TestOidcProvider;
/** Requests for the provider's discovery document since the last reset. */
let discoveryReads = 0;

before(async () => {
  // The OpenID provider is on loopback: the development setting lets the guarded client reach it.
  server = await startTestServer({ env: { GATEHOUSE_OUTBOUND_ALLOW_PRIVATE: 'true' } });
  provider = await startOidcProvider({ redirectUris: [`${server.config.publicUrl}/v1/b2b/sso/oidc/callback`] });
  provider.provider.use(async (ctx, next) => {
    if (ctx.path.endsWith('/.well-known/openid-configuration')) discoveryReads += 1;
    await next();
  });
});
after(async () => {
  await provider?.stop();
  await server?.close();
});

async function world() {
  const project = await B2BProject.create(server, B2B_POLICY);
  const client = b2bClient(server, project.credentials);
  const { organization } = await client.organizations.create({ organization_name: `Portal ${Math.random().toString(36).slice(2, 8)}` });
  return { project, client, organizationId: organization.organization_id };
}

describe('OIDC connection update', () => {
  test('every endpoint given: no discovery document is read, and members sign in through the connection', async () => {
    const { project, client, organizationId } = await world();
    const endpoints = await oidcEndpointsByHand(provider);
    const { connection } = await client.sso.oidc.createConnection({ organization_id: organizationId, display_name: 'By hand' });
    discoveryReads = 0;
    const updated = await client.sso.oidc.updateConnection({
      organization_id: organizationId, connection_id: connection!.connection_id, client_id: provider.clientId, client_secret: provider.clientSecret, ...endpoints,
    });
    assert.equal(discoveryReads, 0, 'the discovery document was read');
    assert.equal(updated.connection?.status, 'active');
    assert.deepEqual(
      { issuer: updated.connection?.issuer, authorization_url: updated.connection?.authorization_url, token_url: updated.connection?.token_url, userinfo_url: updated.connection?.userinfo_url, jwks_url: updated.connection?.jwks_url },
      endpoints,
    );

    provider.setUser({ sub: 'hand-1', email: 'ann@hand.example', email_verified: true, name: 'Ann' });
    const token = ssoTokenOf(await oidcCallback(server, provider, project.credentials, connection!.connection_id));
    const signedIn = await client.sso.authenticate({ sso_token: token, session_duration_minutes: 30 });
    assert.equal(signedIn.member.email_address, 'ann@hand.example');
  });

  test('an endpoint missing: the discovery document fills in what was not given', async () => {
    const { client, organizationId } = await world();
    const { token_url: _token, ...endpoints } = await oidcEndpointsByHand(provider);
    const custom = 'http://127.0.0.1:9/custom-userinfo';
    const { connection } = await client.sso.oidc.createConnection({ organization_id: organizationId, display_name: 'Mixed' });
    discoveryReads = 0;
    const updated = await client.sso.oidc.updateConnection({
      organization_id: organizationId, connection_id: connection!.connection_id, client_id: provider.clientId, client_secret: provider.clientSecret, ...endpoints, userinfo_url: custom,
    });
    assert.equal(discoveryReads, 1);
    assert.equal(updated.connection?.token_url, (await oidcEndpointsByHand(provider)).token_url);
    assert.equal(updated.connection?.userinfo_url, custom, 'a given endpoint is kept');
  });
});

describe('sso_default_connection_id', () => {
  test('the first connection created becomes the default; a later one does not; deleting the default clears it', async () => {
    const { project, client, organizationId } = await world();
    const defaultOf = async () => (await client.organizations.get({ organization_id: organizationId })).organization.sso_default_connection_id ?? null;
    assert.equal(await defaultOf(), null);

    const { connection: first } = await client.sso.saml.createConnection({ organization_id: organizationId, display_name: 'First' });
    assert.equal(await defaultOf(), first!.connection_id);
    const { connection: second } = await client.sso.oidc.createConnection({ organization_id: organizationId, display_name: 'Second' });
    assert.equal(await defaultOf(), first!.connection_id, 'a second connection leaves the default alone');

    // Deleting a connection that is not the default leaves it; deleting the default clears it.
    const { connection: third } = await client.sso.saml.createConnection({ organization_id: organizationId, display_name: 'Third' });
    await client.sso.deleteConnection({ organization_id: organizationId, connection_id: third!.connection_id });
    assert.equal(await defaultOf(), first!.connection_id);
    await client.sso.deleteConnection({ organization_id: organizationId, connection_id: first!.connection_id });
    assert.equal(await defaultOf(), null);

    // With none set, the next connection created becomes the default again.
    const { connection: fourth } = await client.sso.saml.createConnection({ organization_id: organizationId, display_name: 'Fourth' });
    assert.equal(await defaultOf(), fourth!.connection_id);

    // The organization may name any of its connections, and only its own.
    await client.organizations.update({ organization_id: organizationId, sso_default_connection_id: second!.connection_id });
    assert.equal(await defaultOf(), second!.connection_id);
    const other = await world();
    const { connection: foreign } = await other.client.sso.saml.createConnection({ organization_id: other.organizationId, display_name: 'Elsewhere' });
    await expectStytchError(client.organizations.update({ organization_id: organizationId, sso_default_connection_id: foreign!.connection_id }), 'sso_connection_not_found', 404);
    assert.equal(await defaultOf(), second!.connection_id);
    // A new organization has no connection for a default to name (Stytch's client sends no such field; a raw call may).
    expectError(await project.api('POST', '/v1/b2b/organizations', { organization_name: 'Named default', sso_default_connection_id: second!.connection_id }), 404, 'sso_connection_not_found');
  });
});
