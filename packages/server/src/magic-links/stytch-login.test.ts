// The pre-built login UI of @stytch/react (StytchLogin, email magic links) in headless Chromium
// against a started Gatehouse, offline: every request that leaves loopback is aborted and listed, and
// the test requires that list to be empty. A person types an address into the form and presses the
// button; the mailed link (from the outbox) opens the application's page, which authenticates the
// token; sign-up the first time, sign-in the second; the session records the browser and passes an
// authorization check.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { ProjectCredentials } from '../projects/service.ts';
import { expectOk } from '../testing/b2b.ts';
import { expectError } from '../testing/harness.ts';
import { allowOrigin, CONSUMER_POLICY } from '../testing/sdk.ts';
import { startSdkPageWorld, type SdkPageWorld } from '../testing/sdk-page.ts';

const PAGE_SCRIPT = `
import React from 'react';
import { createRoot } from 'react-dom/client';
import { StytchProvider, StytchLogin, Products, createStytchClient } from '@stytch/react';

window.gh = {
  render({ publicToken, api, url }) {
    window.client = createStytchClient(publicToken, { endpoints: { testAPIURL: api, liveAPIURL: api } });
    window.events = [];
    const root = document.createElement('div');
    document.body.appendChild(root);
    createRoot(root).render(React.createElement(StytchProvider, { stytch: window.client },
      React.createElement(StytchLogin, {
        config: { products: [Products.emailMagicLinks], emailMagicLinksOptions: { loginRedirectURL: url, signupRedirectURL: url } },
        callbacks: { onEvent: (event) => window.events.push(event.type), onError: (error) => window.events.push('error:' + (error.message ?? String(error))) },
      })));
    return true;
  },
  async authenticateLink() {
    try {
      const token = new URL(location.href).searchParams.get('token');
      const answer = await window.client.magicLinks.authenticate(token, { session_duration_minutes: 60 });
      const authenticated = await window.client.session.authenticate();
      return { ok: { answer, session: authenticated.session, userAgent: navigator.userAgent } };
    } catch (e) {
      return { error: e.error_type ?? String(e) };
    }
  },
};
`;

let world: SdkPageWorld;

before(async () => {
  world = await startSdkPageWorld(PAGE_SCRIPT);
});
after(() => world?.close());

const linkUrl = () => `${world.pageOrigin}/authenticate`;

async function project(): Promise<ProjectCredentials> {
  const { server } = world;
  const credentials = await server.createProject();
  expectOk(await server.api(credentials, 'PUT', '/v1/rbac/policy', { policy: CONSUMER_POLICY }));
  await allowOrigin(server, credentials, world.pageOrigin);
  expectOk(await server.api(credentials, 'POST', '/v1/project/redirect_urls', { url: linkUrl(), valid_types: [{ type: 'LOGIN' }, { type: 'SIGNUP' }] }));
  return credentials;
}

/** A fresh context whose requests may reach loopback only; the others are aborted and listed. */
async function offlinePage() {
  const context = await world.browser.newContext();
  const offline: string[] = [];
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1' || url.protocol === 'data:' || url.protocol === 'blob:') return route.continue();
    offline.push(route.request().url());
    return route.abort();
  });
  return { context, page: await context.newPage(), offline };
}

async function render(page: Page, credentials: ProjectCredentials, url: string) {
  await page.goto(url);
  await page.waitForFunction(() => 'gh' in window);
  await page.evaluate((args) => (window as any).gh.render(args), { publicToken: credentials.public_token, api: world.server.baseUrl, url: linkUrl() });
}

async function submitEmail(page: Page, email: string) {
  const input = page.locator('input[type="email"], input[name="email"]').first();
  await input.waitFor({ timeout: 15_000 });
  await input.fill(email);
  await page.getByRole('button', { name: /continue with email|continue|send/i }).first().click();
  await page.getByText(/check your email/i).first().waitFor({ timeout: 15_000 });
}

async function lastLink(credentials: ProjectCredentials, email: string): Promise<string> {
  const outbox = expectOk(await world.server.api(credentials, 'GET', `/v1/project/outbox?to=${encodeURIComponent(email)}&limit=1`));
  return outbox.messages[0].link;
}

test('StytchLogin (@stytch/react) offline: sign-up, then sign-in, through its email form and the mailed link', async () => {
  const credentials = await project();
  const email = `ui.${Math.random().toString(36).slice(2, 8)}@example.com`;
  const { context, page, offline } = await offlinePage();
  try {
    await render(page, credentials, `${world.pageOrigin}/`);
    await submitEmail(page, email);
    const signupLink = await lastLink(credentials, email);
    assert.equal(new URL(signupLink).origin + new URL(signupLink).pathname, linkUrl());
    await render(page, credentials, signupLink);
    const signedUp = await page.evaluate(() => (window as any).gh.authenticateLink());
    assert.ok(signedUp.ok?.answer.session_token, JSON.stringify(signedUp));
    assert.deepEqual(signedUp.ok.session.attributes, { ip_address: '127.0.0.1', user_agent: signedUp.ok.userAgent });
    const userId = signedUp.ok.answer.user_id;
    const user = expectOk(await world.server.api(credentials, 'GET', `/v1/users/${userId}`));
    assert.deepEqual(user.emails.map((e: { email: string; verified: boolean }) => [e.email, e.verified]), [[email, true]]);

    // Signed out, the form again: now a login link, the same user.
    await page.evaluate(() => (window as any).client.session.revoke());
    await render(page, credentials, `${world.pageOrigin}/`);
    await submitEmail(page, email);
    await render(page, credentials, await lastLink(credentials, email));
    const signedIn = await page.evaluate(() => (window as any).gh.authenticateLink());
    assert.equal(signedIn.ok?.answer.user_id, userId, JSON.stringify(signedIn));
    const token = signedIn.ok.answer.session_token;
    const check = (action: string) => ({ session_token: token, authorization_check: { resource_id: 'documents', action } });
    expectOk(await world.server.api(credentials, 'POST', '/v1/sessions/authenticate', check('read')));
    expectError(await world.server.api(credentials, 'POST', '/v1/sessions/authenticate', check('write')), 403, 'consumer_session_authorization_error');
    assert.deepEqual(offline, [], 'the pre-built UI needed nothing beyond loopback');
  } finally {
    await context.close();
  }
});
