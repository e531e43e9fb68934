// The Redirect URLs page in headless Chromium against a started Gatehouse: register a URL for some
// types as their default, the server's refusal of a javascript: URL shown by the form, make another
// URL a type's default, remove one. Each change is checked with the project secret too, and the
// audit log names the admin.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { expectOk, startDashboard, type DashboardTest } from './testing/harness.ts';

let dashboard: DashboardTest;
let page: Page;

before(async () => {
  dashboard = await startDashboard();
  page = dashboard.page;
});

after(async () => {
  await dashboard?.close();
});

interface Listed {
  url: string;
  valid_types: { type: string; is_default: boolean }[];
}

const api = async (method: string, path: string, body?: unknown) => expectOk(await dashboard.projectSecretApi(method, path, body));
const listed = async (url: string): Promise<Listed | undefined> => (await api('GET', '/v1/project/redirect_urls')).redirect_urls.find((entry: Listed) => entry.url === url);
const visible = (locator: Locator) => locator.waitFor({ state: 'visible' });
const row = (url: string) => page.getByRole('region', { name: 'Redirect URLs' }).getByRole('row').filter({ has: page.getByText(url, { exact: true }) });
const SHOP = 'https://shop.example.com/auth';

test('register a URL for login and invite as their default; the server has it so', async () => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Redirect URLs' }).click();
  await visible(page.getByRole('heading', { level: 1, name: 'Redirect URLs' }));
  await visible(row('http://localhost:3000/authenticate').getByText('default').first());

  const form = page.getByRole('region', { name: 'Register a redirect URL' });
  await form.getByLabel('URL').fill(SHOP);
  for (const type of ['signup', 'reset password', 'discovery']) await form.getByLabel(type, { exact: true }).uncheck();
  await form.getByLabel('Make it the default for these types').check();
  await form.getByRole('button', { name: 'Register URL' }).click();
  await visible(page.getByRole('status').getByText(`${SHOP} registered.`));
  await visible(row(SHOP));
  await dashboard.screenshot('redirect-urls');
  assert.deepEqual((await listed(SHOP))?.valid_types, [{ type: 'LOGIN', is_default: true }, { type: 'INVITE', is_default: true }]);
  const localhost = await listed('http://localhost:3000/authenticate');
  assert.deepEqual(localhost?.valid_types.filter((t) => t.is_default).map((t) => t.type), ['SIGNUP', 'RESET_PASSWORD', 'DISCOVERY']);
});

test("the server's refusal shows by the form, and nothing is registered", async () => {
  const form = page.getByRole('region', { name: 'Register a redirect URL' });
  await form.getByLabel('URL').fill('javascript:alert(1)');
  await form.getByRole('button', { name: 'Register URL' }).click();
  await visible(form.getByRole('alert').getByText('redirect_url_cannot_use_protocol'));
  assert.equal(await listed('javascript:alert(1)'), undefined);
});

test('make another URL the default of a type, then remove the shop URL: login falls back to the oldest URL left for it', async () => {
  await page.getByRole('button', { name: 'Make https://app.test/login the default signup URL' }).click();
  await visible(page.getByRole('status').getByText('https://app.test/login is now the default signup URL.'));
  assert.equal((await listed('https://app.test/login'))?.valid_types.find((t) => t.type === 'SIGNUP')?.is_default, true);

  await page.getByRole('button', { name: `Remove ${SHOP}` }).click();
  const dialog = page.getByRole('dialog', { name: `Remove ${SHOP}?` });
  await dialog.getByRole('button', { name: 'Remove' }).click();
  await dialog.waitFor({ state: 'hidden' });
  await visible(page.getByRole('status').getByText(`${SHOP} removed.`));
  assert.equal(await listed(SHOP), undefined);
  // The list is oldest first: the first URL valid for LOGIN is its default now, and the only one.
  const all: Listed[] = (await api('GET', '/v1/project/redirect_urls')).redirect_urls;
  const login = all.filter((entry) => entry.valid_types.some((t) => t.type === 'LOGIN'));
  assert.deepEqual(login.filter((entry) => entry.valid_types.some((t) => t.type === 'LOGIN' && t.is_default)).map((entry) => entry.url), [login[0]!.url]);

  const events = (await api('GET', '/v1/audit_events?action=redirect_url.*')).audit_events;
  const by = { type: 'admin', id: dashboard.admin.admin_id, email: dashboard.admin.email };
  assert.deepEqual(
    events.map((event: { action: string; target_id: string; actor: unknown }) => [event.action, event.target_id, event.actor]),
    [['redirect_url.deleted', SHOP, by], ['redirect_url.updated', 'https://app.test/login', by], ['redirect_url.created', SHOP, by]],
  );
});
