// The backend SDK's local authenticateJwt with an authorization check, next to a bare jose
// jwtVerify of the same session JWT with the same public key, in the same run. A real server (PGlite
// in memory, in this process, idle while measuring) issues the token and serves the JWKS and policy.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { JWK } from 'jose';
import { GatehouseClient } from '@gatehouse/node';
import { CONSUMER_CASE_POLICY } from '@gatehouse/policy/testing/authorization-cases';
import { signInUser, startTestServer } from '@gatehouse/server/testing';
import { measureAllAsync, type BenchReport } from './measure.ts';

/** The target of issue 7: local authenticate + check at least this fraction of a bare verify. */
const TARGET_RATIO = 0.8;

// The jose the SDK uses (the repository root holds another version, for the stytch client).
const joseOfSdk = createRequire(new URL('../../packages/node/package.json', import.meta.url)).resolve('jose');
const { importJWK, jwtVerify } = (await import(pathToFileURL(joseOfSdk).href)) as typeof import('jose');

export async function run(): Promise<BenchReport> {
  const server = await startTestServer();
  const project = await server.createProject();
  const client = new GatehouseClient({ project_id: project.project_id, secret: project.secret, base_url: server.baseUrl });
  try {
    await client.rbac.replacePolicy({ policy: CONSUMER_CASE_POLICY });
    const { session_jwt } = await signInUser(server, project, ['editor', 'admin']);
    const { keys } = (await (await fetch(`${server.baseUrl}/v1/sessions/jwks/${project.project_id}`)).json()) as { keys: JWK[] };
    const kid = JSON.parse(Buffer.from(session_jwt.split('.')[0]!, 'base64url').toString()).kid;
    const key = await importJWK(keys.find((jwk) => jwk.kid === kid)!, 'RS256');
    const check = { session_jwt, authorization_check: { resource_id: 'documents', action: 'update' } };
    const first = await client.sessions.authenticateJwt(check);
    assert.equal(first.decided_by, 'local');
    assert.equal((await client.sessions.authenticateJwt({ session_jwt, authorization_check: { resource_id: 'billing', action: 'read' } }).catch(() => null)), null);

    const [bare, sdk, sdkNoCheck] = await measureAllAsync([
      { name: 'jose jwtVerify (bare, same token and key)', run: () => jwtVerify(session_jwt, key) },
      { name: 'sdk authenticateJwt + authorization check', run: () => client.sessions.authenticateJwt(check) },
      { name: 'sdk authenticateJwt, no check', run: () => client.sessions.authenticateJwt({ session_jwt }) },
    ]);
    const ratio = sdk!.opsPerSecond / bare!.opsPerSecond;
    return {
      title: 'Backend SDK: local session JWT verification + authorization check (RS256, 32 in flight)',
      floor: bare!,
      results: [sdk!, sdkNoCheck!],
      notes: [
        `authenticateJwt + check / bare jwtVerify = ${ratio.toFixed(3)} (target ≥ ${TARGET_RATIO}: ${ratio >= TARGET_RATIO ? 'met' : 'MISSED'})`,
        'Both verify the RS256 signature every time (no cache of verified tokens); the SDK adds iss/aud/typ/exp checks, the',
        'key lookup by kid, the session claims, the role-change check and the isAuthorized check on the cached policy.',
      ],
    };
  } finally {
    client.close();
    await server.close();
  }
}
