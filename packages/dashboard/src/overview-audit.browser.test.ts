// The overview (counts, getting-started steps, recent changes) and the audit log naming people and
// things, in headless Chromium at 1280 and 390 px. The project is set up with its secret, so the
// entries' actor is a project secret; the admin's own change is made through the page.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { B2BProject } from '@gatehouse/server/testing';
import { PHONE, expectOk, startDashboard, type DashboardTest } from './testing/harness.ts';

let dashboard: DashboardTest;
let page: Page;
let ada: { user_id: string };
let peter: { member_id: string; organization_id: string };

before(async () => {
  dashboard = await startDashboard();
  page = dashboard.page;
  const api = async (method: string, path: string, body?: unknown) => expectOk(await dashboard.projectSecretApi(method, path, body));
  await api('PUT', '/v1/rbac/policy', {
    policy: {
      resources: [{ resource_id: 'documents', description: '', actions: ['read', 'write'] }],
      roles: [
        { role_id: 'stytch_user', description: '', permissions: [] },
        { role_id: 'editor', description: '', permissions: [{ resource_id: 'documents', actions: ['read', 'write'] }] },
      ],
      scopes: [],
    },
  });
  ada = await api('POST', '/v1/users', { email: 'ada@example.com', name: { first_name: 'Ada', last_name: 'Lovelace' }, roles: ['editor'] });
  await new B2BProject(dashboard.server, dashboard.project).putPolicy({
    resources: [],
    roles: [{ role_id: 'stytch_member', description: '', permissions: [] }, { role_id: 'stytch_admin', description: '', permissions: [] }],
    scopes: [],
  });
  const { organization } = await api('POST', '/v1/b2b/organizations', { organization_name: 'Initech', organization_slug: 'initech' });
  ({ member: peter } = await api('POST', `/v1/b2b/organizations/${organization.organization_id}/members`, { email_address: 'peter@initech.example', name: 'Peter Gibbons' }));
});

after(async () => {
  await dashboard?.close();
});

const visible = (locator: Locator) => locator.waitFor({ state: 'visible' });
/** How many lines a cell's text takes. */
const lines = (cell: Locator) => cell.evaluate((element) => Math.round(element.getBoundingClientRect().height / parseFloat(getComputedStyle(element).lineHeight)));

test('overview: counts, getting-started steps ticked off, recent changes by name', async () => {
  await dashboard.goto('/');
  const counts = page.getByRole('list', { name: 'Counts' });
  await visible(counts);
  assert.deepEqual(await counts.getByRole('link').allInnerTexts(), ['1\nUsers', '1\nOrganizations', '1\nMembers', '2\nConsumer roles', '2\nB2B roles', '1\nResources']);
  const steps = page.getByRole('region', { name: /Getting started/ });
  await visible(steps.getByText('(3 of 4 done)'));
  assert.equal(await steps.locator('li.done').count(), 3);
  await visible(steps.locator('li:not(.done)').getByRole('link', { name: 'OAuth providers' }));

  const recent = page.getByRole('region', { name: 'Recent changes' });
  const adaLink = recent.getByRole('link', { name: 'ada@example.com' });
  await visible(adaLink);
  assert.equal(await adaLink.getAttribute('href'), `/dashboard/users/${ada.user_id}`);
  await visible(recent.getByRole('link', { name: 'peter@initech.example' }));
  assert.equal(await recent.getByText(/secret-id-/).count(), 0, 'no raw secret id');
  await visible(recent.getByText(/project secret …/).first());
  await dashboard.screenshot('overview');
  assert.deepEqual(dashboard.pageErrors, []);
});

test('audit log: people by email and name, linked; organizations by name; the secret readable; the time on one line', async () => {
  await dashboard.goto('/audit');
  const table = page.getByRole('region', { name: 'Audit log entries, newest first' });
  const memberRow = table.getByRole('row').filter({ hasText: 'member.created' });
  const peterLink = memberRow.getByRole('link', { name: 'peter@initech.example' });
  await visible(peterLink);
  assert.equal(await peterLink.getAttribute('href'), `/dashboard/members/${peter.organization_id}/${peter.member_id}`);
  await visible(memberRow.getByText('(Peter Gibbons)'));
  await visible(memberRow.getByRole('link', { name: 'Initech', exact: true }));
  const userRow = table.getByRole('row').filter({ hasText: 'user.created' });
  await visible(userRow.getByRole('link', { name: 'ada@example.com' }));
  await visible(userRow.getByText('(Ada Lovelace)'));
  const actor = userRow.locator('td').nth(1);
  assert.match(await actor.innerText(), /^project secret …[0-9a-f-]{8}$/);
  assert.equal(await lines(userRow.locator('time')), 1, 'the time takes one line');
  await dashboard.screenshot('audit-names');

  // Following a name opens that page.
  await peterLink.click();
  await visible(page.getByRole('heading', { level: 1, name: 'peter@initech.example' }));

  const phone = await dashboard.openPage({ viewport: PHONE });
  try {
    await phone.goto('/audit');
    const row = phone.page.getByRole('region', { name: 'Audit log entries, newest first' }).getByRole('row').filter({ hasText: 'user.created' });
    await visible(row.getByRole('link', { name: 'ada@example.com' }));
    assert.equal(await lines(row.locator('time')), 1, 'the time takes one line at 390 px');
    await phone.screenshot('audit-names-phone');
    await phone.goto('/');
    await visible(phone.page.getByRole('region', { name: 'Recent changes' }).getByRole('link', { name: 'ada@example.com' }));
    await phone.screenshot('overview-phone');
    assert.deepEqual(phone.pageErrors, []);
  } finally {
    await phone.close();
  }
});
