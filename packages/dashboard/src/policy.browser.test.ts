// The walk through the dashboard in headless Chromium against a started Gatehouse: create a
// resource, give a role the wildcard on it in the matrix, see the impact preview name the user who
// gains it, save; assign the role to a user and revoke it on the user's page; find those changes in
// the audit log with the admin as actor; ask who can and whether the user could at a time; roll the
// policy back from the history. Every step is checked in the page and, with the project secret, in
// what the server holds. Also: inline validation, the cascade confirmation, the B2B policy, the
// keyboard alone, and the 390 px layout. The tests run in order on one project (the dashboard's).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Dialog, Locator, Page } from 'playwright-core';
import { DESKTOP, PHONE, expectOk, startDashboard, type DashboardTest } from './testing/harness.ts';

const POLICY = {
  resources: [{ resource_id: 'documents', description: 'Documents', actions: ['read', 'write'] }],
  roles: [
    { role_id: 'stytch_user', description: 'Every user', permissions: [] },
    { role_id: 'editor', description: 'Edits documents', permissions: [{ resource_id: 'documents', actions: ['read'] }] },
  ],
  scopes: [],
};

let dashboard: DashboardTest;
let page: Page;
let adaId: string;
let bobId: string;
/** The policy version before the walk's save, which the rollback goes back to. */
let versionBeforeSave: number;
/** A moment just before the walk's save. */
let savedAt: string;

const api = async (method: string, path: string, body?: unknown) => expectOk(await dashboard.projectSecretApi(method, path, body));
const visible = (locator: Locator) => locator.waitFor({ state: 'visible' });
const checkbox = (name: string) => page.getByRole('checkbox', { name, exact: true });

before(async () => {
  dashboard = await startDashboard();
  page = dashboard.page;
  versionBeforeSave = (await api('PUT', '/v1/rbac/policy', { policy: POLICY })).policy_version;
  adaId = (await api('POST', '/v1/users', { email: 'ada@example.com', roles: ['editor'] })).user_id;
  bobId = (await api('POST', '/v1/users', { email: 'bob@example.com' })).user_id;
});

after(async () => {
  await dashboard?.close();
});

test('policy: create a resource, give editor its wildcard, the impact preview names Ada, save', async () => {
  await dashboard.goto('/policy');
  await visible(checkbox('editor: documents read'));
  assert.equal(await checkbox('editor: documents read').isChecked(), true);
  assert.equal(await page.getByRole('button', { name: 'Delete role stytch_user' }).count(), 0, 'the default role cannot be deleted');

  await page.getByLabel('Resource id').fill('reports');
  await page.getByLabel('Resource description').fill('Quarterly reports');
  await page.getByLabel('Actions', { exact: true }).fill('view, export');
  await page.getByRole('button', { name: 'Add resource' }).click();
  await checkbox('editor: reports *').check();
  // The wildcard covers the actions named one by one: they show as granted and cannot be unticked.
  assert.equal(await checkbox('editor: reports view').isChecked(), true);
  assert.equal(await checkbox('editor: reports view').isDisabled(), true);
  await visible(page.getByText('2 unsaved changes'));

  await page.getByRole('button', { name: 'Review changes' }).click();
  const review = page.getByRole('region', { name: 'Impact of these changes' });
  await visible(review);
  const gainers = review.getByRole('region', { name: 'users who gain or lose permissions' });
  await visible(gainers);
  const rows = await gainers.locator('tbody tr').allInnerTexts();
  assert.equal(rows.length, 1, `only Ada holds editor: ${rows.join(' | ')}`);
  assert.match(rows[0]!, /ada@example\.com/);
  assert.match(rows[0]!, /editor/);
  assert.match(rows[0]!, /reports: view, export/);
  await visible(review.getByText('1 user affected through their roles: 1 gain permissions, 0 lose permissions.'));
  await visible(review.getByRole('list', { name: 'Policy changes' }).getByText('Added resource reports with actions view, export'));
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-labelledby') !== null), true, 'the review takes focus');
  await dashboard.screenshot('policy-impact');

  // Nothing is written by the preview.
  assert.equal((await api('GET', '/v1/rbac/policy')).policy_version, versionBeforeSave);
  savedAt = new Date().toISOString();
  await review.getByRole('button', { name: 'Save policy' }).click();
  await visible(page.getByText(`Saved: the policy is now version ${versionBeforeSave + 1}.`));

  const saved = await api('GET', '/v1/rbac/policy');
  assert.equal(saved.policy_version, versionBeforeSave + 1);
  assert.deepEqual(saved.policy.resources[1], { resource_id: 'reports', description: 'Quarterly reports', actions: ['view', 'export'] });
  const editor = saved.policy.roles.find((role: { role_id: string }) => role.role_id === 'editor');
  assert.deepEqual(editor.permissions, [
    { resource_id: 'documents', actions: ['read'] },
    { resource_id: 'reports', actions: ['*'] },
  ]);
  await visible(page.getByText('no unsaved changes'));
  await dashboard.screenshot('policy');
});

test('policy: validation issues show next to the role and in a summary; the server refuses the same', async () => {
  await page.getByLabel('Role id').fill('stytch_auditor');
  await page.getByRole('button', { name: 'Add role' }).click();
  const card = page.getByRole('region', { name: 'stytch_auditor', exact: true });
  await visible(card.getByText('role id "stytch_auditor" is reserved'));
  const summary = page.locator('.issue-summary');
  await visible(summary.getByRole('link', { name: /stytch_auditor/ }));
  await dashboard.screenshot('policy-validation');

  await page.getByRole('button', { name: 'Review changes' }).click();
  await visible(summary.getByText('invalid_rbac_custom_role'));
  assert.equal(await page.getByRole('region', { name: 'Impact of these changes' }).count(), 0);
  // The summary's link leads to the role.
  await summary.getByRole('link', { name: /stytch_auditor/ }).click();
  assert.equal(await page.evaluate(() => document.activeElement?.querySelector('h3')?.textContent), 'stytch_auditor');

  await page.getByRole('button', { name: 'Discard changes' }).click();
  assert.equal(await card.count(), 0);
  assert.equal(await summary.count(), 0);
  assert.equal((await api('GET', '/v1/rbac/policy')).policy_version, versionBeforeSave + 1, 'nothing was written');
});

test("users: assign editor to Bob and revoke it on the user's page", async () => {
  await dashboard.goto(`/users/${bobId}`);
  await page.getByLabel('Role to assign').selectOption('editor');
  await page.getByRole('button', { name: 'Assign role' }).click();
  await visible(page.getByText('Assigned editor.'));
  assert.deepEqual((await api('GET', `/v1/users/${bobId}`)).roles, ['stytch_user', 'editor']);

  await page.getByRole('button', { name: 'Revoke editor' }).click();
  await visible(page.getByText('Revoked editor.'));
  assert.deepEqual((await api('GET', `/v1/users/${bobId}`)).roles, ['stytch_user']);
});

test('audit log: the policy change and the role changes, by the admin, newest first; a filter; an entry opened', async () => {
  await dashboard.goto('/audit');
  const entries = page.getByRole('region', { name: 'Audit log entries, newest first' });
  await visible(entries);
  // The names are looked up after the entries arrive: wait for them.
  await visible(entries.locator('tbody tr').first().getByRole('link', { name: 'bob@example.com' }));
  const rows = (await entries.locator('tbody tr').allInnerTexts()).map((row) => row.replace(/\s+/g, ' '));
  // People by email (linked), the admin by email, the policy by its kind.
  const actor = `${dashboard.admin.email} \\(admin\\)`;
  assert.match(rows[0]!, new RegExp(`${actor} user.roles.updated bob@example.com`), rows[0]);
  assert.match(rows[1]!, new RegExp(`${actor} user.roles.updated bob@example.com`), rows[1]);
  assert.match(rows[2]!, new RegExp(`${actor} policy.updated consumer policy`), rows[2]);
  assert.equal(await entries.locator('tbody tr').first().getByRole('link', { name: 'bob@example.com' }).getAttribute('href'), `/dashboard/users/${bobId}`);

  await page.getByLabel('Action', { exact: true }).fill('policy.*');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.waitForURL(/\/audit\?action=policy\.\*$/);
  // The secret's policy write and the admin's save, and nothing else.
  await page.waitForFunction(() => {
    const rows = Array.from(document.querySelectorAll('.table-scroll tbody tr'));
    return rows.length === 2 && rows.every((row) => row.textContent?.includes('policy.updated'));
  });
  assert.match(await entries.locator('tbody tr').last().innerText(), /project secret …/);

  await entries.getByRole('button', { name: /^Show details of policy.updated/ }).first().click();
  const details = entries.locator('tr.entry-details');
  await visible(details.getByText(`Version ${versionBeforeSave} → ${versionBeforeSave + 1}`));
  await visible(details.getByText('Added resource reports with actions view, export'));
  await visible(details.getByText('gains reports: *'));
  await dashboard.screenshot('audit');

  // The revocation's entry: roles before and after.
  await dashboard.goto(`/audit?target_id=${bobId}`);
  await entries.getByRole('button', { name: /^Show details of user.roles.updated/ }).first().click();
  await visible(entries.locator('tr.entry-details').getByText('roles', { exact: true }));
});

test('who can: Ada can view reports through editor, assigned directly', async () => {
  await dashboard.goto('/who-can');
  await page.getByLabel('Resource', { exact: true }).selectOption('reports');
  await page.getByLabel('Action', { exact: true }).selectOption('view');
  await page.getByRole('button', { name: 'Ask' }).click();
  const holders = page.getByRole('region', { name: 'users who can view on reports' });
  await visible(holders);
  assert.deepEqual(await holders.getByRole('link').allTextContents(), ['ada@example.com']);
  await visible(holders.getByText('editor · direct_assignment'));
  await visible(page.getByText('Granted by editor (through *)'));
  assert.match(page.url(), /resource_id=reports&action=view$/);
  await dashboard.screenshot('who-can');
});

test('access at a time: Ada, picked by email, could view reports after the save, not before', async () => {
  await dashboard.goto('/access-at');
  assert.equal(await page.getByRole('button', { name: 'Ask' }).isDisabled(), true, 'nobody picked yet');
  await page.getByLabel('User', { exact: true }).fill('ada@');
  await page.getByRole('group', { name: 'Matches for user' }).getByRole('button', { name: 'ada@example.com' }).click();
  await visible(page.getByText(`Chosen: ${adaId}`));
  await page.getByLabel('Resource', { exact: true }).fill('reports');
  await page.getByLabel('Action', { exact: true }).fill('view');
  await page.getByRole('button', { name: 'Ask' }).click();
  const answer = page.getByRole('region', { name: /^Yes: ada@example.com could view on reports/ });
  await visible(answer);
  assert.match(page.url(), new RegExp(`user_id=${adaId}`));
  await visible(answer.getByText('editor · direct_assignment'));
  await visible(answer.getByRole('link', { name: `version ${versionBeforeSave + 1}` }));
  await dashboard.screenshot('access-at');

  // Just before the save: Ada held editor, and editor had nothing on reports (which did not exist).
  await dashboard.goto(`/access-at?user_id=${adaId}&resource_id=reports&action=view&at=${encodeURIComponent(savedAt)}`);
  const no = page.getByRole('region', { name: /^No: ada@example.com could not/ });
  await visible(no);
  assert.equal(await page.getByLabel('User', { exact: true }).inputValue(), 'ada@example.com', 'the id in the URL is shown as the email');
  assert.match(await no.innerText(), new RegExp(`Policy version in force\\s+version ${versionBeforeSave}\\s`));
});

test('policy history: compare, then roll back to the version before the save; the new version equals it', async () => {
  const saved = versionBeforeSave + 1;
  await dashboard.goto('/policy/history');
  const versions = page.getByRole('region', { name: 'Policy versions, newest first' });
  await visible(versions);
  const numbers = await versions.locator('tbody th').allInnerTexts();
  assert.deepEqual(numbers.map((text) => Number.parseInt(text, 10)), Array.from({ length: saved }, (_, i) => saved - i));
  await visible(versions.getByText('+ resource reports'));

  await page.getByRole('button', { name: `Changes in version ${saved}` }).click();
  const diff = page.getByRole('region', { name: `Changes from version ${versionBeforeSave} to version ${saved}` });
  await visible(diff.getByText('Added resource reports with actions view, export'));
  await visible(diff.getByText('reports: *'));
  await dashboard.screenshot('policy-history');
  await page.keyboard.press('Escape');
  assert.equal(await diff.count(), 0, 'Escape closes the diff');

  await page.getByRole('button', { name: `Roll back to version ${versionBeforeSave}` }).click();
  const dialog = page.getByRole('dialog', { name: `Roll back to version ${versionBeforeSave}?` });
  await visible(dialog.getByText('Removed resource reports'));
  await dashboard.screenshot('policy-rollback');
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  assert.equal((await api('GET', '/v1/rbac/policy')).policy_version, saved, 'Escape cancels');

  await page.getByRole('button', { name: `Roll back to version ${versionBeforeSave}` }).click();
  await dialog.getByRole('button', { name: `Roll back to version ${versionBeforeSave}` }).click();
  await visible(page.getByText(`Rolled back to version ${versionBeforeSave}: the policy is now version ${saved + 1}.`));
  // The list reloads: the new version on top, the current one.
  await visible(versions.locator('tbody tr').first().locator('th', { hasText: new RegExp(`^${saved + 1} current$`) }));

  const current = await api('GET', '/v1/rbac/policy');
  const old = await api('GET', `/v1/rbac/policy/versions/${versionBeforeSave}`);
  assert.equal(current.policy_version, saved + 1);
  assert.deepEqual(current.policy, old.policy);

  await dashboard.goto('/audit?action=policy.rolled_back');
  await visible(page.getByRole('region', { name: 'Audit log entries, newest first' }).getByRole('link', { name: dashboard.admin.email }));
});

test('policy: removing a role that is assigned needs the cascade confirmation, which says how many go', async () => {
  await dashboard.goto('/policy');
  await page.getByRole('button', { name: 'Delete role editor' }).click();
  await page.getByRole('button', { name: 'Review changes' }).click();
  const review = page.getByRole('region', { name: 'Impact of these changes' });
  await visible(review.getByText('Saving revokes 1 assignment: editor (1).'));
  const save = review.getByRole('button', { name: 'Save policy' });
  assert.equal(await save.isDisabled(), true, 'saving waits for the confirmation');
  await dashboard.screenshot('policy-cascade');
  await review.getByLabel(/revoke these roles from the users who hold them/).check();
  await save.click();
  await visible(page.getByText(/Saved: the policy is now version \d+\. Revoked editor from 1\./));
  assert.deepEqual((await api('GET', `/v1/users/${adaId}`)).roles, ['stytch_user']);
  const roles = (await api('GET', '/v1/rbac/policy')).policy.roles.map((role: { role_id: string }) => role.role_id);
  assert.deepEqual(roles, ['stytch_user']);
});

test('policy: leaving with an unsaved draft asks first; cancelling keeps the page and the draft', async () => {
  await dashboard.goto('/policy');
  await page.getByLabel('Role id').fill('drafted');
  await page.getByRole('button', { name: 'Add role' }).click();
  await visible(page.getByText('1 unsaved change'));
  const asked: string[] = [];
  const cancel = (dialog: Dialog) => {
    asked.push(dialog.message());
    void dialog.dismiss();
  };
  page.on('dialog', cancel);
  try {
    await page.getByRole('navigation', { name: 'Policy kind' }).getByRole('link', { name: 'B2B' }).click();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
    const question = 'The consumer policy has unsaved changes. Leave and discard them?';
    assert.deepEqual(asked, [question, question]);
    await visible(page.getByRole('heading', { level: 1, name: 'Consumer policy' }));
    assert.match(page.url(), /\/dashboard\/policy$/);
    await visible(page.getByRole('region', { name: 'drafted', exact: true }));
    // A reload or closing the tab: the beforeunload handler asks the browser to prompt.
    assert.equal(await page.evaluate(() => !window.dispatchEvent(new Event('beforeunload', { cancelable: true }))), true);

    await page.getByRole('button', { name: 'Discard changes' }).click();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
    await visible(page.getByRole('heading', { level: 1, name: 'Users' }));
    assert.equal(asked.length, 2, 'without a draft, nothing is asked');
  } finally {
    page.off('dialog', cancel);
  }
});

test('B2B policy: built-in stytch.* resources read-only, stytch_admin kept, a new role granted a built-in permission', async () => {
  await dashboard.goto('/policy?kind=b2b');
  await visible(page.getByRole('heading', { name: 'B2B policy' }));
  await visible(page.getByText(/Built-in resources \(5, read-only\)/));
  assert.equal(await page.getByRole('button', { name: 'Delete role stytch_admin' }).count(), 0);
  assert.equal(await page.getByRole('button', { name: 'Remove resource stytch.member' }).count(), 0);
  // The built-ins are collapsed, one group per resource, the summary saying what the role holds.
  const adminBuiltIns = page.getByRole('list', { name: 'Built-in permissions of stytch_admin' });
  await visible(adminBuiltIns.locator('summary').filter({ hasText: 'stytch.member' }).getByText('all (*)'));
  await adminBuiltIns.getByText('stytch.member').click();
  assert.equal(await checkbox('stytch_admin: stytch.member *').isChecked(), true);
  await dashboard.screenshot('policy-b2b');

  await page.getByLabel('Role id').fill('auditor');
  await page.getByRole('button', { name: 'Add role' }).click();
  const card = page.getByRole('region', { name: 'auditor', exact: true });
  await card.getByText('Built-in resources (stytch.*)').click();
  await card.getByRole('list', { name: 'Built-in permissions of auditor' }).getByText('stytch.member').click();
  await checkbox('auditor: stytch.member search').check();
  await page.getByRole('button', { name: 'Review changes' }).click();
  await page.getByRole('region', { name: 'Impact of these changes' }).getByRole('button', { name: 'Save policy' }).click();
  await visible(page.getByText(/Saved: the policy is now version/));
  const auditor = (await api('GET', '/v1/b2b/rbac/policy')).policy.roles.find((role: { role_id: string }) => role.role_id === 'auditor');
  assert.deepEqual(auditor.permissions, [{ resource_id: 'stytch.member', actions: ['search'] }]);

  // Who can search members of Acme: Mia, through auditor; Max of another organization is not listed.
  const acme = (await api('POST', '/v1/b2b/organizations', { organization_name: 'Acme' })).organization.organization_id;
  const globex = (await api('POST', '/v1/b2b/organizations', { organization_name: 'Globex' })).organization.organization_id;
  await api('POST', `/v1/b2b/organizations/${acme}/members`, { email_address: 'mia@acme.com', roles: ['auditor'] });
  await api('POST', `/v1/b2b/organizations/${globex}/members`, { email_address: 'max@globex.com', roles: ['auditor'] });
  await dashboard.goto('/who-can?kind=b2b');
  await page.getByLabel('Resource', { exact: true }).selectOption('stytch.member');
  await page.getByLabel('Action', { exact: true }).selectOption('search');
  await page.getByLabel('Organization', { exact: true }).selectOption({ label: 'Acme' });
  await page.getByRole('button', { name: 'Ask' }).click();
  const holders = page.getByRole('region', { name: 'members who can search on stytch.member' });
  await visible(holders);
  assert.deepEqual(await holders.getByRole('link').allTextContents(), ['mia@acme.com', 'Acme']);
  await visible(holders.getByText('auditor · direct_assignment'));
  const granting = page.locator('section[aria-labelledby="answer-title"] p').first();
  assert.deepEqual(await granting.locator('.tag').allTextContents(), ['stytch_admin (through *)', 'auditor']);
  await dashboard.screenshot('who-can-b2b');
});

/** Presses Tab (or Shift+Tab) until the focused element has this accessible label or text. */
async function tabTo(target: Page, name: string, { backwards = false, limit = 200 } = {}): Promise<void> {
  for (let i = 0; i < limit; i++) {
    await target.keyboard.press(backwards ? 'Shift+Tab' : 'Tab');
    const focused = await target.evaluate(() => {
      const element = document.activeElement as HTMLElement | null;
      return element?.getAttribute('aria-label') ?? element?.innerText?.trim() ?? '';
    });
    if (focused === name) return;
  }
  throw new Error(`Tab never reached "${name}"`);
}

test('keyboard alone: sign in, grant a permission in the matrix, review and save', async () => {
  await api('PUT', '/v1/rbac/policy', { policy: POLICY });
  const context = await dashboard.browser.newContext({ viewport: DESKTOP, baseURL: dashboard.baseUrl });
  const keyboardPage = await context.newPage();
  try {
    await keyboardPage.goto('/dashboard/');
    // The email field has focus on arrival.
    await keyboardPage.getByLabel('Email').waitFor();
    await keyboardPage.keyboard.type(dashboard.admin.email);
    await keyboardPage.keyboard.press('Tab');
    await keyboardPage.keyboard.type(dashboard.admin.password);
    await keyboardPage.keyboard.press('Enter');
    await keyboardPage.getByRole('heading', { name: 'Overview' }).waitFor();

    await tabTo(keyboardPage, 'Policy');
    await keyboardPage.keyboard.press('Enter');
    await keyboardPage.getByRole('heading', { name: 'Consumer policy' }).waitFor();
    await tabTo(keyboardPage, 'editor: documents write');
    await keyboardPage.keyboard.press('Space');
    assert.equal(await keyboardPage.getByRole('checkbox', { name: 'editor: documents write', exact: true }).isChecked(), true);
    await tabTo(keyboardPage, 'Review changes', { backwards: true });
    await keyboardPage.keyboard.press('Enter');
    await keyboardPage.getByRole('region', { name: 'Impact of these changes' }).waitFor();
    await tabTo(keyboardPage, 'Save policy');
    await keyboardPage.keyboard.press('Enter');
    await keyboardPage.getByText(/Saved: the policy is now version/).waitFor();

    const editor = (await api('GET', '/v1/rbac/policy')).policy.roles.find((role: { role_id: string }) => role.role_id === 'editor');
    assert.deepEqual(editor.permissions, [{ resource_id: 'documents', actions: ['read', 'write'] }]);
  } finally {
    await context.close();
  }
});

test('390 px: every page of this walk fits the width, the menu opens, screenshots', async () => {
  const phone = await dashboard.openPage({ viewport: PHONE });
  try {
    const pages: [string, string, string][] = [
      ['/policy', 'policy-phone', 'Consumer policy'],
      ['/policy/history', 'policy-history-phone', 'Policy history'],
      ['/who-can?resource_id=documents&action=read', 'who-can-phone', 'Who can?'],
      [`/access-at?user_id=${adaId}&resource_id=documents&action=read&at=${encodeURIComponent(new Date().toISOString())}`, 'access-at-phone', 'Access at a time'],
      ['/audit', 'audit-phone', 'Audit log'],
    ];
    for (const [path, name, title] of pages) {
      await phone.goto(path);
      await phone.page.getByRole('heading', { level: 1, name: title }).waitFor();
      await phone.page.waitForLoadState('networkidle');
      const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${path} is ${overflow} px wider than the phone`);
      await phone.screenshot(name);
    }
    await phone.page.getByRole('button', { name: 'Menu' }).click();
    await phone.page.getByRole('link', { name: 'Who can?' }).click();
    await phone.page.getByRole('heading', { level: 1, name: 'Who can?' }).waitFor();
    assert.deepEqual(phone.pageErrors, []);
  } finally {
    await phone.close();
  }
  assert.deepEqual(dashboard.pageErrors, [], 'no script errors or CSP refusals in the page');
});
