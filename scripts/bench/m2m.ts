// M2M: the token endpoint's issue rate (client-credentials grant over HTTP: one read of the client,
// a SHA-256 and constant-time compare, an RS256 signature), and the backend SDK's local
// authenticateM2M + authorization check (policy scopes) next to a bare jose jwtVerify of the same
// token with the same key. A real server (PGlite in memory, in this process) issues the tokens and
// serves the JWKS and policy; its rate limits are off for the measurement.
import assert from 'node:assert/strict';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { JWK } from 'jose';
import { GatehouseClient } from '@gatehouse/node';
import { startTestServer } from '@gatehouse/server/testing';
import { measureAllAsync, type BenchReport } from './measure.ts';

/** Issue 21's target: local M2M verify + check at least as fast as a bare verify, within noise (≥ 1×). */
const TARGET_RATIO = 1;

// The jose the SDK uses (the repository root holds another version, for the stytch client).
const joseOfSdk = createRequire(new URL('../../packages/node/package.json', import.meta.url)).resolve('jose');
const { importJWK, jwtVerify, SignJWT } = (await import(pathToFileURL(joseOfSdk).href)) as typeof import('jose');

const POLICY = {
  resources: [{ resource_id: 'documents', description: '', actions: ['read', 'write'] }],
  roles: [{ role_id: 'stytch_user', description: '', permissions: [] }],
  scopes: [
    { scope: 'read:documents', description: '', permissions: [{ resource_id: 'documents', actions: ['read'] }] },
    { scope: 'write:documents', description: '', permissions: [{ resource_id: 'documents', actions: ['read', 'write'] }] },
  ],
};

export async function run(): Promise<BenchReport> {
  const server = await startTestServer({ env: { GATEHOUSE_RATE_LIMIT_IP: '0', GATEHOUSE_RATE_LIMIT_IDENTIFIER: '0' } });
  const project = await server.createProject();
  const client = new GatehouseClient({ project_id: project.project_id, secret: project.secret, base_url: server.baseUrl });
  // The same SDK told to remember no verified token: every call verifies the signature.
  const verifyEvery = new GatehouseClient({ project_id: project.project_id, secret: project.secret, base_url: server.baseUrl, m2m_remembered_tokens: 0 });
  try {
    await client.rbac.replacePolicy({ policy: POLICY });
    const { m2m_client } = await client.m2m.clients.create({ scopes: ['read:documents', 'write:documents'] });
    const credentials = { client_id: m2m_client.client_id, client_secret: m2m_client.client_secret };
    const { access_token } = await client.m2m.token(credentials);
    const { keys } = (await (await fetch(`${server.baseUrl}/v1/sessions/jwks/${project.project_id}`)).json()) as { keys: JWK[] };
    const kid = JSON.parse(Buffer.from(access_token.split('.')[0]!, 'base64url').toString()).kid;
    const key = await importJWK(keys.find((jwk) => jwk.kid === kid)!, 'RS256');
    const check = { authorization_check: { resource_id: 'documents', action: 'write' } };
    assert.deepEqual((await client.authenticateM2M(access_token, check)).verdict?.granting_roles, ['write:documents']);
    await assert.rejects(client.authenticateM2M(access_token, { authorization_check: { resource_id: 'documents', action: 'delete' } }));
    assert.equal((await verifyEvery.authenticateM2M(access_token, check)).verdict?.authorized, true);

    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const signingKey = createPrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' }));
    const [bare, sdk, sdkEvery, sdkScopes] = await measureAllAsync([
      { name: 'jose jwtVerify (bare, same token and key)', run: () => jwtVerify(access_token, key) },
      { name: 'sdk authenticateM2M + authorization check', run: () => client.authenticateM2M(access_token, check) },
      { name: 'sdk authenticateM2M + check, verifying every time', run: () => verifyEvery.authenticateM2M(access_token, check) },
      { name: 'sdk authenticateM2M + required_scopes', run: () => client.authenticateM2M(access_token, { required_scopes: ['write:documents'] }) },
    ]);
    const [issue, sign] = await measureAllAsync(
      [
        { name: 'token endpoint: issue (HTTP, form body)', run: () => client.m2m.token(credentials) },
        { name: 'jose SignJWT RS256 (bare, in process)', run: () => new SignJWT({ scope: 'read:documents' }).setProtectedHeader({ alg: 'RS256' }).sign(signingKey) },
      ],
      { concurrency: 16, rounds: 5 },
    );
    const ratio = sdk!.opsPerSecond / bare!.opsPerSecond;
    return {
      title: 'M2M: local access-token verification + scope check (RS256, 32 in flight); token issue rate (16 in flight)',
      floor: bare!,
      results: [sdk!, sdkEvery!, sdkScopes!, issue!, sign!],
      notes: [
        `authenticateM2M + check / bare jwtVerify = ${ratio.toFixed(3)} (target ≥ ${TARGET_RATIO}: ${ratio >= TARGET_RATIO ? 'met' : 'MISSED'})`,
        `token issue rate: ${Math.round(issue!.opsPerSecond)} tokens/s over HTTP on ${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}, server and client in this process (${(issue!.opsPerSecond / sign!.opsPerSecond).toFixed(3)} × a bare RS256 signature)`,
        `verifying the signature every time (m2m_remembered_tokens: 0) / bare jwtVerify = ${(sdkEvery!.opsPerSecond / bare!.opsPerSecond).toFixed(3)}`,
        'The SDK remembers a verified token by its exact text (while the key that verified it is still in the JWKS; exp and',
        "nbf checked on every call), so a token presented again costs a Map lookup, the time claims and the isAuthorized check",
        "of the token's scopes against the cached policy's scopes; a token seen for the first time costs a full jwtVerify.",
      ],
    };
  } finally {
    client.close();
    verifyEvery.close();
    await server.close();
  }
}
