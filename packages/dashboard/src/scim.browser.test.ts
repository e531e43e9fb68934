// The organization page's SCIM section in headless Chromium, at 1280 and at 390 px: create the
// connection through the page and read its token (shown once), let an "IdP" (this test, over the real
// SCIM endpoint with that token) push a user and a group, see the group with its member count, add a
// group role rule and check over /v1 that the member holds the role from the group, rotate, delete.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { B2BProject, B2B_POLICY } from '@gatehouse/server/testing';
import { PHONE, DESKTOP, expectOk, startDashboard, type DashboardTest, type Viewport } from './testing/harness.ts';

let dashboard: DashboardTest;
let project: B2BProject;

before(async () => {
  dashboard = await startDashboard();
  project = new B2BProject(dashboard.server, dashboard.project);
  await project.putPolicy(B2B_POLICY);
});

after(async () => {
  await dashboard?.close();
});

const api = async (method: string, path: string, body?: unknown) => expectOk(await dashboard.projectSecretApi(method, path, body));

/** The IdP's request to the connection's base_url with a bearer token, as Okta sends it. */
function scim(baseUrl: string, token: string, method: string, path: string, body?: unknown) {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/scim+json' };
  if (body !== undefined) headers['content-type'] = 'application/scim+json';
  return dashboard.server.raw(`${new URL(baseUrl).pathname}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

for (const viewport of [DESKTOP, PHONE] satisfies Viewport[]) {
  test(`scim at ${viewport.width}px: create (token once), the IdP pushes a group, a group rule gives its member the role, rotate, delete`, async () => {
    const browser = await dashboard.openPage({ viewport });
    const { page } = browser;
    try {
      const organizationId: string = (await api('POST', '/v1/b2b/organizations', { organization_name: `Scim ${viewport.width}` })).organization.organization_id;
      await browser.goto(`/organizations/${organizationId}`);

      // Create: the token is shown once, with the copy hint; the server holds only its last four.
      await page.getByLabel('SCIM display name').fill('Okta');
      await page.getByLabel('SCIM identity provider').selectOption('okta');
      await page.getByRole('button', { name: 'Create SCIM connection' }).click();
      const shown = page.getByRole('alert', { name: 'Token shown once' });
      await shown.waitFor();
      assert.match(await shown.innerText(), /shown this once/);
      const token = (await shown.locator('code.secret').innerText()).trim();
      const connection = (await api('GET', `/v1/b2b/scim/${organizationId}/connection`)).connection;
      assert.equal(connection.display_name, 'Okta');
      assert.equal(connection.identity_provider, 'okta');
      assert.equal(connection.bearer_token_last_four, token.slice(-4));
      const article = page.getByRole('article', { name: 'SCIM connection Okta' });
      await article.getByText(connection.base_url, { exact: true }).waitFor();
      if (viewport === PHONE) await browser.screenshot('organization-scim-phone');
      else await browser.screenshot('organization-scim');
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px at ${viewport.width}px`);
      // Shown once: after a reload only the last four are there.
      await browser.goto(`/organizations/${organizationId}`);
      await article.waitFor();
      assert.equal(await page.getByRole('alert', { name: 'Token shown once' }).count(), 0);
      assert.equal(await page.getByText(token).count(), 0, 'the token is not shown again');

      // The IdP pushes a user and a group holding it, over the real SCIM endpoint.
      const user = await scim(connection.base_url, token, 'POST', '/Users', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `ann-${viewport.width}@acme.com`,
        emails: [{ primary: true, value: `ann-${viewport.width}@acme.com`, type: 'work' }], name: { givenName: 'Ann', familyName: 'Lee' }, active: true,
      });
      assert.equal(user.status, 201, JSON.stringify(user.body));
      const memberId: string = user.body.id;
      const group = await scim(connection.base_url, token, 'POST', '/Groups', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Engineering', members: [{ value: memberId }],
      });
      assert.equal(group.status, 201, JSON.stringify(group.body));

      // The page shows the group with its member count.
      await article.getByRole('button', { name: 'Refresh groups' }).click();
      const groups = article.getByRole('region', { name: 'SCIM groups' });
      const row = groups.getByRole('row').filter({ hasText: 'Engineering' });
      await row.waitFor();
      assert.deepEqual((await row.getByRole('cell').allInnerTexts()).slice(0, 2), ['Engineering', '1']);

      // A group rule: Engineering → editor; the member now holds editor from the SCIM group.
      const form = article.getByRole('form', { name: 'Add to SCIM group role rules' });
      await form.getByLabel('SCIM group').selectOption({ label: 'Engineering' });
      await form.getByLabel('Role').selectOption('editor');
      await form.getByRole('button', { name: 'Add rule' }).click();
      await article.getByRole('status').filter({ hasText: 'Added Engineering → editor.' }).waitFor();
      await article.getByRole('region', { name: 'SCIM group role rules' }).getByRole('cell').filter({ hasText: /^Engineering$/ }).waitFor();
      const rules = (await api('GET', `/v1/b2b/scim/${organizationId}/connection`)).connection.scim_group_implicit_role_assignments;
      assert.deepEqual(rules, [{ role_id: 'editor', group_id: group.body.id, group_name: 'Engineering' }]);
      const member = (await api('GET', `/v1/b2b/organizations/${organizationId}/member?member_id=${memberId}`)).member;
      assert.deepEqual(member.roles.find((role: { role_id: string }) => role.role_id === 'editor')?.sources,
        [{ type: 'scim_connection_group', details: { connection_id: connection.connection_id, group_id: group.body.id } }]);

      // Rotate: the new token shows once; both work until complete, then only the new one.
      await article.getByRole('button', { name: 'Rotate token' }).click();
      await shown.waitFor();
      const next = (await shown.locator('code.secret').innerText()).trim();
      assert.notEqual(next, token);
      assert.equal((await scim(connection.base_url, token, 'GET', '/Users')).status, 200);
      assert.equal((await scim(connection.base_url, next, 'GET', '/Users')).status, 200);
      await article.getByRole('button', { name: 'Complete rotation' }).click();
      await page.getByRole('status').filter({ hasText: 'Rotation completed' }).first().waitFor();
      assert.equal((await scim(connection.base_url, token, 'GET', '/Users')).status, 401);
      assert.equal((await scim(connection.base_url, next, 'GET', '/Users')).status, 200);
      assert.equal((await api('GET', `/v1/b2b/scim/${organizationId}/connection`)).connection.bearer_token_last_four, next.slice(-4));
      // A rotation cancelled leaves the token as it was.
      await article.getByRole('button', { name: 'Rotate token' }).click();
      await article.getByRole('button', { name: 'Cancel rotation' }).click();
      await article.getByRole('button', { name: 'Rotate token' }).waitFor();
      assert.equal((await scim(connection.base_url, next, 'GET', '/Users')).status, 200);

      // Delete (confirmed): the form to create one is back; the server has none; the member stays.
      page.once('dialog', (dialog) => void dialog.accept());
      await article.getByRole('button', { name: 'Delete SCIM connection' }).click();
      await page.getByRole('button', { name: 'Create SCIM connection' }).waitFor();
      assert.equal((await api('GET', `/v1/b2b/scim/${organizationId}/connection`)).connection, undefined);
      assert.equal((await scim(connection.base_url, next, 'GET', '/Users')).status, 401);
      const remaining = (await api('GET', `/v1/b2b/organizations/${organizationId}/member?member_id=${memberId}`)).member;
      assert.equal(remaining.roles.some((role: { role_id: string }) => role.role_id === 'editor'), false, 'the group role went with the connection');
      assert.deepEqual(browser.pageErrors, []);
    } finally {
      await browser.close();
    }
  });
}
