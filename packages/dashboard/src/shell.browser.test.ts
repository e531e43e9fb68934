// The shell and what every page shares, in headless Chromium at 1280 and 390 px: the icon the
// browser asks for, the overview, tables that keep their buttons in view on a phone, and a
// validation message that wraps in its cell instead of stretching the table.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { B2BProject } from '@gatehouse/server/testing';
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

/** The tables on the page whose box scrolls sideways, and the buttons in tables past the screen's edge. */
async function offScreen(target: Page, width: number) {
  return target.evaluate((width) => {
    const scrolling = Array.from(document.querySelectorAll<HTMLElement>('.table-scroll'))
      .filter((box) => box.scrollWidth > box.clientWidth + 1)
      .map((box) => box.getAttribute('aria-label'));
    const cut = Array.from(document.querySelectorAll<HTMLElement>('.table-scroll button'))
      .filter((button) => {
        const box = button.getBoundingClientRect();
        return box.width > 0 && (box.right > width || box.left < 0);
      })
      .map((button) => button.getAttribute('aria-label') ?? button.textContent);
    return { scrolling, cut };
  }, width);
}

test('at 390 px, tables read as cards: no table scrolls sideways and no row button is past the edge', async () => {
  // Something in each table: a second policy version (Roll back), a user with a session (Revoke), audit entries (Details).
  const policy = { resources: [{ resource_id: 'documents', description: 'Documents', actions: ['read', 'write'] }], roles: [{ role_id: 'stytch_user', description: '', permissions: [] }], scopes: [] };
  expectOk(await dashboard.projectSecretApi('PUT', '/v1/rbac/policy', { policy }));
  policy.resources[0]!.actions.push('delete');
  expectOk(await dashboard.projectSecretApi('PUT', '/v1/rbac/policy', { policy }));
  const signedUp = await api('POST', '/v1/passwords', { email: 'phone-table@example.com', password: 'correct horse battery staple 1', session_duration_minutes: 60 });
  const phone = await dashboard.openPage({ viewport: PHONE });
  try {
    const pages: [string, Locator][] = [
      ['/redirect-urls', phone.page.getByRole('button', { name: 'Remove http://localhost:3000/authenticate' })],
      ['/policy/history', phone.page.getByRole('button', { name: 'Roll back to version 1' })],
      ['/admins', phone.page.getByRole('button', { name: `Reset password of ${dashboard.admin.email}` })],
      [`/users/${signedUp.user_id}`, phone.page.getByRole('button', { name: `Revoke session ${signedUp.session.session_id}` })],
      ['/audit', phone.page.getByRole('button', { name: /^Show details/ }).first()],
    ];
    for (const [path, button] of pages) {
      await phone.goto(path);
      await visible(button);
      assert.deepEqual(await offScreen(phone.page, PHONE.width), { scrolling: [], cut: [] }, `at ${path}`);
    }
    // Each cell is named by its column.
    await phone.goto('/redirect-urls');
    const cell = phone.page.getByRole('region', { name: 'Redirect URLs' }).locator('td[data-label="Registered"]').first();
    await visible(cell);
    await phone.screenshot('redirect-urls-phone');
    assert.deepEqual(phone.pageErrors, []);
  } finally {
    await phone.close();
  }
});

test('at 1280 px, a validation message in a resource row wraps in its cell: Add and Remove stay in view', async () => {
  await dashboard.goto('/policy');
  const form = page.getByRole('form', { name: 'Add a resource' });
  await form.getByLabel('Resource id').fill('quarterly reports <draft>');
  await form.getByLabel('Actions').fill('read');
  await form.getByRole('button', { name: 'Add resource' }).click();
  const resources = page.locator('.table-scroll[aria-label="Resources"]');
  await visible(resources.locator('.issue-messages').first());
  await dashboard.screenshot('policy-resource-issue');
  const box = (await resources.boundingBox())!;
  for (const button of [resources.getByRole('button', { name: 'Remove resource quarterly reports <draft>' }), resources.getByRole('button', { name: 'Add action to quarterly reports <draft>' })]) {
    const at = (await button.boundingBox())!;
    assert.ok(at.x + at.width <= box.x + box.width, `${await button.getAttribute('aria-label')} ends at ${at.x + at.width}, the table at ${box.x + box.width}`);
  }
  assert.deepEqual((await offScreen(page, 1280)).scrolling, []);
  await page.getByRole('button', { name: 'Discard changes' }).click();
});

test('B2B policy: the built-in stytch.* permissions are one collapsed group per resource, saying what the role holds', async () => {
  await new B2BProject(dashboard.server, dashboard.project).putPolicy({
    resources: [],
    roles: [
      { role_id: 'stytch_member', description: '', permissions: [{ resource_id: 'stytch.self', actions: ['*'] }] },
      { role_id: 'stytch_admin', description: '', permissions: [{ resource_id: 'stytch.member', actions: ['*'] }, { resource_id: 'stytch.sso', actions: ['get'] }] },
    ],
    scopes: [],
  });
  for (const [target, viewport] of [[page, 1280], [(await dashboard.openPage({ viewport: PHONE })).page, PHONE.width]] as const) {
    await target.goto('/dashboard/policy?kind=b2b');
    const card = target.getByRole('region', { name: /^stytch_admin/ });
    const groups = card.getByRole('list', { name: 'Built-in permissions of stytch_admin' });
    await visible(groups);
    assert.deepEqual(
      (await groups.locator('summary').allInnerTexts()).map((text) => text.replace(/\s+/g, ' ')),
      ['stytch.organization none', 'stytch.member all (*)', 'stytch.sso 1 of 4', 'stytch.scim none', 'stytch.self none'],
    );
    // Collapsed: no checkbox on screen until a group is opened.
    assert.equal(await card.locator('input[type="checkbox"]:visible').count(), 0);
    await groups.getByText('stytch.member').click();
    await visible(target.getByLabel('stytch_admin: stytch.member update.info.name'));
    assert.deepEqual(await groups.locator('details[open] legend').allInnerTexts(), ['The resource itself', 'update.info.*', 'update.settings.*']);
    // The role's change shows in its summary.
    await groups.getByText('stytch.sso').click();
    await target.getByLabel('stytch_admin: stytch.sso update').check();
    await visible(groups.locator('summary').filter({ hasText: '2 of 4' }));
    assert.equal(await target.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth), 0, `no sideways scroll at ${viewport} px`);
    if (viewport === 1280) await dashboard.screenshot('policy-b2b-built-ins');
    await target.getByRole('button', { name: 'Discard changes' }).click();
  }
});
