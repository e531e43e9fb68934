// The official @stytch/vanilla-js headless clients (consumer and B2B) in headless Chromium against a
// started Gatehouse: a page served from a loopback origin in the project's allow-list, the SDK pointed
// at the server with its `endpoints` option, signs in with a password, authenticates the session and
// answers rbac.isAuthorized from the bootstrap policy and the session's roles. Real CORS, real cookies.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { TestServer } from '../testing/harness.ts';
import { startSdkPageWorld, type SdkPageWorld } from '../testing/sdk-page.ts';
import { b2bWorld, consumerWorld, memberWithPassword, PASSWORD } from '../testing/sdk.ts';


// The page's script: both headless clients, driven from the test through window.gatehouseTest.
const PAGE_SCRIPT = `
import { StytchHeadlessClient } from '@stytch/vanilla-js/headless';
import { StytchB2BHeadlessClient } from '@stytch/vanilla-js/b2b/headless';

const endpoints = (api) => ({ endpoints: { testAPIURL: api, liveAPIURL: api } });

window.gatehouseTest = {
  async consumer({ publicToken, api, email, password }) {
    const client = new StytchHeadlessClient(publicToken, endpoints(api));
    const signedIn = await client.passwords.authenticate({ email, password, session_duration_minutes: 60 });
    const cookieAfterSignIn = document.cookie.includes('stytch_session=');
    const authenticated = await client.session.authenticate();
    const result = {
      userId: signedIn.user_id,
      roles: authenticated.user.roles,
      cookieAfterSignIn,
      read: await client.rbac.isAuthorized('documents', 'read'),
      write: await client.rbac.isAuthorized('documents', 'write'),
      delete: await client.rbac.isAuthorized('documents', 'delete'),
      writeSync: client.rbac.isAuthorizedSync('documents', 'write'),
      permissions: await client.rbac.allPermissions(),
      me: (await client.user.get()).user_id,
    };
    let trustedError = null;
    try { await client.user.update({ trusted_metadata: { plan: 'pro' } }); } catch (e) { trustedError = e.error_type ?? String(e); }
    result.trustedError = trustedError;
    await client.session.revoke();
    result.sessionAfterRevoke = client.session.getSync();
    result.cookieAfterRevoke = document.cookie.includes('stytch_session=');
    return result;
  },
  async b2b({ publicToken, api, organizationId, email, password }) {
    const client = new StytchB2BHeadlessClient(publicToken, endpoints(api));
    const signedIn = await client.passwords.authenticate({ organization_id: organizationId, email_address: email, password, session_duration_minutes: 60 });
    const authenticated = await client.session.authenticate();
    const result = {
      memberId: signedIn.member_id,
      roles: authenticated.member_session.roles,
      cookie: document.cookie.includes('stytch_session='),
      read: await client.rbac.isAuthorized('documents', 'read'),
      write: await client.rbac.isAuthorized('documents', 'write'),
      deleteMembers: await client.rbac.isAuthorized('stytch.member', 'delete'),
      me: (await client.self.get()).member_id,
    };
    let searchError = null;
    try { await client.organization.members.search({}); } catch (e) { searchError = e.error_type ?? String(e); }
    result.searchError = searchError;
    await client.session.revoke();
    result.sessionAfterRevoke = client.session.getSync();
    return result;
  },
};
`;

let world: SdkPageWorld;
let server: TestServer;
let pageOrigin: string;
let browser: Browser;

before(async () => {
  world = await startSdkPageWorld(PAGE_SCRIPT);
  ({ server, pageOrigin, browser } = world);
});
after(() => world?.close());

/** A fresh browser context (own cookies and storage) on the test page. */
async function openPage() {
  const context = await browser.newContext();
  const page = await context.newPage();
  const failures: string[] = [];
  page.on('requestfailed', (request) => failures.push(`${request.method()} ${request.url()}: ${request.failure()?.errorText}`));
  await page.goto(`${pageOrigin}/`);
  await page.waitForFunction(() => 'gatehouseTest' in window);
  return { page, context, failures };
}

describe('@stytch/vanilla-js in headless Chromium', () => {
  test('consumer: password sign-in, session authenticate, rbac.isAuthorized, users/me, revoke', async () => {
    const { credentials, userId } = await consumerWorld(server, pageOrigin, ['editor']);
    const { page, context, failures } = await openPage();
    try {
      const result = await page.evaluate((args) => (window as any).gatehouseTest.consumer(args), {
        publicToken: credentials.public_token,
        api: server.baseUrl,
        email: 'ada@example.com',
        password: PASSWORD,
      });
      assert.deepEqual(failures, []);
      assert.equal(result.userId, userId);
      assert.deepEqual(result.roles, ['stytch_user', 'editor']);
      assert.equal(result.cookieAfterSignIn, true);
      assert.equal(result.read, true);
      assert.equal(result.write, true);
      assert.equal(result.delete, false);
      assert.equal(result.writeSync, true);
      assert.deepEqual(result.permissions, { documents: { read: true, write: true, delete: false } });
      assert.equal(result.me, userId);
      assert.equal(result.trustedError, 'cannot_update_trusted_metadata');
      assert.equal(result.sessionAfterRevoke, null);
      assert.equal(result.cookieAfterRevoke, false);
    } finally {
      await context.close();
    }
  });

  test('consumer: a user without the role is denied', async () => {
    const { credentials } = await consumerWorld(server, pageOrigin, []);
    const { page, context } = await openPage();
    try {
      const result = await page.evaluate((args) => (window as any).gatehouseTest.consumer(args), {
        publicToken: credentials.public_token,
        api: server.baseUrl,
        email: 'ada@example.com',
        password: PASSWORD,
      });
      assert.deepEqual(result.roles, ['stytch_user']);
      assert.equal(result.read, true);
      assert.equal(result.write, false);
    } finally {
      await context.close();
    }
  });

  test('B2B: password sign-in, session authenticate, rbac.isAuthorized, self, a search the member may not make', async () => {
    const policy = {
      resources: [{ resource_id: 'documents', description: 'Documents', actions: ['read', 'write'] }],
      roles: [
        { role_id: 'stytch_member', description: 'Every member', permissions: [{ resource_id: 'stytch.self', actions: ['*'] }] },
        { role_id: 'stytch_admin', description: 'Administers', permissions: [{ resource_id: 'stytch.member', actions: ['*'] }] },
        { role_id: 'editor', description: 'Edits', permissions: [{ resource_id: 'documents', actions: ['read', 'write'] }] },
      ],
      scopes: [],
    };
    const { project, organization } = await b2bWorld(server, pageOrigin, policy);
    const member = await memberWithPassword(project, organization.organization_id, 'grace@acme.com', ['editor']);
    const { page, context, failures } = await openPage();
    try {
      const result = await page.evaluate((args) => (window as any).gatehouseTest.b2b(args), {
        publicToken: project.credentials.public_token,
        api: server.baseUrl,
        organizationId: organization.organization_id,
        email: 'grace@acme.com',
        password: PASSWORD,
      });
      assert.deepEqual(failures, []);
      assert.equal(result.memberId, member.member_id);
      assert.deepEqual([...result.roles].sort(), ['editor', 'stytch_member']);
      assert.equal(result.cookie, true);
      assert.equal(result.read, true);
      assert.equal(result.write, true);
      assert.equal(result.deleteMembers, false);
      assert.equal(result.me, member.member_id);
      assert.equal(result.searchError, 'session_authorization_error');
      assert.equal(result.sessionAfterRevoke, null);
    } finally {
      await context.close();
    }
  });
});
