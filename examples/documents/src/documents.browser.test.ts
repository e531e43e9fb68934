// The documents example in headless Chromium (Debian's, driven by playwright-core): sign in with a
// password, the Edit button is enabled by documents:write, the role is revoked through the backend
// API and the page follows without a reload; the backend refuses the edit too.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startTestServer, type TestServer } from '@gatehouse/server/testing';
import { launchChromium } from '@gatehouse/server/testing/chromium';
import { startDocumentsExample, type DocumentsExample } from './example.ts';
import { connectGatehouse } from './gatehouse.ts';
import { DEMO_PASSWORD } from './policy.ts';

let server: TestServer;
let example: DocumentsExample;
let browser: Browser;
let workDir: string;

before(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'gatehouse-documents-'));
  const launching = launchChromium();
  launching.then((launched) => (browser = launched)).catch(() => undefined);
  // A started Gatehouse on in-memory PGlite (npm run example:documents starts `gatehouse serve` instead).
  server = await startTestServer({ env: { GATEHOUSE_RATE_LIMIT_IP: '0', GATEHOUSE_RATE_LIMIT_IDENTIFIER: '0' } });
  const gatehouse = connectGatehouse(server.baseUrl, await server.createProject());
  example = await startDocumentsExample({ gatehouse, outDir: join(workDir, 'dist') });
  browser = await launching;
});

after(async () => {
  await browser?.close();
  await example?.stop();
  await server?.close();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

const t0 = Date.now();
const lap = (what: string) => process.env.DEBUG_TIMING && console.log(`# ${Date.now() - t0} ms ${what}`);

async function signIn(page: Page, email: string): Promise<void> {
  lap('goto');
  await page.goto(example.appUrl);
  lap('loaded');
  await page.getByTestId('email').fill(email);
  await page.getByTestId('password').fill(DEMO_PASSWORD);
  await page.getByTestId('sign-in').click();
  lap('submitted');
  await page.getByTestId('user-email').waitFor();
  lap('signed in');
}

test('the Edit button follows documents:write, and a revoked role disables it without a reload', { timeout: 60_000 }, async () => {
  lap('test 1');
  const page = await browser.newPage();
  page.on('console', (m) => lap(`console ${m.text()}`));
  page.on('requestfailed', (r) => lap(`failed ${r.url()}`));
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  await signIn(page, 'ada@example.com');
  assert.equal(await page.getByTestId('user-email').textContent(), 'ada@example.com');

  const edit = page.getByTestId('edit');
  await page.waitForFunction(() => !(document.querySelector('[data-testid=edit]') as HTMLButtonElement).disabled, null, { timeout: 10_000 });
  assert.equal(await page.getByTestId('delete').isDisabled(), true, 'an editor may not delete');

  // The backend lets the editor edit.
  await edit.click();
  await page.getByText('Welcome (edited)').waitFor();

  // Mark the page: a reload would lose the mark.
  await page.evaluate(() => ((window as unknown as { mark: number }).mark = 42));
  const started = Date.now();
  await example.gatehouse.api('PUT', `/v1/users/${example.userIds['ada@example.com']}`, { roles: [] });
  await page.waitForFunction(() => (document.querySelector('[data-testid=edit]') as HTMLButtonElement).disabled, null, { timeout: 10_000 });
  const followedMs = Date.now() - started;
  assert.equal(await page.evaluate(() => (window as unknown as { mark?: number }).mark), 42, 'the page was not reloaded');
  assert.equal(await page.getByTestId('roles').textContent(), 'stytch_user');
  assert.equal(await page.getByTestId('create').isDisabled(), true);

  // The backend enforces whatever the page shows: a forced edit is refused.
  const status = await page.evaluate(async () => (await fetch('/api/documents/1', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"title":"x"}' })).status);
  assert.equal(status, 403);

  // Granted again: the button comes back, still without a reload.
  await example.gatehouse.api('PUT', `/v1/users/${example.userIds['ada@example.com']}`, { roles: ['editor'] });
  await page.waitForFunction(() => !(document.querySelector('[data-testid=edit]') as HTMLButtonElement).disabled, null, { timeout: 10_000 });
  assert.equal(await page.evaluate(() => (window as unknown as { mark?: number }).mark), 42);
  assert.deepEqual(errors, []);
  console.log(`# role revocation reached the page in ${followedMs} ms`);
  await page.close();
});

test('a policy change reaches the page without a reload; signing out returns to the form', { timeout: 60_000 }, async () => {
  const page = await browser.newPage();
  await signIn(page, 'bob@example.com'); // viewer: read + download
  await page.getByText('download').first().waitFor();
  assert.equal(await page.getByTestId('edit').isDisabled(), true);

  // Give viewers documents:write in the policy.
  const { policy } = await example.gatehouse.api('GET', '/v1/rbac/policy');
  const viewer = policy.roles.find((role: { role_id: string }) => role.role_id === 'viewer');
  viewer.permissions = [{ resource_id: 'documents', actions: ['read', 'download', 'write'] }];
  await example.gatehouse.api('PUT', '/v1/rbac/policy', policy);
  await page.waitForFunction(() => !(document.querySelector('[data-testid=edit]') as HTMLButtonElement).disabled, null, { timeout: 10_000 });
  const permissions = JSON.parse((await page.getByTestId('permissions').textContent()) ?? '{}');
  assert.deepEqual(permissions.documents, { read: true, create: false, write: true, delete: false, download: true });

  await page.getByTestId('sign-out').click();
  await page.getByTestId('sign-in').waitFor();
  const cookies = await page.context().cookies();
  assert.equal(cookies.find((cookie) => cookie.name === 'stytch_session'), undefined);
  await page.close();
});
