// The public SSO start (issue 14, finding 7): unauthenticated, and each call keeps a flow row until it
// expires. Starts are limited per IP and per connection (429 with Retry-After, nothing written), and
// expired flows are purged by later starts, so the table holds only live sign-ins.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ProjectCredentials } from '../projects/service.ts';
import { expectOk } from '../testing/b2b.ts';
import { ManualClock, startTestServer, type TestServer } from '../testing/harness.ts';
import { createSamlIdp, type SamlTestIdp } from '../testing/saml-idp.ts';
import { createSamlConnection, postAcs, ssoTokenOf, startSaml, startSso } from '../testing/sso.ts';

const PER_IP = 5;
const PER_CONNECTION = 8;

let server: TestServer;
let idp: SamlTestIdp;
const clock = new ManualClock(Date.now());

before(async () => {
  server = await startTestServer({
    clock,
    // Each request names its client address in X-Forwarded-For, as a proxy in front would.
    env: { GATEHOUSE_SSO_START_LIMIT: String(PER_IP), GATEHOUSE_SSO_START_CONNECTION_LIMIT: String(PER_CONNECTION), GATEHOUSE_TRUST_PROXY: 'true' },
  });
  idp = await createSamlIdp();
});
after(() => server?.close());

let nextAddress = 1;
/** A client address no other test uses. */
const freshIp = () => `198.51.100.${nextAddress++}`;

async function connection() {
  const project = await server.createProject();
  const { organization } = expectOk(await server.api(project, 'POST', '/v1/b2b/organizations', { organization_name: `Acme ${Math.random()}` }));
  const created = await createSamlConnection((method, path, body) => server.api(project, method, path, body), organization.organization_id, idp);
  return { project, connectionId: created.connection_id, connection: created };
}

async function flowCount(connectionId: string): Promise<number> {
  const { rows } = await server.database.db.query<{ count: string }>('SELECT count(*)::text AS count FROM sso_flows WHERE connection_id = $1', [connectionId]);
  return Number(rows[0]!.count);
}

test('per IP: the start after the limit is refused with 429 and Retry-After, and writes no flow; unknown connection ids count too', async () => {
  const { project, connectionId } = await connection();
  const ip = freshIp();
  for (let i = 0; i < PER_IP; i++) assert.equal((await startSso(server, project.public_token, connectionId, { 'x-forwarded-for': ip })).status, 302);
  const refused = await startSso(server, project.public_token, connectionId, { 'x-forwarded-for': ip });
  assert.equal(refused.status, 429);
  assert.equal(((await refused.json()) as { error_type: string }).error_type, 'too_many_requests');
  assert.ok(Number(refused.headers.get('retry-after')) >= 1);
  assert.equal(await flowCount(connectionId), PER_IP);
  // Another address is not affected.
  assert.equal((await startSso(server, project.public_token, connectionId, { 'x-forwarded-for': freshIp() })).status, 302);

  const sprayer = freshIp();
  for (let i = 0; i < PER_IP; i++) {
    assert.equal((await startSso(server, project.public_token, `saml-connection-test-made-up-${i}`, { 'x-forwarded-for': sprayer })).status, 404);
  }
  assert.equal((await startSso(server, project.public_token, connectionId, { 'x-forwarded-for': sprayer })).status, 429);

  // A new window lets the address start again.
  clock.advance(61_000);
  assert.equal((await startSso(server, project.public_token, connectionId, { 'x-forwarded-for': ip })).status, 302);
});

test('per connection: starts from many addresses stop at the connection limit', async () => {
  const { project, connectionId } = await connection();
  for (let i = 0; i < PER_CONNECTION; i++) assert.equal((await startSso(server, project.public_token, connectionId, { 'x-forwarded-for': freshIp() })).status, 302);
  assert.equal((await startSso(server, project.public_token, connectionId, { 'x-forwarded-for': freshIp() })).status, 429);
  assert.equal(await flowCount(connectionId), PER_CONNECTION);
});

test('expired flows are purged by later starts', async () => {
  const { project, connectionId } = await connection();
  for (let i = 0; i < 4; i++) await startSso(server, project.public_token, connectionId, { 'x-forwarded-for': freshIp() });
  assert.equal(await flowCount(connectionId), 4);
  clock.advance(11 * 60_000); // flows live 10 minutes
  const other = await connection();
  assert.equal((await startSso(server, other.project.public_token, other.connectionId, { 'x-forwarded-for': freshIp() })).status, 302);
  assert.equal(await flowCount(connectionId), 0);
  assert.equal(await flowCount(other.connectionId), 1);
});

test('expired SSO tokens nobody exchanged are purged by later sign-ins', async () => {
  clock.advance(60_000); // a new window for the starts from this test's address
  const { project, connectionId, connection: created } = await connection();
  const tokenCount = async () => {
    const { rows } = await server.database.db.query<{ count: string }>('SELECT count(*)::text AS count FROM sso_tokens WHERE connection_id = $1', [connectionId]);
    return Number(rows[0]!.count);
  };
  // A whole SAML sign-in on the server's clock, up to the token the ACS hands the application.
  const signIn = async (nameId: string) => {
    const request = await startSaml(server, idp, project, connectionId);
    const samlResponse = idp.response({
      acsUrl: created.acs_url, audience: created.audience_uri, requestId: request.id, now: clock.now(), user: { nameId, email: `${nameId}@example.com` },
    });
    return ssoTokenOf(await postAcs(server, connectionId, samlResponse, request.relayState!));
  };
  await signIn('first');
  assert.equal(await tokenCount(), 1);
  clock.advance(11 * 60_000); // tokens live 10 minutes
  await signIn('second');
  assert.equal(await tokenCount(), 1, 'the expired token was purged');
});
