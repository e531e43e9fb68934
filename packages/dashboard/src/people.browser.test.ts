// The users, members, organizations and outbox pages in headless Chromium against a started Gatehouse:
// each step is done through the page as an admin would, and then checked twice — what the page shows,
// and what the server holds (read with the project secret).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { B2BProject, PASSWORD } from '@gatehouse/server/testing';
import { PHONE, expectOk, startDashboard, type DashboardTest } from './testing/harness.ts';

const CONSUMER_POLICY = {
  resources: [{ resource_id: 'documents', description: 'Documents', actions: ['read', 'write', 'delete'] }],
  roles: [
    { role_id: 'stytch_user', description: 'Every user', permissions: [{ resource_id: 'documents', actions: ['read'] }] },
    { role_id: 'editor', description: 'Edits documents', permissions: [{ resource_id: 'documents', actions: ['read', 'write'] }] },
    { role_id: 'viewer', description: 'Reads documents', permissions: [{ resource_id: 'documents', actions: ['read'] }] },
  ],
  scopes: [],
};

let dashboard: DashboardTest;
let page: Page;

before(async () => {
  dashboard = await startDashboard();
  page = dashboard.page;
  expectOk(await dashboard.projectSecretApi('PUT', '/v1/rbac/policy', { policy: CONSUMER_POLICY }));
});

after(async () => {
  await dashboard?.close();
});

const api = async (method: string, path: string, body?: unknown) => expectOk(await dashboard.projectSecretApi(method, path, body));
const visible = (locator: ReturnType<Page['locator']>) => locator.waitFor({ state: 'visible' });

test('users: search by email and by role, assign and revoke roles, edit metadata, revoke a session', async () => {
  // Ada signs up with a password (a session); Bob is created holding viewer.
  const ada = await api('POST', '/v1/passwords', { email: 'ada@example.com', password: PASSWORD, session_duration_minutes: 60 });
  const adaId: string = ada.user_id;
  await api('PUT', `/v1/users/${adaId}`, { untrusted_metadata: { theme: 'dark', beta: true } });
  await api('POST', '/v1/users', { email: 'bob@example.com', roles: ['viewer'], name: { first_name: 'Bob', last_name: 'Stone' } });

  await dashboard.goto('/users');
  const results = page.getByRole('region', { name: 'Users' });
  await page.getByLabel('Email contains').fill('ada@');
  await page.getByRole('button', { name: 'Search' }).click();
  await visible(page.getByText('1 user matches'));
  assert.deepEqual(await results.getByRole('link').allTextContents(), ['ada@example.com']);
  assert.match(page.url(), /\/dashboard\/users\?email=ada%40$/, 'the search is in the URL');

  await page.getByLabel('Email contains').fill('');
  await page.getByLabel('Role').selectOption('viewer');
  await page.getByRole('button', { name: 'Search' }).click();
  // "1 user matches" is already on screen from the search before: wait for this search's answer.
  await visible(results.getByRole('link', { name: 'bob@example.com' }));
  await visible(page.getByText('1 user matches'));
  assert.deepEqual(await results.getByRole('link').allTextContents(), ['bob@example.com']);
  await page.getByLabel('Role').selectOption('');
  await page.getByRole('button', { name: 'Search' }).click();
  await visible(page.getByText('2 users match'));
  await dashboard.screenshot('users');

  // The detail page: assign editor and viewer, revoke viewer.
  await results.getByRole('link', { name: 'ada@example.com' }).click();
  await visible(page.getByRole('heading', { level: 1, name: 'ada@example.com' }));
  const roles = page.getByRole('region', { name: 'Roles' });
  assert.match(await roles.getByRole('row', { name: /stytch_user/ }).innerText(), /default role/);
  await page.getByLabel('Role to assign').selectOption('editor');
  await page.getByRole('button', { name: 'Assign role' }).click();
  await visible(page.getByText('Assigned editor.'));
  // By keyboard alone: type to pick the role in the select, Tab to the button, Enter.
  await page.getByLabel('Role to assign').focus();
  await page.keyboard.type('viewer');
  assert.equal(await page.getByLabel('Role to assign').inputValue(), 'viewer');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Assign role');
  await page.keyboard.press('Enter');
  await visible(page.getByText('Assigned viewer.'));
  assert.deepEqual((await api('GET', `/v1/users/${adaId}`)).roles, ['stytch_user', 'editor', 'viewer']);
  await page.getByRole('button', { name: 'Revoke viewer' }).click();
  await visible(page.getByText('Revoked viewer.'));
  assert.deepEqual((await api('GET', `/v1/users/${adaId}`)).roles, ['stytch_user', 'editor']);
  await visible(roles.getByRole('row', { name: /editor.*direct_assignment/ }));
  assert.equal(await roles.getByRole('row', { name: /viewer/ }).count(), 0);
  assert.equal(await page.getByRole('button', { name: 'Revoke stytch_user' }).count(), 0, 'the default role cannot be revoked');

  // Metadata: invalid JSON is refused beside the field and nothing is sent; valid JSON is saved as shown.
  const trusted = page.getByLabel('Trusted metadata', { exact: true });
  await trusted.fill('{"plan": ');
  await page.getByRole('button', { name: 'Save trusted metadata' }).click();
  await visible(page.getByText(/Not valid JSON/));
  assert.equal(await trusted.getAttribute('aria-invalid'), 'true');
  assert.deepEqual((await api('GET', `/v1/users/${adaId}`)).trusted_metadata, {});
  await trusted.fill('{"plan": "pro", "seats": 5}');
  await page.getByRole('button', { name: 'Save trusted metadata' }).click();
  await visible(page.getByText('Trusted metadata saved.'));
  assert.equal(await trusted.getAttribute('aria-invalid'), null);
  assert.deepEqual((await api('GET', `/v1/users/${adaId}`)).trusted_metadata, { plan: 'pro', seats: 5 });
  // A key taken out of the editor is deleted, not kept by the API's merge.
  await page.getByLabel('Untrusted metadata').fill('{"theme": "light"}');
  await page.getByRole('button', { name: 'Save untrusted metadata' }).click();
  await visible(page.getByText('Untrusted metadata saved.'));
  assert.deepEqual((await api('GET', `/v1/users/${adaId}`)).untrusted_metadata, { theme: 'light' });

  // Sessions: Ada's password session is listed and revoked.
  const sessionId: string = ada.session.session_id;
  const sessions = page.getByRole('region', { name: 'Sessions' });
  await visible(sessions.getByText(sessionId));
  await dashboard.screenshot('user');
  await page.getByRole('button', { name: `Revoke session ${sessionId}` }).click();
  await visible(page.getByText('Session revoked.'));
  await visible(page.getByText('No live sessions.'));
  assert.deepEqual((await api('GET', `/v1/sessions?user_id=${adaId}`)).sessions, []);

  // At a phone's width: the list and the detail page.
  const phone = await dashboard.openPage({ viewport: PHONE });
  try {
    await phone.goto('/users');
    await visible(phone.page.getByText('2 users match'));
    await phone.screenshot('users-phone');
    await phone.goto(`/users/${adaId}`);
    await visible(phone.page.getByRole('heading', { level: 1, name: 'ada@example.com' }));
    await visible(phone.page.getByText('No live sessions.'));
    await phone.screenshot('user-phone');
    // Nothing is wider than the screen but the tables, which scroll inside their own box.
    const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px at 390px`);
    assert.deepEqual(phone.pageErrors, []);
  } finally {
    await phone.close();
  }
  assert.deepEqual(dashboard.pageErrors, []);
});

test('organizations and members: create, email-domain rule, SSO connection rules, custom roles; the member shows the rule as its role source', async () => {
  const project = new B2BProject(dashboard.server, dashboard.project);
  await project.putPolicy({
    resources: [{ resource_id: 'documents', description: 'Documents', actions: ['read', 'write', 'delete'] }],
    roles: [
      { role_id: 'stytch_member', description: 'Every member', permissions: [{ resource_id: 'stytch.self', actions: ['*'] }] },
      { role_id: 'stytch_admin', description: 'Administers', permissions: [{ resource_id: 'stytch.member', actions: ['*'] }] },
      { role_id: 'editor', description: 'Edits documents', permissions: [{ resource_id: 'documents', actions: ['read', 'write'] }] },
      { role_id: 'reader', description: 'Reads documents', permissions: [{ resource_id: 'documents', actions: ['read'] }] },
    ],
    scopes: [],
  });

  // Create the organization through the page (a bad slug first: the error shows at the field).
  await dashboard.goto('/organizations');
  const opener = page.getByRole('button', { name: 'New organization' });
  await opener.click();
  assert.equal(await opener.getAttribute('aria-expanded'), 'true');
  await page.keyboard.press('Escape');
  assert.equal(await opener.getAttribute('aria-expanded'), 'false', 'Escape closes the form');
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'New organization', 'focus goes back to the button');
  await opener.click();
  const newOrganization = page.getByRole('group', { name: 'New organization' });
  await newOrganization.getByLabel('Name').fill('Acme Corp');
  await newOrganization.getByLabel('Slug').fill('Acme Corp!');
  await page.getByRole('button', { name: 'Create organization' }).click();
  await visible(newOrganization.locator('.field-error', { hasText: 'organization_slug' }));
  await newOrganization.getByLabel('Slug').fill('acme-corp');
  await page.getByRole('button', { name: 'Create organization' }).click();
  await visible(page.getByRole('heading', { level: 1, name: 'Acme Corp' }));
  const [organization] = (await api('POST', '/v1/b2b/organizations/search', { query: { operator: 'AND', operands: [{ filter_name: 'organization_slugs', filter_value: ['acme-corp'] }] } })).organizations;
  assert.equal(organization.organization_name, 'Acme Corp');
  const organizationId: string = organization.organization_id;
  assert.match(page.url(), new RegExp(`/dashboard/organizations/${organizationId}$`));

  const member = (await api('POST', `/v1/b2b/organizations/${organizationId}/members`, { email_address: 'ann@acme.com', name: 'Ann' })).member;
  // Email-domain rules count only for a verified address: Ann follows a sign-in link once (and that
  // session ends, so the one started next is her only one).
  const verified = await project.verifyEmail(organizationId, 'ann@acme.com');
  await api('POST', '/v1/b2b/sessions/revoke', { session_token: verified.session_token });
  await api('POST', `/v1/b2b/organizations/${organizationId}/members`, { email_address: 'cy@elsewhere.org' });
  const session = await project.startMemberSession(organizationId, member.member_id);

  // Email-domain rule: acme.com → editor.
  const emailRules = page.getByRole('form', { name: 'Add to rules by email domain' });
  await emailRules.getByLabel('Email domain').fill('acme.com');
  await emailRules.getByLabel('Role').selectOption('editor');
  await emailRules.getByRole('button', { name: 'Add rule' }).click();
  await visible(page.getByText('Added acme.com → editor.'));
  assert.deepEqual((await api('GET', `/v1/b2b/organizations/${organizationId}`)).organization.rbac_email_implicit_role_assignments, [{ domain: 'acme.com', role_id: 'editor' }]);

  // An SSO connection (Escape closes its form too), with a connection rule and a group rule.
  const newConnection = page.getByRole('button', { name: 'New SSO connection' });
  await newConnection.click();
  await page.keyboard.press('Escape');
  assert.equal(await newConnection.getAttribute('aria-expanded'), 'false');
  await newConnection.click();
  const connectionForm = page.getByRole('group', { name: 'New SSO connection' });
  await connectionForm.getByLabel('Kind').selectOption('saml');
  await connectionForm.getByLabel('Display name').fill('Okta');
  await connectionForm.getByLabel('Identity provider').selectOption('okta');
  await page.getByRole('button', { name: 'Create connection' }).click();
  const connection = page.getByRole('article', { name: 'Connection Okta' });
  await visible(connection);
  const connectionRules = connection.getByRole('form', { name: 'Add to connection role rules' });
  await connectionRules.getByLabel('Role').selectOption('reader');
  await connectionRules.getByRole('button', { name: 'Add rule' }).click();
  await visible(connection.getByText('Added reader.'));
  const groupRules = connection.getByRole('form', { name: 'Add to group role rules' });
  await groupRules.getByLabel('IdP group').fill('engineering');
  await groupRules.getByLabel('Role').selectOption('editor');
  await groupRules.getByRole('button', { name: 'Add rule' }).click();
  await visible(connection.getByText('Added engineering → editor.'));
  const [saml] = (await api('GET', `/v1/b2b/sso/${organizationId}`)).saml_connections;
  assert.equal(saml.display_name, 'Okta');
  assert.equal(saml.identity_provider, 'okta');
  assert.deepEqual(saml.saml_connection_implicit_role_assignments, [{ role_id: 'reader' }]);
  assert.deepEqual(saml.saml_group_implicit_role_assignments, [{ role_id: 'editor', group: 'engineering' }]);
  await visible(connection.getByText(saml.acs_url));

  // Custom roles: a clash with a policy role is refused beside the Role ID field; a new one is saved.
  await page.getByRole('button', { name: 'New custom role' }).click();
  const roleForm = page.getByRole('group', { name: 'New custom role' });
  await roleForm.getByLabel('Role ID').fill('editor');
  await roleForm.getByRole('button', { name: 'Save role' }).click();
  await visible(roleForm.locator('.field-error'));
  assert.equal(await roleForm.getByLabel('Role ID').getAttribute('aria-invalid'), 'true');
  assert.deepEqual((await api('GET', `/v1/b2b/rbac/organizations/${organizationId}`)).org_policy.roles, []);
  await roleForm.getByLabel('Role ID').fill('acme-auditor');
  await roleForm.getByLabel('Description').fill('Reads and deletes Acme documents');
  const documents = roleForm.getByRole('group', { name: 'documents' });
  await documents.getByLabel('read', { exact: true }).check();
  await documents.getByLabel('delete', { exact: true }).check();
  await roleForm.getByRole('button', { name: 'Save role' }).click();
  await visible(page.getByText('Saved acme-auditor.'));
  assert.deepEqual((await api('GET', `/v1/b2b/rbac/organizations/${organizationId}`)).org_policy.roles, [
    { role_id: 'acme-auditor', description: 'Reads and deletes Acme documents', permissions: [{ resource_id: 'documents', actions: ['read', 'delete'] }] },
  ]);
  await dashboard.screenshot('organization');

  await dashboard.goto('/organizations');
  await visible(page.getByRole('link', { name: 'Acme Corp' }));
  await dashboard.screenshot('organizations');

  // Members: search the organization by role (editor comes from the email rule) and by status.
  await dashboard.goto('/members');
  const memberFilters = page.getByRole('search', { name: 'Members' });
  await memberFilters.getByLabel('Acme Corp').check();
  await memberFilters.getByLabel('Role').selectOption('editor');
  await memberFilters.getByRole('button', { name: 'Search' }).click();
  await visible(page.getByText('1 member matches'));
  const memberResults = page.getByRole('region', { name: 'Members' });
  assert.deepEqual(await memberResults.getByRole('link').allTextContents(), ['ann@acme.com']);
  await memberFilters.getByLabel('Role').selectOption('');
  await memberFilters.getByLabel('Status').selectOption('active');
  await memberFilters.getByRole('button', { name: 'Search' }).click();
  await visible(page.getByText('2 members match'));
  await dashboard.screenshot('members');

  // The member: editor from email_assignment (acme.com); reader assigned explicitly through the page.
  await memberResults.getByRole('link', { name: 'ann@acme.com' }).click();
  await visible(page.getByRole('heading', { level: 1, name: 'ann@acme.com' }));
  const memberRoles = page.getByRole('region', { name: 'Roles' });
  await visible(memberRoles.getByRole('row', { name: /editor.*email_assignment · acme\.com/ }));
  assert.equal(await page.getByRole('button', { name: 'Revoke editor' }).count(), 0, 'a role from a rule is not revoked on the member');
  await page.getByLabel('Role to assign').selectOption('acme-auditor');
  await page.getByRole('button', { name: 'Assign role' }).click();
  await visible(page.getByText('Assigned acme-auditor.'));
  const held = (await api('GET', `/v1/b2b/organizations/${organizationId}/member?member_id=${member.member_id}`)).member.roles;
  assert.deepEqual(held.map((role: { role_id: string; sources: { type: string }[] }) => `${role.role_id}:${role.sources.map((s) => s.type).join(',')}`), [
    'stytch_member:direct_assignment',
    'acme-auditor:direct_assignment',
    'editor:email_assignment',
  ]);
  await visible(memberRoles.getByRole('row', { name: /acme-auditor.*direct_assignment/ }));

  // The member's session, revoked through the page.
  await visible(page.getByText(session.member_session_id));
  await dashboard.screenshot('member');
  await page.getByRole('button', { name: `Revoke session ${session.member_session_id}` }).click();
  await visible(page.getByText('No live sessions.'));
  assert.deepEqual((await api('GET', `/v1/b2b/sessions?organization_id=${organizationId}&member_id=${member.member_id}`)).member_sessions, []);

  const phone = await dashboard.openPage({ viewport: PHONE });
  try {
    await phone.goto(`/organizations/${organizationId}`);
    await visible(phone.page.getByRole('article', { name: 'Connection Okta' }));
    await phone.screenshot('organization-phone');
    const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px at 390px`);
  } finally {
    await phone.close();
  }
  assert.deepEqual(dashboard.pageErrors, []);
});

test('outbox: a magic-link message with its link, filtered by recipient', async () => {
  await api('POST', '/v1/magic_links/email/login_or_create', { email: 'dee@example.com' });
  await api('POST', '/v1/magic_links/email/login_or_create', { email: 'eve@example.com' });
  const [message] = (await api('GET', '/v1/project/outbox?to=dee@example.com')).messages;
  assert.ok(message.link, 'the message carries a link');

  await dashboard.goto('/outbox');
  await page.getByLabel('Recipient').fill('dee@example.com');
  await page.getByRole('button', { name: 'Filter' }).click();
  const messages = page.getByRole('region', { name: 'Messages' });
  await visible(page.getByText('1 message'));
  const row = messages.getByRole('row', { name: /dee@example\.com/ });
  assert.match(await row.innerText(), /signup|login/);
  assert.equal(await row.getByRole('link').getAttribute('href'), message.link);
  assert.equal(await messages.getByText('eve@example.com').count(), 0);
  await row.getByText(message.subject, { exact: true }).click();
  await visible(row.getByText(message.link, { exact: false }).first());
  await page.getByLabel('Recipient').fill('');
  await page.getByRole('button', { name: 'Filter' }).click();
  await visible(messages.getByText('eve@example.com'));
  await dashboard.screenshot('outbox');
  assert.deepEqual(dashboard.pageErrors, []);
});
