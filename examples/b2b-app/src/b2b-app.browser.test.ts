// The B2B example's journeys in headless Chromium (Debian's, driven by playwright-core), against a
// started Gatehouse (in-process, in-memory PGlite) and a local OpenID provider with a login page: discovery sign-up
// and organization creation, organization login by magic link, invite and acceptance, role-gated
// UI, SSO set-up and sign-in, switching organizations. The emails are read from Gatehouse's outbox.
// Each journey builds on the one before; they run in order.
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startTestServer, type TestServer } from '@gatehouse/server/testing';
import { launchChromium } from '@gatehouse/server/testing/chromium';
import { startOidcProvider, type TestOidcProvider } from '@gatehouse/server/testing/oidc-provider';
import type { AppConfig } from './backend.ts';
import { startB2BExample, type B2BExample } from './example.ts';
import { readOutbox } from './gatehouse.ts';

const WAIT = { timeout: 20_000 };
const suffix = Math.random().toString(36).slice(2, 8);
const FOUNDER = `founder.${suffix}@acme.test`;
const COLLEAGUE = `colleague.${suffix}@acme.test`;
const ACME = `acme-${suffix}`;
const GLOBEX = `globex-${suffix}`;
const SSO_MEMBER = `dana.${suffix}@acme.test`;

let server: TestServer;
let provider: TestOidcProvider;
let example: B2BExample;
let browser: Browser;
let config: AppConfig;
const contexts: BrowserContext[] = [];
const pageErrors: string[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

before(async () => {
  const launching = launchChromium();
  launching.catch(() => undefined);
  // The OpenID provider listens on loopback, which Gatehouse reaches only when allowed (development).
  // Gatehouse listens where its public URL says, so the provider's redirect back reaches it.
  server = await startTestServer({
    port: await freePort(),
    env: { GATEHOUSE_RATE_LIMIT_IP: '0', GATEHOUSE_RATE_LIMIT_IDENTIFIER: '0', GATEHOUSE_OUTBOUND_ALLOW_PRIVATE: '127.0.0.1/32' },
  });
  provider = await startOidcProvider({ redirectUris: [`${server.baseUrl}/v1/b2b/sso/oidc/callback`], loginPage: true });
  config = { apiUrl: server.baseUrl, ...(await server.createProject()) };
  example = await startB2BExample(config);
  browser = await launching;
});

after(async () => {
  for (const context of contexts) await context.close();
  await browser?.close();
  await example?.stop();
  await provider?.stop();
  await server?.close();
});

async function newPage(): Promise<Page> {
  const context = await browser.newContext();
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(String(error)));
  return page;
}

const taken = new Set<string>();
/** The link of the next email to `to` not read before (Gatehouse's outbox), waiting for it to arrive. */
async function nextLink(to: string, tokenType: string): Promise<string> {
  const deadline = Date.now() + WAIT.timeout;
  for (;;) {
    const message = (await readOutbox(config, to)).find((candidate) => !taken.has(candidate.message_id));
    if (message) {
      taken.add(message.message_id);
      const link = new URL(message.link!);
      assert.equal(link.searchParams.get('stytch_token_type'), tokenType, message.link!);
      assert.equal(`${link.origin}${link.pathname}`, `${example.appUrl}/authenticate`);
      return link.href;
    }
    if (Date.now() > deadline) throw new Error(`no email to ${to}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const text = (page: Page, testid: string) => page.getByTestId(testid).textContent(WAIT);
async function waitForText(page: Page, testid: string, expected: string | RegExp) {
  const waiting = page.waitForFunction(
    ([id, source, flags]) => new RegExp(source!, flags).test(document.querySelector(`[data-testid="${id}"]`)?.textContent ?? ''),
    [testid, expected instanceof RegExp ? expected.source : expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), expected instanceof RegExp ? expected.flags : ''],
    WAIT,
  );
  await waiting.catch(async (error: Error) => {
    const shown = await page.evaluate(() => (document.getElementById('app') ?? document.body)?.innerText).catch(() => '(no page)');
    throw new Error(`${testid} never showed ${expected} at ${page.url()}; the page shows:\n${shown}`, { cause: error });
  });
}
const signedInTo = (page: Page, organizationName: string) => waitForText(page, 'organization-name', new RegExp(`^${organizationName}$`));
const fetchStatus = (page: Page, method: string, path: string, body?: unknown) =>
  page.evaluate(async ([m, p, b]) => (await fetch(p as string, { method: m as string, headers: { 'content-type': 'application/json' }, body: b ? JSON.stringify(b) : undefined })).status, [method, path, body] as const);

let founder: Page;
let colleague: Page;

test('1. discovery sign-up: an email link, no organizations yet, the founder creates one and is its stytch_admin', { timeout: 60_000 }, async () => {
  founder = await newPage();
  await founder.goto(example.appUrl);
  await founder.getByTestId('discovery-email').fill(FOUNDER);
  await founder.getByTestId('discovery-send').click();
  await waitForText(founder, 'status', `Check ${FOUNDER}`);

  await founder.goto(await nextLink(FOUNDER, 'discovery'));
  await waitForText(founder, 'discovered', 'None yet.');
  await founder.getByTestId('new-org-name').fill('Acme');
  await founder.getByTestId('new-org-slug').fill(ACME);
  await founder.getByTestId('create-org').click();
  await signedInTo(founder, 'Acme');
  assert.equal(await text(founder, 'member-email'), FOUNDER);
  assert.equal(await text(founder, 'roles'), 'stytch_admin, stytch_member');
  assert.equal(new URL(founder.url()).pathname, '/', 'the token left the address bar');
});

test('2. organization login by magic link: a member signs out and back in through the organization', { timeout: 60_000 }, async () => {
  await founder.getByTestId('sign-out').click();
  await founder.getByTestId('login-slug').fill(ACME);
  await founder.getByTestId('login-email').fill(FOUNDER);
  await founder.getByTestId('login-send').click();
  await waitForText(founder, 'status', 'login link to Acme');
  await founder.goto(await nextLink(FOUNDER, 'multi_tenant_magic_links'));
  await signedInTo(founder, 'Acme');
  assert.equal(await text(founder, 'member-email'), FOUNDER);
});

test('3. invite and acceptance: the admin invites through the backend; the colleague follows the link and is signed in', { timeout: 60_000 }, async () => {
  await founder.getByTestId('invite-email').fill(COLLEAGUE);
  await founder.getByTestId('invite').click();
  await waitForText(founder, 'status', `Invited ${COLLEAGUE}`);

  colleague = await newPage();
  await colleague.goto(await nextLink(COLLEAGUE, 'multi_tenant_magic_links'));
  await signedInTo(colleague, 'Acme');
  assert.equal(await text(colleague, 'member-email'), COLLEAGUE);
  assert.equal(await text(colleague, 'roles'), 'stytch_member');
  // Not an admin: no invite form, and the backend refuses the call when forced.
  assert.equal(await colleague.getByTestId('invite').count(), 0);
  assert.equal(await fetchStatus(colleague, 'POST', '/api/invite', { email_address: `third.${suffix}@acme.test` }), 403);
});

test('4. switching organizations: the founder creates a second organization through discovery and switches back and forth', { timeout: 60_000 }, async () => {
  await founder.getByTestId('sign-out').click();
  await founder.getByTestId('discovery-email').fill(FOUNDER);
  await founder.getByTestId('discovery-send').click();
  await founder.goto(await nextLink(FOUNDER, 'discovery'));
  await waitForText(founder, 'discovered', /Acme \(active_member\)/);
  await founder.getByTestId('new-org-name').fill('Globex');
  await founder.getByTestId('new-org-slug').fill(GLOBEX);
  await founder.getByTestId('create-org').click();
  await signedInTo(founder, 'Globex');

  await founder.getByTestId(`switch-${ACME}`).click(WAIT);
  await signedInTo(founder, 'Acme');
  assert.equal(await text(founder, 'member-email'), FOUNDER);
  assert.equal(await text(founder, 'roles'), 'stytch_admin, stytch_member');
  assert.equal(await founder.getByTestId('billing').count(), 0);
  await founder.getByTestId(`switch-${GLOBEX}`).click(WAIT);
  await signedInTo(founder, 'Globex');
  await founder.getByTestId(`switch-${ACME}`).click(WAIT); // where the next journeys go on
  await signedInTo(founder, 'Acme');
});

test('5. role-gated UI: billing-viewer shows the billing button and opens the backend; without it neither', { timeout: 60_000 }, async () => {
  // Neither the admin nor the colleague holds billing-viewer yet.
  assert.equal(await founder.getByTestId('billing').count(), 0);
  assert.equal(await colleague.getByTestId('billing').count(), 0);
  assert.equal(await fetchStatus(colleague, 'GET', '/api/billing'), 403);

  // The admin grants the role on the members list (the backend writes it with the stytch client).
  await founder.getByTestId(`billing-viewer-${COLLEAGUE}`).click(WAIT);
  await waitForText(founder, `billing-viewer-${COLLEAGUE}`, 'Revoke billing-viewer');

  await colleague.reload();
  await waitForText(colleague, 'roles', 'billing-viewer');
  await colleague.getByTestId('billing').click();
  await waitForText(colleague, 'billing-result', 'INV-001');
  assert.equal(await fetchStatus(founder, 'GET', '/api/billing'), 403, 'the admin still lacks billing:read');
});

test('6. SSO: the admin connects an OpenID provider through the backend; a colleague from the provider signs in through it and joins', { timeout: 60_000 }, async () => {
  await founder.getByTestId('sso-issuer').fill(provider.issuer);
  await founder.getByTestId('sso-client-id').fill(provider.clientId);
  await founder.getByTestId('sso-client-secret').fill(provider.clientSecret);
  await founder.getByTestId('sso-create').click();
  await waitForText(founder, 'status', /SSO connection .* is active/);
  // A member without stytch.sso:create may not.
  assert.equal(await colleague.getByTestId('sso-create').count(), 0);
  assert.equal(await fetchStatus(colleague, 'POST', '/api/sso/oidc', { display_name: 'x', issuer: provider.issuer, client_id: 'x', client_secret: 'x' }), 403);

  provider.setUser({ sub: `dana-${suffix}`, email: SSO_MEMBER, name: 'Dana' });
  const ssoPage = await newPage();
  await ssoPage.goto(example.appUrl);
  await ssoPage.getByTestId('login-slug').fill(ACME);
  await ssoPage.getByTestId('login-sso').click();
  // At the provider (Gatehouse sent the browser there): its login page.
  await ssoPage.getByRole('button', { name: `Sign in as ${SSO_MEMBER}` }).click(WAIT);
  await signedInTo(ssoPage, 'Acme');
  assert.equal(await text(ssoPage, 'member-email'), SSO_MEMBER);
  assert.equal(await text(ssoPage, 'roles'), 'stytch_member');
});

test('no errors on any page', () => {
  assert.deepEqual(pageErrors, []);
});
