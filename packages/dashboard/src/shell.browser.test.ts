// The shell and what every page shares, in headless Chromium at 1280 and 390 px: the icon the
// browser asks for, the overview, tables that keep their buttons in view on a phone, and a
// validation message that wraps in its cell instead of stretching the table.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { PHONE, expectOk, startDashboard, type DashboardTest } from './testing/harness.ts';

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

test('/favicon.ico is the dashboard icon, and the page names it: no 404 in the browser', async () => {
  const response = await fetch(`${dashboard.baseUrl}/favicon.ico`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'image/vnd.microsoft.icon');
  const bytes = new Uint8Array(await response.arrayBuffer());
  assert.deepEqual([...bytes.slice(0, 4)], [0, 0, 1, 0], 'an ICO header');
  const icon = await page.locator('link[rel="icon"]').getAttribute('href');
  assert.equal(icon, '/dashboard/favicon.ico');
  const linked = await fetch(`${dashboard.baseUrl}${icon}`);
  assert.equal(linked.status, 200);
});
