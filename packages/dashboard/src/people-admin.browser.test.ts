// Adding and removing people through the dashboard, in headless Chromium at 1280 and 390 px: a user
// and a member created, another of each invited by email, a password reset sent from the person's
// page, and each deleted. Each step is checked in what the server holds (read with the project
// secret) and in the outbox, where the messages land when no SMTP server is set.
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
/** The messages sent to `to`, once there are `count` (a reset is mailed in the background). */
async function outbox(to: string, count = 1): Promise<{ kind: string; subject: string }[]> {
  for (let tries = 0; ; tries++) {
    const messages = (await api('GET', `/v1/project/outbox?to=${encodeURIComponent(to)}`)).messages;
    if (messages.length >= count || tries === 50) return messages;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Buttons of the page past a 390 px screen's edge. */
const cutOff = (target: Page) =>
  target.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLElement>('main button'))
      .filter((button) => button.getBoundingClientRect().width > 0 && button.getBoundingClientRect().right > window.innerWidth)
      .map((button) => button.textContent),
  );

test('users: create one, invite another, send a password reset, delete', async () => {
  await dashboard.goto('/users');
  await page.getByRole('button', { name: 'New user' }).click();
  const form = page.getByRole('form', { name: 'New user' });
  await form.getByLabel('Email').fill('grace@example.com');
  await form.getByLabel('Name').fill('Grace Hopper');
  await form.getByRole('button', { name: 'Create user' }).click();
  await visible(page.getByRole('heading', { level: 1, name: 'grace@example.com' }));
  const [grace] = (await api('POST', '/v1/users/search', { query: { operator: 'AND', operands: [{ filter_name: 'email_address', filter_value: ['grace@example.com'] }] } })).results;
  assert.deepEqual([grace.name.first_name, grace.name.last_name, grace.status], ['Grace', 'Hopper', 'active']);
  assert.match(page.url(), new RegExp(`/dashboard/users/${grace.user_id}$`));

  // A password reset from her page: the email is in the outbox.
  await page.getByRole('button', { name: 'Send password reset' }).click();
  await visible(page.getByText('A password reset email was sent to grace@example.com.'));
  assert.equal((await outbox('grace@example.com')).length, 1);
  await dashboard.screenshot('user-actions');

  // Invited: pending, with an invite in the outbox.
  await dashboard.goto('/users');
  await page.getByRole('button', { name: 'New user' }).click();
  await form.getByLabel('Email').fill('linus@example.com');
  await form.getByRole('button', { name: 'Invite by email' }).click();
  await visible(page.getByRole('heading', { level: 1, name: 'linus@example.com' }));
  const [linus] = (await api('POST', '/v1/users/search', { query: { operator: 'AND', operands: [{ filter_name: 'email_address', filter_value: ['linus@example.com'] }] } })).results;
  assert.equal(linus.status, 'pending');
  assert.equal((await outbox('linus@example.com')).length, 1);

  // Deleted, after a confirmation: back on the list, and gone from the server.
  await page.getByRole('button', { name: 'Delete user' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete linus@example.com?' });
  await dialog.getByRole('button', { name: 'Delete user' }).click();
  await visible(page.getByRole('heading', { level: 1, name: 'Users' }));
  assert.equal((await dashboard.projectSecretApi('GET', `/v1/users/${linus.user_id}`)).status, 404);

  // At 390 px: the form and the account buttons are on screen.
  const phone = await dashboard.openPage({ viewport: PHONE });
  try {
    await phone.goto('/users');
    await phone.page.getByRole('button', { name: 'New user' }).click();
    await visible(phone.page.getByRole('button', { name: 'Invite by email' }));
    assert.deepEqual(await cutOff(phone.page), []);
    await phone.screenshot('new-user-phone');
    await phone.goto(`/users/${grace.user_id}`);
    await visible(phone.page.getByRole('button', { name: 'Delete user' }));
    assert.deepEqual(await cutOff(phone.page), []);
    await phone.screenshot('user-actions-phone');
    assert.deepEqual(phone.pageErrors, []);
  } finally {
    await phone.close();
  }
  assert.deepEqual(dashboard.pageErrors, []);
});

test('members: create one in an organization, invite another, send a password reset, delete', async () => {
  const project = new B2BProject(dashboard.server, dashboard.project);
  await project.putPolicy({ resources: [], roles: [{ role_id: 'stytch_member', description: '', permissions: [] }, { role_id: 'stytch_admin', description: '', permissions: [] }], scopes: [] });
  const { organization } = await api('POST', '/v1/b2b/organizations', { organization_name: 'Initech', organization_slug: 'initech' });
  const orgId: string = organization.organization_id;

  await dashboard.goto('/members');
  await page.getByRole('button', { name: 'New member' }).click();
  const form = page.getByRole('form', { name: 'New member' });
  await form.getByLabel('Organization').selectOption({ label: 'Initech' });
  await form.getByLabel('Email').fill('peter@initech.example');
  await form.getByLabel('Name').fill('Peter Gibbons');
  await form.getByRole('button', { name: 'Create member' }).click();
  await visible(page.getByRole('heading', { level: 1, name: 'peter@initech.example' }));
  const [peter] = (await api('POST', '/v1/b2b/organizations/members/search', { organization_ids: [orgId], query: { operator: 'AND', operands: [{ filter_name: 'member_emails', filter_value: ['peter@initech.example'] }] } })).members;
  assert.deepEqual([peter.name, peter.status], ['Peter Gibbons', 'active']);

  await page.getByRole('button', { name: 'Send password reset' }).click();
  await visible(page.getByText('A password reset email was sent to peter@initech.example.'));
  assert.equal((await outbox('peter@initech.example')).length, 1);
  await dashboard.screenshot('member-actions');

  await dashboard.goto(`/members?organization=${orgId}`);
  await page.getByRole('button', { name: 'New member' }).click();
  assert.equal(await form.getByLabel('Organization').inputValue(), orgId, 'the organization searched is picked');
  await form.getByLabel('Email').fill('milton@initech.example');
  await form.getByRole('button', { name: 'Invite by email' }).click();
  await visible(page.getByRole('heading', { level: 1, name: 'milton@initech.example' }));
  const [milton] = (await api('POST', '/v1/b2b/organizations/members/search', { organization_ids: [orgId], query: { operator: 'AND', operands: [{ filter_name: 'member_emails', filter_value: ['milton@initech.example'] }] } })).members;
  assert.equal(milton.status, 'invited');
  assert.equal((await outbox('milton@initech.example')).length, 1);

  await page.getByRole('button', { name: 'Delete member' }).click();
  await page.getByRole('dialog', { name: 'Delete milton@initech.example?' }).getByRole('button', { name: 'Delete member' }).click();
  await visible(page.getByRole('heading', { level: 1, name: 'Members' }));
  assert.equal((await dashboard.projectSecretApi('GET', `/v1/b2b/organizations/${orgId}/member?member_id=${milton.member_id}`)).status, 404);

  const phone = await dashboard.openPage({ viewport: PHONE });
  try {
    await phone.goto(`/members/${orgId}/${peter.member_id}`);
    await visible(phone.page.getByRole('button', { name: 'Delete member' }));
    assert.deepEqual(await cutOff(phone.page), []);
    assert.deepEqual(phone.pageErrors, []);
  } finally {
    await phone.close();
  }
  assert.deepEqual(dashboard.pageErrors, []);
});
