// The Admins page in headless Chromium against a started Gatehouse: create an admin (its generated
// password shown once), sign in as it in another browser context, disable it from the first and
// watch the second get signed out; the server's refusal to disable the last active admin in its
// row; a password reset; the keyboard alone and the 390 px layout. Each change is checked with the
// project secret too, audit entries included.
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
const adminRow = (email: string) => page.getByRole('region', { name: 'Admins' }).getByRole('row').filter({ hasText: email });

test('create an admin, sign in as it elsewhere, disable it: its next request signs it out', async () => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admins' }).click();
  await visible(page.getByRole('heading', { level: 1, name: 'Admins' }));
  await visible(adminRow(dashboard.admin.email).getByText('you'));

  await page.getByLabel('Email').fill('Ops@Example.com');
  await page.getByRole('button', { name: 'Create admin' }).click();
  const shown = page.getByRole('region', { name: 'Admin ops@example.com created' });
  await visible(shown.getByText('shown only this once'));
  const password = (await shown.getByTestId('one-time-password').textContent()) ?? '';
  assert.match(password, /^[\w-]{24}$/);
  await visible(adminRow('ops@example.com').getByRole('cell', { name: 'Active', exact: true }));
  await dashboard.screenshot('admins');

  const ops = await dashboard.openPage({ as: { email: 'ops@example.com', password } });
  try {
    await ops.goto('/admins');
    await visible(ops.page.getByRole('region', { name: 'Admins' }).getByRole('row').filter({ hasText: 'ops@example.com' }).getByText('you'));

    await shown.getByRole('button', { name: 'Done, hide it' }).click();
    await shown.waitFor({ state: 'detached' });
    assert.equal(await page.getByText(password).count(), 0, 'the password is not shown again');

    await page.getByRole('button', { name: 'Disable ops@example.com' }).click();
    await visible(adminRow('ops@example.com').getByText(/^Disabled /));
    await visible(page.getByRole('status').getByText('ops@example.com disabled'));

    // The second browser's next action reaches the server and finds its session ended.
    await ops.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
    await visible(ops.page.getByRole('heading', { name: 'Sign in to Gatehouse' }));
  } finally {
    await ops.close();
  }

  const listed = (await api('GET', '/v1/admins')).admins.find((admin: { email: string }) => admin.email === 'ops@example.com');
  assert.notEqual(listed.disabled_at, null);
  const events = (await api('GET', `/v1/audit_events?action=admin.*&target_id=${listed.admin_id}`)).audit_events;
  const by = { type: 'admin', id: dashboard.admin.admin_id, email: dashboard.admin.email };
  assert.deepEqual(
    events.map((event: { action: string; actor: unknown }) => [event.action, event.actor]),
    [['admin.disabled', by], ['admin.created', by]],
  );
});

test('the last active admin: the server refuses, and its error shows in the row', async () => {
  await page.getByRole('button', { name: `Disable ${dashboard.admin.email}` }).click();
  await visible(adminRow(dashboard.admin.email).getByRole('alert').getByText('cannot_disable_last_admin'));
  await visible(adminRow(dashboard.admin.email).getByRole('cell', { name: 'Active', exact: true }));
  await page.getByRole('button', { name: 'Enable ops@example.com' }).click();
  await visible(adminRow('ops@example.com').getByRole('cell', { name: 'Active', exact: true }));
  assert.equal(await page.getByRole('alert').count(), 0, 'the error goes with the next change');
});

test('reset a password: confirmed, the new one shown once and it signs in', async () => {
  await page.getByRole('button', { name: 'Reset password of ops@example.com' }).click();
  const dialog = page.getByRole('dialog', { name: 'Reset the password of ops@example.com?' });
  await dialog.getByRole('button', { name: 'Reset password' }).click();
  await dialog.waitFor({ state: 'hidden' });
  const shown = page.getByRole('region', { name: 'New password for ops@example.com' });
  const password = (await shown.getByTestId('one-time-password').textContent()) ?? '';
  assert.match(password, /^[\w-]{24}$/);
  const ops = await dashboard.openPage({ as: { email: 'ops@example.com', password } });
  await ops.close();
  await shown.getByRole('button', { name: 'Done, hide it' }).click();
});

test('by keyboard alone, and at 390 px without sideways scrolling', async () => {
  const phone = await dashboard.openPage({ viewport: PHONE });
  try {
    await phone.goto('/admins');
    await phone.page.getByLabel('Email').focus();
    await phone.page.keyboard.type('keys@example.com');
    await phone.page.keyboard.press('Enter');
    const shown = phone.page.getByRole('region', { name: 'Admin keys@example.com created' });
    await visible(shown);
    assert.equal(await shown.evaluate((element) => element === document.activeElement), true, 'the password panel takes focus');
    const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.equal(overflow, 0, 'no sideways scrolling at 390 px');
    await phone.screenshot('admins-phone');
    await phone.page.keyboard.press('Tab');
    await phone.page.keyboard.press('Enter');
    await shown.waitFor({ state: 'detached' });
    assert.deepEqual(phone.pageErrors, []);
  } finally {
    await phone.close();
  }
  assert.deepEqual(dashboard.pageErrors, []);
});
