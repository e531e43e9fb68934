// The admin portal's SCIM calls through the official @stytch/vanilla-js B2B headless client
// (stytch.scim) in headless Chromium: a member signed in with a password creates its organization's
// connection, reads it and the groups its IdP pushed, sets a group role rule, rotates the token and
// deletes the connection; a member without stytch.scim is refused (403) and nothing is written.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { B2BProject, expectOk } from '../testing/b2b.ts';
import { ScimTestClient } from '../testing/scim.ts';
import { allowOrigin, memberWithPassword, PASSWORD } from '../testing/sdk.ts';
import { startSdkPageWorld, type SdkPageWorld } from '../testing/sdk-page.ts';

const PAGE_SCRIPT = `
import { StytchB2BHeadlessClient } from '@stytch/vanilla-js/b2b/headless';

const outcome = async (work) => {
  try { return { ok: await work() }; } catch (e) { return { error: e.error_type ?? String(e), status: e.status_code }; }
};

window.portal = {
  async start({ publicToken, api, organization_id, email_address, password }) {
    window.client = new StytchB2BHeadlessClient(publicToken, { endpoints: { testAPIURL: api, liveAPIURL: api } });
    await window.client.passwords.authenticate({ organization_id, email_address, password, session_duration_minutes: 60 });
    return true;
  },
  create: (body) => outcome(() => window.client.scim.createConnection(body)),
  get: () => outcome(() => window.client.scim.getConnection()),
  update: (body) => outcome(() => window.client.scim.updateConnection(body)),
  groups: (body) => outcome(() => window.client.scim.getConnectionGroups(body)),
  rotateStart: (id) => outcome(() => window.client.scim.rotateStart(id)),
  rotateComplete: (id) => outcome(() => window.client.scim.rotateComplete(id)),
  rotateCancel: (id) => outcome(() => window.client.scim.rotateCancel(id)),
  remove: (id) => outcome(() => window.client.scim.deleteConnection(id)),
};
`;

const POLICY = {
  resources: [{ resource_id: 'documents', description: 'Documents', actions: ['read', 'write'] }],
  roles: [
    { role_id: 'stytch_member', description: 'Every member', permissions: [{ resource_id: 'stytch.self', actions: ['*'] }] },
    { role_id: 'stytch_admin', description: 'Administers', permissions: [{ resource_id: 'stytch.scim', actions: ['*'] }, { resource_id: 'documents', actions: ['read', 'write'] }] },
    { role_id: 'editor', description: 'Edits', permissions: [{ resource_id: 'documents', actions: ['read', 'write'] }] },
  ],
  scopes: [],
};

let world: SdkPageWorld;
before(async () => {
  world = await startSdkPageWorld(PAGE_SCRIPT);
});
after(async () => {
  await world?.close();
});

const call = (page: Page, step: string, arg?: unknown) => page.evaluate(([name, value]) => (window as any).portal[name as string](value), [step, arg] as const);

test('the admin portal\'s stytch.scim calls: an admin manages the connection, a plain member is refused', async () => {
  const { server, pageOrigin } = world;
  const project = await B2BProject.create(server, POLICY);
  await allowOrigin(server, project.credentials, pageOrigin, 'B2B');
  const suffix = Math.random().toString(36).slice(2, 8);
  const orgId = (await project.createOrganization({ organization_slug: `scim-${suffix}` })).organization_id as string;
  const email = (who: string) => `${who}@scim-${suffix}.example`;
  await memberWithPassword(project, orgId, email('admin'), ['stytch_admin']);
  await memberWithPassword(project, orgId, email('plain'), []);
  const contexts: BrowserContext[] = [];
  const pageAs = async (who: string) => {
    const context = await world.browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${pageOrigin}/`);
    await page.waitForFunction(() => 'portal' in window);
    await call(page, 'start', { publicToken: project.credentials.public_token, api: server.baseUrl, organization_id: orgId, email_address: email(who), password: PASSWORD });
    return page;
  };
  try {
    const admin = await pageAs('admin');
    const plain = await pageAs('plain');
    assert.deepEqual(await call(plain, 'create', { display_name: 'Okta' }), { error: 'session_authorization_error', status: 403 });

    const created = await call(admin, 'create', { display_name: 'Okta', identity_provider: 'okta' });
    assert.ok(created.ok?.connection?.bearer_token, JSON.stringify(created));
    const connectionId: string = created.ok.connection.connection_id;
    assert.equal((await call(admin, 'get')).ok.connection.connection_id, connectionId);
    assert.equal((await call(plain, 'get')).status, 403);

    const idp = new ScimTestClient(server, created.ok.connection.base_url, created.ok.connection.bearer_token);
    const group = (await idp.request('POST', '/Groups', { displayName: 'Engineering' })).body;
    const groups = await call(admin, 'groups', { limit: 10 });
    assert.deepEqual(groups.ok?.scim_groups?.map((g: { group_name: string }) => g.group_name), ['Engineering'], JSON.stringify(groups));
    const updated = await call(admin, 'update', { connection_id: connectionId, display_name: 'Okta (prod)', scim_group_implicit_role_assignments: [{ role_id: 'editor', group_id: group.id }] });
    assert.equal(updated.ok?.connection.display_name, 'Okta (prod)', JSON.stringify(updated));
    assert.deepEqual(updated.ok.connection.scim_group_implicit_role_assignments, [{ role_id: 'editor', group_id: group.id, group_name: 'Engineering' }]);
    assert.equal((await call(plain, 'update', { connection_id: connectionId, display_name: 'Mine' })).status, 403);

    const started = await call(admin, 'rotateStart', connectionId);
    assert.ok(started.ok?.connection.next_bearer_token, JSON.stringify(started));
    assert.equal((await call(plain, 'rotateCancel', connectionId)).status, 403);
    const cancelled = await call(admin, 'rotateCancel', connectionId);
    assert.equal(cancelled.ok?.connection.next_bearer_token_last_four, '');
    await call(admin, 'rotateStart', connectionId);
    const completed = await call(admin, 'rotateComplete', connectionId);
    assert.ok(completed.ok?.connection.bearer_token_last_four);
    assert.equal((await idp.request('GET', '/Users')).status, 401);

    assert.equal((await call(plain, 'remove', connectionId)).status, 403);
    const kept = expectOk(await project.api('GET', `/v1/b2b/scim/${orgId}/connection`));
    assert.equal(kept.connection.display_name, 'Okta (prod)');
    assert.equal((await call(admin, 'remove', connectionId)).ok?.connection_id, connectionId);
    assert.equal(expectOk(await project.api('GET', `/v1/b2b/scim/${orgId}/connection`)).connection, undefined);
  } finally {
    await Promise.all(contexts.map((context) => context.close()));
  }
});
