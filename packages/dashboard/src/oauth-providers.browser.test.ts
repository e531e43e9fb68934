// The OAuth providers page in headless Chromium against a started Gatehouse: set GitHub with a
// secret (never shown back) and an endpoint override, see the redirect URI to register, the
// server's refusal of a first save without a secret shown by the form, and remove the provider.
// Each change is checked with the project secret too; the audit log names the admin.
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

const api = async (method: string, path: string, body?: unknown) => expectOk(await dashboard.projectSecretApi(method, path, body));
const visible = (locator: Locator) => locator.waitFor({ state: 'visible' });

test('set GitHub with a secret and a token URL override, then remove it; a first save without a secret is refused by the server', async () => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'OAuth providers' }).click();
  await visible(page.getByRole('heading', { level: 1, name: 'OAuth providers' }));
  await visible(page.getByText('No OAuth providers yet'));

  const form = page.getByRole('region', { name: 'Set a provider' });
  await form.getByLabel('Provider').selectOption('google');
  await form.getByLabel('Client id').fill('google-client');
  await form.getByRole('button', { name: 'Save provider' }).click();
  await visible(form.getByRole('alert').getByText('invalid_argument'));

  await form.getByLabel('Provider').selectOption('github');
  await form.getByLabel('Client id').fill('Iv1.dashboard');
  await form.getByLabel('Client secret').fill('dashboard-github-secret');
  await form.getByText('Endpoint overrides').click();
  await form.getByLabel('Token URL').fill('https://github.example.com/login/oauth/access_token');
  await form.getByRole('button', { name: 'Save provider' }).click();
  await visible(page.getByRole('status').getByText('GitHub saved.'));
  const table = page.getByRole('region', { name: 'OAuth providers' });
  await visible(table.getByText('Iv1.dashboard'));
  await visible(table.getByText(/\/v1\/oauth\/callback\/github$/));
  assert.equal(await page.getByText('dashboard-github-secret').count(), 0);
  await dashboard.screenshot('oauth-providers');

  const listed = (await api('GET', '/v1/project/oauth_providers')).oauth_providers;
  assert.deepEqual(listed.map((entry: any) => [entry.provider, entry.client_id, entry.overridden]), [['github', 'Iv1.dashboard', ['token_url']]]);
  const audit = await api('GET', '/v1/audit_events?action=oauth_provider.*');
  assert.equal(audit.audit_events[0].actor.type, 'admin');
  assert.ok(!JSON.stringify(audit).includes('dashboard-github-secret'));

  await page.getByRole('button', { name: 'Remove GitHub' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
  await visible(page.getByRole('status').getByText('GitHub removed.'));
  assert.deepEqual((await api('GET', '/v1/project/oauth_providers')).oauth_providers, []);
});
