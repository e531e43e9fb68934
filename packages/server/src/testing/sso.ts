// Test support for SSO sign-ins over real HTTP, as a browser does them: the public start, the SAML
// ACS post with what the test IdP signed, and the OIDC callback after the test provider's sign-in.
import assert from 'node:assert/strict';
import type { ProjectCredentials } from '../projects/service.ts';
import type { ApiResponse, TestServer } from './harness.ts';
import type { TestOidcProvider } from './oidc-provider.ts';
import { readAuthnRequest, TEST_IDP_ATTRIBUTE_MAPPING, type SamlTestIdp, type SamlTestUser } from './saml-idp.ts';

/** Where the application wants the browser back after a sign-in. */
export const APP_REDIRECT = 'http://app.example/sso/callback';

export interface FinishedSignIn {
  status: number;
  location: string | null;
  body: any;
}

export interface TestSamlConnection {
  connection_id: string;
  acs_url: string;
  audience_uri: string;
}

/** Calls the API as some caller (the project secret, or with a member session). */
export type ApiCall = (method: string, path: string, body?: unknown) => Promise<ApiResponse>;

function expectConnection(response: ApiResponse) {
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body.connection;
}

/** Creates a SAML connection that trusts `idp` (entity id, SSO URL, certificate, attribute names), plus `settings`. */
export async function createSamlConnection(call: ApiCall, organizationId: string, idp: SamlTestIdp, settings: Record<string, unknown> = {}): Promise<TestSamlConnection> {
  const created = expectConnection(await call('POST', `/v1/b2b/sso/saml/${organizationId}`, { display_name: 'Okta' }));
  assert.equal(created.status, 'pending');
  const updated = expectConnection(await call('PUT', `/v1/b2b/sso/saml/${organizationId}/connections/${created.connection_id}`, {
    idp_entity_id: idp.entityId,
    idp_sso_url: idp.ssoUrl,
    x509_certificate: idp.certificate,
    attribute_mapping: TEST_IDP_ATTRIBUTE_MAPPING,
    ...settings,
  }));
  assert.equal(updated.status, 'active');
  return updated;
}

/** Creates an OIDC connection to the test provider (endpoints by discovery; the `groups` scope, as Okta), plus `settings`. */
export async function createOidcConnection(call: ApiCall, organizationId: string, provider: TestOidcProvider, settings: Record<string, unknown> = {}): Promise<{ connection_id: string }> {
  const created = expectConnection(await call('POST', `/v1/b2b/sso/oidc/${organizationId}`, { display_name: 'Entra' }));
  const updated = expectConnection(await call('PUT', `/v1/b2b/sso/oidc/${organizationId}/connections/${created.connection_id}`, {
    issuer: provider.issuer,
    client_id: provider.clientId,
    client_secret: provider.clientSecret,
    custom_scopes: 'groups',
    ...settings,
  }));
  assert.equal(updated.status, 'active');
  assert.equal(updated.authorization_url.startsWith(provider.issuer), true);
  assert.ok(!updated.client_secret.includes(provider.clientSecret));
  return updated;
}

/** GET /v1/public/sso/start without following the redirect. */
export function startSso(server: TestServer, publicToken: string, connectionId: string, headers: Record<string, string> = {}): Promise<Response> {
  const query = new URLSearchParams({ connection_id: connectionId, public_token: publicToken, login_redirect_url: APP_REDIRECT, signup_redirect_url: APP_REDIRECT });
  return fetch(`${server.baseUrl}/v1/public/sso/start?${query}`, { redirect: 'manual', headers });
}

/** Starts a SAML sign-in and reads the AuthnRequest the browser is sent to the IdP with. */
export async function startSaml(server: TestServer, idp: SamlTestIdp, project: ProjectCredentials, connectionId: string) {
  const response = await startSso(server, project.public_token, connectionId);
  assert.equal(response.status, 302, await response.text());
  const location = response.headers.get('location')!;
  assert.ok(location.startsWith(idp.ssoUrl));
  return readAuthnRequest(location);
}

/** POSTs a SAMLResponse to the connection's ACS as the browser would. */
export async function postAcs(server: TestServer, connectionId: string, samlResponse: string, relayState: string): Promise<FinishedSignIn> {
  const response = await fetch(`${server.baseUrl}/v1/b2b/sso/saml/acs/${connectionId}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ SAMLResponse: samlResponse, RelayState: relayState }).toString(),
  });
  const text = await response.text();
  return { status: response.status, location: response.headers.get('location'), body: text ? JSON.parse(text) : null };
}

/** A whole SAML sign-in up to the ACS's answer: started here, signed by `idp` for `user`. */
export async function samlAcs(server: TestServer, idp: SamlTestIdp, project: ProjectCredentials, connection: TestSamlConnection, user: SamlTestUser) {
  const request = await startSaml(server, idp, project, connection.connection_id);
  const samlResponse = idp.response({ acsUrl: connection.acs_url, audience: connection.audience_uri, requestId: request.id, user });
  return postAcs(server, connection.connection_id, samlResponse, request.relayState!);
}

/** A whole OIDC sign-in through the test provider (its current user), up to the callback's answer. */
export async function oidcCallback(server: TestServer, provider: TestOidcProvider, project: ProjectCredentials, connectionId: string): Promise<FinishedSignIn> {
  const start = await startSso(server, project.public_token, connectionId);
  assert.equal(start.status, 302, await start.text());
  const callback = await provider.signIn(start.headers.get('location')!);
  const finished = await fetch(`${server.baseUrl}${callback.pathname}${callback.search}`, { redirect: 'manual' });
  const text = await finished.text();
  return { status: finished.status, location: finished.headers.get('location'), body: text ? JSON.parse(text) : null };
}

/** The one-time SSO token in the redirect back to the application. */
export function ssoTokenOf(finished: FinishedSignIn): string {
  assert.equal(finished.status, 302, JSON.stringify(finished.body));
  const back = new URL(finished.location!);
  assert.equal(`${back.origin}${back.pathname}`, APP_REDIRECT);
  assert.equal(back.searchParams.get('stytch_token_type'), 'sso');
  return back.searchParams.get('token')!;
}

/** The provider's endpoints, read here as an administrator copies them from its console into a connection's settings. */
export async function oidcEndpointsByHand(provider: TestOidcProvider) {
  const metadata = await (await fetch(`${provider.issuer}/.well-known/openid-configuration`)).json();
  return { issuer: metadata.issuer, authorization_url: metadata.authorization_endpoint, token_url: metadata.token_endpoint, userinfo_url: metadata.userinfo_endpoint, jwks_url: metadata.jwks_uri };
}
