// An SSO connection's identity-provider settings and its deletion on the organization page, in
// headless Chromium at 1280 and 390 px: a SAML connection given the IdP's entity ID, sign-in URL and
// certificate; an OIDC connection its issuer, client and endpoints; then the OIDC one deleted. Each is
// checked in what the server holds (read with the project secret).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { B2BProject } from '@gatehouse/server/testing';
import { createSamlIdp } from '@gatehouse/server/testing/saml-idp';
import { PHONE, expectOk, startDashboard, type DashboardTest } from './testing/harness.ts';

let dashboard: DashboardTest;
let page: Page;
let orgId: string;

before(async () => {
  dashboard = await startDashboard();
  page = dashboard.page;
  await new B2BProject(dashboard.server, dashboard.project).putPolicy({
    resources: [],
    roles: [{ role_id: 'stytch_member', description: '', permissions: [] }, { role_id: 'stytch_admin', description: '', permissions: [] }],
    scopes: [],
  });
  orgId = (await api('POST', '/v1/b2b/organizations', { organization_name: 'Initech', organization_slug: 'initech' })).organization.organization_id;
  await api('POST', `/v1/b2b/sso/saml/${orgId}`, { display_name: 'Okta', identity_provider: 'okta' });
  await api('POST', `/v1/b2b/sso/oidc/${orgId}`, { display_name: 'Keycloak', identity_provider: 'keycloak' });
});

after(async () => {
  await dashboard?.close();
});

async function api(method: string, path: string, body?: unknown) {
  return expectOk(await dashboard.projectSecretApi(method, path, body));
}
const visible = (locator: Locator) => locator.waitFor({ state: 'visible' });

test('SAML: the IdP entity ID, sign-in URL and certificate are set from the organization page', async () => {
  const idp = await createSamlIdp({ entityId: 'https://idp.initech.example/entity', ssoUrl: 'https://idp.initech.example/sso' });
  await dashboard.goto(`/organizations/${orgId}`);
  const card = page.getByRole('article', { name: 'Connection Okta' });
  await card.getByRole('button', { name: 'Identity provider settings' }).click();
  const form = card.getByRole('form', { name: 'Identity provider settings of Okta' });
  await form.getByLabel('IdP entity ID').fill(idp.entityId);
  await form.getByLabel('IdP sign-in URL').fill(idp.ssoUrl);
  await form.getByLabel('X.509 signing certificate (PEM)').fill(idp.certificate);
  await visible(card.getByRole('form', { name: "Load from the IdP's metadata" }));
  await dashboard.screenshot('organization-sso');
  await form.getByRole('button', { name: 'Save settings' }).click();
  await visible(page.getByText('Saved the identity provider settings of Okta.'));
  const [saml] = (await api('GET', `/v1/b2b/sso/${orgId}`)).saml_connections;
  assert.equal(saml.idp_entity_id, idp.entityId);
  assert.equal(saml.idp_sso_url, idp.ssoUrl);
  assert.equal(saml.verification_certificates.length, 1);
  assert.equal(saml.status, 'active');
  await visible(card.getByText(idp.ssoUrl));
});

test('OIDC: issuer, client and endpoints set; the secret kept sealed; then the connection deleted', async () => {
  await dashboard.goto(`/organizations/${orgId}`);
  const card = page.getByRole('article', { name: 'Connection Keycloak' });
  await card.getByRole('button', { name: 'Identity provider settings' }).click();
  const form = card.getByRole('form', { name: 'Identity provider settings of Keycloak' });
  await form.getByLabel('Issuer').fill('https://sso.initech.example/realms/initech');
  await form.getByLabel('Client ID').fill('gatehouse-initech');
  await form.getByLabel('Client secret').fill('s3cret-value-1234');
  await form.getByLabel('Authorization URL').fill('https://sso.initech.example/realms/initech/auth');
  await form.getByLabel('Token URL').fill('https://sso.initech.example/realms/initech/token');
  await form.getByLabel('Userinfo URL').fill('https://sso.initech.example/realms/initech/userinfo');
  await form.getByLabel('JWKS URL').fill('https://sso.initech.example/realms/initech/certs');
  await form.getByRole('button', { name: 'Save settings' }).click();
  await visible(page.getByText('Saved the identity provider settings of Keycloak.'));
  const [oidc] = (await api('GET', `/v1/b2b/sso/${orgId}`)).oidc_connections;
  assert.equal(oidc.issuer, 'https://sso.initech.example/realms/initech');
  assert.equal(oidc.client_id, 'gatehouse-initech');
  assert.equal(oidc.client_secret, '••••1234');
  assert.equal(oidc.token_url, 'https://sso.initech.example/realms/initech/token');
  assert.equal(oidc.jwks_url, 'https://sso.initech.example/realms/initech/certs');
  await visible(card.getByText('••••1234'));

  // At 390 px: the settings form and the Delete button are on screen.
  const phone = await dashboard.openPage({ viewport: PHONE });
  try {
    await phone.goto(`/organizations/${orgId}`);
    const phoneCard = phone.page.getByRole('article', { name: 'Connection Keycloak' });
    await phoneCard.getByRole('button', { name: 'Identity provider settings' }).click();
    await visible(phoneCard.getByLabel('JWKS URL'));
    const box = (await phoneCard.getByRole('button', { name: 'Delete connection Keycloak' }).boundingBox())!;
    assert.ok(box.x + box.width <= PHONE.width, `Delete ends at ${box.x + box.width}`);
    assert.equal(await phone.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth), 0);
    await phone.screenshot('organization-sso-phone');
    assert.deepEqual(phone.pageErrors, []);
  } finally {
    await phone.close();
  }

  await card.getByRole('button', { name: 'Delete connection Keycloak' }).click();
  await page.getByRole('dialog', { name: 'Delete Keycloak?' }).getByRole('button', { name: 'Delete connection' }).click();
  await visible(page.getByText('Deleted Keycloak.'));
  assert.equal(await page.getByRole('article', { name: 'Connection Keycloak' }).count(), 0);
  const after = await api('GET', `/v1/b2b/sso/${orgId}`);
  assert.deepEqual([after.oidc_connections.length, after.saml_connections.length], [0, 1]);
  assert.deepEqual(dashboard.pageErrors, []);
});
