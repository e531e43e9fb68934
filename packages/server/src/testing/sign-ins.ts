// Test support: sign-ins over real HTTP that need the server's stored secrets — a password sign-up
// (its JWT is signed with the project's private key) and an OIDC sign-in through a real provider
// (the connection's client secret is presented to it).
import assert from 'node:assert/strict';
import type { ProjectCredentials } from '../projects/service.ts';
import { expectOk } from './b2b.ts';
import type { TestServer } from './harness.ts';
import type { TestOidcProvider } from './oidc-provider.ts';

const APP = 'http://app.example/sso/callback';

/** A user signed in with a password over HTTP; its session JWT. */
export async function signedInJwt(server: TestServer, project: ProjectCredentials): Promise<string> {
  const created = expectOk(await server.api(project, 'POST', '/v1/passwords', {
    email: `u${Math.random()}@example.com`, password: 'a long and unusual passphrase 93', session_duration_minutes: 60,
  }));
  return created.session_jwt as string;
}

export async function oidcConnection(server: TestServer, provider: TestOidcProvider, clientSecret = provider.clientSecret, inProject?: ProjectCredentials) {
  const project = inProject ?? (await server.createProject());
  const { organization } = expectOk(await server.api(project, 'POST', '/v1/b2b/organizations', { organization_name: `Acme ${Math.random()}` }));
  const organizationId = organization.organization_id as string;
  const created = expectOk(await server.api(project, 'POST', `/v1/b2b/sso/oidc/${organizationId}`, { display_name: 'IdP' })).connection;
  const updated = expectOk(await server.api(project, 'PUT', `/v1/b2b/sso/oidc/${organizationId}/connections/${created.connection_id}`, {
    issuer: provider.issuer, client_id: provider.clientId, client_secret: clientSecret,
  })).connection;
  assert.equal(updated.status, 'active');
  return { project, organizationId, connectionId: created.connection_id as string };
}

/** A whole OIDC sign-in (start, provider, callback, authenticate): the client secret was read back and used. */
export async function oidcSignIn(server: TestServer, provider: TestOidcProvider, project: ProjectCredentials, connectionId: string) {
  provider.setUser({ sub: `oidc-${Math.random()}`, email: `m${Math.random()}@acme.example`, email_verified: true, name: 'M' });
  const start = await fetch(
    `${server.baseUrl}/v1/public/sso/start?${new URLSearchParams({ connection_id: connectionId, public_token: project.public_token, login_redirect_url: APP, signup_redirect_url: APP })}`,
    { redirect: 'manual' },
  );
  assert.equal(start.status, 302, await start.text());
  const callback = await provider.signIn(start.headers.get('location')!);
  const finished = await fetch(`${server.baseUrl}${callback.pathname}${callback.search}`, { redirect: 'manual' });
  assert.equal(finished.status, 302, await finished.text());
  const token = new URL(finished.headers.get('location')!).searchParams.get('token');
  return expectOk(await server.api(project, 'POST', '/v1/b2b/sso/authenticate', { sso_token: token, session_duration_minutes: 30 }));
}
