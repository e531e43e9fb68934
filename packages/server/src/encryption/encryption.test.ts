// Secrets at rest: the signing keys' private halves and the OIDC client secrets are stored encrypted
// (AES-256-GCM, bound to their row), on PGlite and on PostgreSQL. Read from the raw rows.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ProjectCredentials } from '../projects/service.ts';
import { expectOk } from '../testing/b2b.ts';
import { startTestServer, testDatabaseKinds, type TestServer } from '../testing/harness.ts';
import { startOidcProvider, type TestOidcProvider } from '../testing/oidc-provider.ts';

const APP = 'http://app.example/sso/callback';

for (const kind of testDatabaseKinds()) {
  describe(`secrets at rest on ${kind}`, () => {
    let server: TestServer;
    let provider: TestOidcProvider;

    before(async () => {
      const { openTestDatabase } = await import('../testing/harness.ts');
      server = await startTestServer({ database: await openTestDatabase(kind) });
      provider = await startOidcProvider({ redirectUris: [`${server.config.publicUrl}/v1/b2b/sso/oidc/callback`] });
    });
    after(async () => {
      await provider?.stop();
      await server?.close();
      await server?.database.dispose();
    });

    test('the signing key row holds no private key in the clear, and JWTs still verify', async () => {
      const project = await server.createProject();
      const jwt = await signedInJwt(server, project);
      const { rows } = await server.database.db.query<{ row: string }>(
        'SELECT to_jsonb(k)::text AS row FROM signing_keys k WHERE project_id = $1', [project.project_id]);
      assert.equal(rows.length, 1);
      assert.doesNotMatch(rows[0]!.row, /"d"|"p"|"q"|"dp"|"dq"|"qi"/);
      expectOk(await server.api(project, 'POST', '/v1/sessions/authenticate', { session_jwt: jwt }));
    });

    test('the OIDC connection row holds no client secret in the clear, and sign-in through the provider works', async () => {
      const { project, connectionId } = await oidcConnection(server, provider);
      const { rows } = await server.database.db.query<{ row: string }>(
        'SELECT to_jsonb(c)::text AS row FROM sso_connections c WHERE connection_id = $1', [connectionId]);
      assert.equal(rows.length, 1);
      assert.ok(!rows[0]!.row.includes(provider.clientSecret), 'no client secret in the row');
      await oidcSignIn(server, provider, project, connectionId);
    });
  });
}

/** A user signed in with a password over HTTP; its session JWT. */
async function signedInJwt(server: TestServer, project: ProjectCredentials): Promise<string> {
  const created = expectOk(await server.api(project, 'POST', '/v1/passwords', {
    email: `u${Math.random()}@example.com`, password: 'a long and unusual passphrase 93', session_duration_minutes: 60,
  }));
  return created.session_jwt as string;
}

async function oidcConnection(server: TestServer, provider: TestOidcProvider) {
  const project = await server.createProject();
  const { organization } = expectOk(await server.api(project, 'POST', '/v1/b2b/organizations', { organization_name: `Acme ${Math.random()}` }));
  const organizationId = organization.organization_id as string;
  const created = expectOk(await server.api(project, 'POST', `/v1/b2b/sso/oidc/${organizationId}`, { display_name: 'IdP' })).connection;
  const updated = expectOk(await server.api(project, 'PUT', `/v1/b2b/sso/oidc/${organizationId}/connections/${created.connection_id}`, {
    issuer: provider.issuer, client_id: provider.clientId, client_secret: provider.clientSecret,
  })).connection;
  assert.equal(updated.status, 'active');
  return { project, organizationId, connectionId: created.connection_id as string };
}

/** A whole OIDC sign-in (start, provider, callback, authenticate): the client secret was read back and used. */
async function oidcSignIn(server: TestServer, provider: TestOidcProvider, project: ProjectCredentials, connectionId: string) {
  provider.setUser({ sub: `oidc-${Math.random()}`, email: `m${Math.random()}@acme.example`, email_verified: true, name: 'M' });
  const start = await fetch(
    `${server.baseUrl}/v1/public/sso/start?${new URLSearchParams({ connection_id: connectionId, public_token: project.public_token, login_redirect_url: APP })}`,
    { redirect: 'manual' },
  );
  assert.equal(start.status, 302, await start.text());
  const callback = await provider.signIn(start.headers.get('location')!);
  const finished = await fetch(`${server.baseUrl}${callback.pathname}${callback.search}`, { redirect: 'manual' });
  assert.equal(finished.status, 302, await finished.text());
  const token = new URL(finished.headers.get('location')!).searchParams.get('token');
  return expectOk(await server.api(project, 'POST', '/v1/b2b/sso/authenticate', { sso_token: token, session_duration_minutes: 30 }));
}
