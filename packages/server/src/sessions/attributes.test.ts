// The attributes a session records: a browser-API sign-in records the caller's IP — behind a proxy
// only as far as GATEHOUSE_TRUST_PROXY trusts X-Forwarded-For — and its User-Agent (cut at 1024
// characters); a sign-in with the project secret records none. (The browser tests show the same
// with Chromium: magic-links/browser.test.ts, sso/sdk-authenticate.test.ts.)
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { expectOk } from '../testing/b2b.ts';
import { startTestServer, type TestServer } from '../testing/harness.ts';
import { consumerWorld, PASSWORD, sdkAuthorization } from '../testing/sdk.ts';

const ORIGIN = 'http://127.0.0.1:5173';
let direct: TestServer;
let proxied: TestServer;

before(async () => {
  direct = await startTestServer();
  proxied = await startTestServer({ env: { GATEHOUSE_TRUST_PROXY: 'true' } });
});
after(async () => {
  await direct?.close();
  await proxied?.close();
});

async function browserSignIn(server: TestServer, headers: Record<string, string>) {
  const { credentials, email } = await consumerWorld(server, ORIGIN);
  const response = await server.raw('/sdk/v1/passwords/authenticate', {
    method: 'POST',
    headers: { authorization: sdkAuthorization(credentials.public_token), 'content-type': 'application/json', origin: ORIGIN, ...headers },
    body: JSON.stringify({ email, password: PASSWORD, session_duration_minutes: 60 }),
  });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return { credentials, email, data: response.body.data };
}

test('a browser sign-in records the IP and the User-Agent; X-Forwarded-For only when the proxy is trusted', async () => {
  const headers = { 'user-agent': 'TestBrowser/1.0', 'x-forwarded-for': '203.0.113.9' };
  const plain = await browserSignIn(direct, headers);
  assert.deepEqual(plain.data.session.attributes, { ip_address: '127.0.0.1', user_agent: 'TestBrowser/1.0' });
  const behindProxy = await browserSignIn(proxied, headers);
  assert.deepEqual(behindProxy.data.session.attributes, { ip_address: '203.0.113.9', user_agent: 'TestBrowser/1.0' });
  // Stored: the backend reads them back.
  const read = expectOk(await proxied.api(behindProxy.credentials, 'POST', '/v1/sessions/authenticate', { session_token: behindProxy.data.session_token }));
  assert.deepEqual(read.session.attributes, behindProxy.data.session.attributes);
});

test('a long User-Agent is cut at 1024 characters', async () => {
  const long = await browserSignIn(direct, { 'user-agent': 'x'.repeat(5000) });
  assert.equal(long.data.session.attributes.user_agent.length, 1024);
});

test('a sign-in with the project secret records no attributes', async () => {
  const { credentials, email } = await consumerWorld(direct, ORIGIN);
  const signedIn = expectOk(await direct.api(credentials, 'POST', '/v1/passwords/authenticate', { email, password: PASSWORD, session_duration_minutes: 60 }));
  assert.deepEqual(signedIn.session.attributes, { ip_address: '', user_agent: '' });
});
