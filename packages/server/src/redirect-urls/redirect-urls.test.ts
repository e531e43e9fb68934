// Registered redirect URLs over real HTTP: every URL a caller passes for a magic link, invite,
// password reset or SSO sign-in must be registered for its type (exact match after WHATWG
// parsing); an omitted one takes the type's default; anything else is a 400 and writes nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ProjectCredentials } from '../projects/service.ts';
import { expectError, startTestServer, type TestServer } from '../testing/harness.ts';
import { expectOk } from '../testing/b2b.ts';
import { createSamlIdp, TEST_IDP_ATTRIBUTE_MAPPING, type SamlTestIdp } from '../testing/saml-idp.ts';

let server: TestServer;
let idp: SamlTestIdp;

before(async () => {
  server = await startTestServer();
  idp = await createSamlIdp();
});
after(() => server?.close());

const GOOD = 'https://good.example/authenticate';
const ALL_TYPES = ['LOGIN', 'SIGNUP', 'INVITE', 'RESET_PASSWORD', 'DISCOVERY'];
let counter = 0;
const uniqueEmail = () => `person${++counter}.${Date.now()}@good.example`;

/** A project with nothing registered (the harness's createProject registers the URLs other tests use). */
const bareProject = () => server.gatehouse.projects.createProject({ environment: 'test' });

function register(project: ProjectCredentials, url: string, validTypes: { type: string; is_default?: boolean }[] = ALL_TYPES.map((type) => ({ type })), extra: Record<string, unknown> = {}) {
  return server.api(project, 'POST', '/v1/project/redirect_urls', { url, valid_types: validTypes, ...extra });
}

async function outbox(project: ProjectCredentials, to: string): Promise<{ link: string }[]> {
  return expectOk(await server.api(project, 'GET', `/v1/project/outbox?to=${encodeURIComponent(to)}`)).messages;
}

async function userCount(project: ProjectCredentials): Promise<number> {
  return expectOk(await server.api(project, 'POST', '/v1/users/search', {})).results.length;
}

async function organization(project: ProjectCredentials) {
  return expectOk(await server.api(project, 'POST', '/v1/b2b/organizations', { organization_name: `Acme ${++counter}` })).organization.organization_id as string;
}

async function activeMember(project: ProjectCredentials, organizationId: string) {
  const email = uniqueEmail();
  expectOk(await server.api(project, 'POST', `/v1/b2b/organizations/${organizationId}/members`, { email_address: email }));
  return email;
}

async function samlConnection(project: ProjectCredentials, organizationId: string): Promise<string> {
  const created = expectOk(await server.api(project, 'POST', `/v1/b2b/sso/saml/${organizationId}`, { display_name: 'Okta' })).connection;
  expectOk(await server.api(project, 'PUT', `/v1/b2b/sso/saml/${organizationId}/connections/${created.connection_id}`, {
    idp_entity_id: idp.entityId, idp_sso_url: idp.ssoUrl, x509_certificate: idp.certificate, attribute_mapping: TEST_IDP_ATTRIBUTE_MAPPING,
  }));
  return created.connection_id;
}

async function ssoStart(project: ProjectCredentials, connectionId: string, urls: Record<string, string>) {
  const response = await fetch(`${server.baseUrl}/v1/public/sso/start?${new URLSearchParams({ connection_id: connectionId, public_token: project.public_token, ...urls })}`, { redirect: 'manual' });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers, location: response.headers.get('location') };
}

// Crafted URLs a caller might pass when GOOD is registered: each is refused, none gets a token.
const REFUSED: [string, string][] = [
  ['intent://good.example/authenticate#Intent;scheme=https;end', 'invalid'],
  ['javascript:alert(document.cookie)', 'invalid'],
  ['data:text/html,<script>alert(1)</script>', 'invalid'],
  ['https://evil.example\\@good.example/authenticate', 'invalid'],
  ['https://evil.example@good.example/authenticate', 'invalid'],
  ['https://user:secret@good.example/authenticate', 'invalid'],
  ['https://@good.example/authenticate', 'invalid'],
  ['https://good.example/authenticate#fragment', 'invalid'],
  [' https://good.example/authenticate', 'invalid'],
  ['https://good.example/authen\ticate', 'invalid'],
  ['/authenticate', 'invalid'],
  ['https://good.example.evil/authenticate', 'no_match'],
  ['https://evil.example/authenticate', 'no_match'],
  ['https://good.example./authenticate', 'no_match'],
  ['https://good.example:8443/authenticate', 'no_match'],
  ['http://good.example/authenticate', 'no_match'],
  ['https://good.example/Authenticate', 'no_match'],
  ['https://good.example/authenticate/', 'no_match'],
  ['https://good.example/authenticate?next=https://evil.example', 'no_match'],
  ['https://good.example/other/../authenticate/x', 'no_match'],
  ['https://xn--gd-good-example.evil/authenticate', 'no_match'],
  ['myapp://good.example/authenticate', 'no_match'],
];

describe('finding 4: a URL that is not registered never receives a token', () => {
  test('consumer magic links (login_or_create, send), invites and password resets refuse an unregistered URL and send nothing', async () => {
    const project = await server.createProject();
    const email = uniqueEmail();
    const users = await userCount(project);
    expectError(await server.api(project, 'POST', '/v1/magic_links/email/login_or_create', { email, signup_magic_link_url: 'https://evil.example/steal' }), 400, 'no_match_for_provided_magic_link_url');
    expectError(await server.api(project, 'POST', '/v1/magic_links/email/login_or_create', { email, login_magic_link_url: 'https://evil.example/steal' }), 400, 'no_match_for_provided_magic_link_url');
    assert.equal(await userCount(project), users, 'no user was created');
    expectError(await server.api(project, 'POST', '/v1/magic_links/email/invite', { email, invite_magic_link_url: 'https://evil.example/steal' }), 400, 'no_match_for_provided_magic_link_url');
    assert.equal(await userCount(project), users, 'no user was invited');
    expectOk(await server.api(project, 'POST', '/v1/users', { email }));
    expectError(await server.api(project, 'POST', '/v1/magic_links/email/send', { email, login_magic_link_url: 'https://evil.example/steal' }), 400, 'no_match_for_provided_magic_link_url');
    expectError(await server.api(project, 'POST', '/v1/passwords/email/reset/start', { email, reset_password_redirect_url: 'https://evil.example/steal' }), 400, 'no_match_for_provided_magic_link_url');
    expectError(await server.api(project, 'POST', '/v1/passwords/email/reset/start', { email, reset_password_redirect_url: 'intent://evil#Intent;end' }), 400, 'invalid_password_reset_redirect_url');
    assert.deepEqual(await outbox(project, email), [], 'no message, so no token, went anywhere');
  });

  test('B2B magic links and invites refuse an unregistered URL and send nothing', async () => {
    const project = await server.createProject();
    const organizationId = await organization(project);
    const email = await activeMember(project, organizationId);
    expectError(await server.api(project, 'POST', '/v1/b2b/magic_links/email/login_or_signup', { organization_id: organizationId, email_address: email, login_redirect_url: 'https://evil.example/steal' }), 400, 'no_match_for_provided_magic_link_url');
    expectError(await server.api(project, 'POST', '/v1/b2b/magic_links/email/login_or_signup', { organization_id: organizationId, email_address: email, login_redirect_url: 'https://evil\\@good.example/' }), 400, 'invalid_login_redirect_url');
    const invited = uniqueEmail();
    expectError(await server.api(project, 'POST', '/v1/b2b/magic_links/email/invite', { organization_id: organizationId, email_address: invited, invite_redirect_url: 'https://evil.example/steal' }), 400, 'no_match_for_provided_magic_link_url');
    assert.deepEqual(await outbox(project, email), []);
    assert.deepEqual(await outbox(project, invited), []);
    const search = expectOk(await server.api(project, 'POST', '/v1/b2b/organizations/members/search', { organization_ids: [organizationId] }));
    assert.deepEqual(search.members.map((m: { email_address: string }) => m.email_address), [email], 'the invite wrote no member');
  });

  test('GET /v1/public/sso/start refuses an unregistered login_redirect_url or signup_redirect_url (no redirect to the IdP)', async () => {
    const project = await server.createProject();
    const connectionId = await samlConnection(project, await organization(project));
    const login = await ssoStart(project, connectionId, { login_redirect_url: 'https://evil.example/steal' });
    expectError(login, 400, 'no_match_for_provided_sso_url');
    assert.equal(login.location, null);
    expectError(await ssoStart(project, connectionId, { login_redirect_url: 'http://localhost:3000/authenticate', signup_redirect_url: 'https://evil.example/steal' }), 400, 'no_match_for_provided_sso_url');
    expectError(await ssoStart(project, connectionId, { login_redirect_url: 'javascript:alert(1)' }), 400, 'invalid_login_redirect_url');
  });
});

describe('matching: exact, after WHATWG parsing, per type', () => {
  test('crafted URLs are refused with a clear error; only the registered URL (host case and default port aside) is used', async () => {
    const project = await server.createProject();
    expectOk(await register(project, GOOD));
    const email = uniqueEmail();
    expectOk(await server.api(project, 'POST', '/v1/users', { email }));
    for (const [url, kind] of REFUSED) {
      const response = await server.api(project, 'POST', '/v1/magic_links/email/send', { email, login_magic_link_url: url });
      expectError(response, 400, kind === 'invalid' ? 'invalid_login_magic_link_url' : 'no_match_for_provided_magic_link_url');
      assert.ok(!JSON.stringify(response.body).includes('secret'), 'credentials in a URL are not echoed');
    }
    assert.deepEqual(await outbox(project, email), []);
    for (const equivalent of [GOOD, 'https://GOOD.Example/authenticate', 'HTTPS://good.example:443/authenticate']) {
      expectOk(await server.api(project, 'POST', '/v1/magic_links/email/send', { email, login_magic_link_url: equivalent }));
    }
    const links = (await outbox(project, email)).map((message) => new URL(message.link));
    assert.equal(links.length, 3);
    for (const link of links) assert.equal(`${link.origin}${link.pathname}`, GOOD, 'the link is built on the registered URL');
  });

  test('a URL counts only for the types it is registered for', async () => {
    const project = await bareProject();
    expectOk(await register(project, 'https://good.example/login', [{ type: 'LOGIN' }]));
    expectOk(await register(project, 'https://good.example/invite', [{ type: 'INVITE' }]));
    const email = uniqueEmail();
    expectError(await server.api(project, 'POST', '/v1/magic_links/email/invite', { email, invite_magic_link_url: 'https://good.example/login' }), 400, 'no_match_for_provided_magic_link_url');
    expectOk(await server.api(project, 'POST', '/v1/magic_links/email/invite', { email, invite_magic_link_url: 'https://good.example/invite' }));
    const [message] = await outbox(project, email);
    const link = new URL(message!.link);
    assert.equal(`${link.origin}${link.pathname}`, 'https://good.example/invite');
    expectError(await server.api(project, 'POST', '/v1/passwords/email/reset/start', { email, reset_password_redirect_url: 'https://good.example/login' }), 400, 'no_match_for_provided_magic_link_url');
  });

  test("a registered URL's query is part of it and kept in the link; a custom scheme works only when registered", async () => {
    const project = await bareProject();
    expectOk(await register(project, 'https://good.example/login?from=mail', [{ type: 'LOGIN' }]));
    expectOk(await register(project, 'com.example.app://auth/callback', [{ type: 'LOGIN' }]));
    const email = uniqueEmail();
    expectOk(await server.api(project, 'POST', '/v1/users', { email }));
    expectError(await server.api(project, 'POST', '/v1/magic_links/email/send', { email, login_magic_link_url: 'https://good.example/login' }), 400, 'no_match_for_provided_magic_link_url');
    expectError(await server.api(project, 'POST', '/v1/magic_links/email/send', { email, login_magic_link_url: 'https://good.example/login?from=mail&x=1' }), 400, 'no_match_for_provided_magic_link_url');
    expectOk(await server.api(project, 'POST', '/v1/magic_links/email/send', { email, login_magic_link_url: 'https://good.example/login?from=mail' }));
    expectOk(await server.api(project, 'POST', '/v1/magic_links/email/send', { email, login_magic_link_url: 'com.example.app://auth/callback' }));
    const links = (await outbox(project, email)).map((message) => new URL(message.link));
    const web = links.find((link) => link.protocol === 'https:')!;
    assert.equal(web.searchParams.get('from'), 'mail');
    assert.equal(web.searchParams.get('stytch_token_type'), 'magic_links');
    const app = links.find((link) => link.protocol === 'com.example.app:')!;
    assert.equal(`${app.protocol}//${app.host}${app.pathname}`, 'com.example.app://auth/callback');
    assert.ok(app.searchParams.get('token'));
  });
});

describe('defaults', () => {
  test('an omitted URL takes the default of its type; no default → 400 with nothing written', async () => {
    const project = await bareProject();
    const email = uniqueEmail();
    expectError(await server.api(project, 'POST', '/v1/magic_links/email/login_or_create', { email }), 400, 'no_default_signup_redirect_url_set');
    assert.equal(await userCount(project), 0, 'no user was created');
    expectError(await server.api(project, 'POST', '/v1/magic_links/email/invite', { email }), 400, 'no_default_invite_redirect_url_set');
    assert.equal(await userCount(project), 0, 'no user was invited');
    expectError(await server.api(project, 'POST', '/v1/passwords/email/reset/start', { email }), 400, 'no_password_reset_redirect_url');

    expectOk(await register(project, 'https://good.example/signup', [{ type: 'SIGNUP' }]));
    expectOk(await register(project, 'https://good.example/login', [{ type: 'LOGIN', is_default: false }]));
    expectOk(await server.api(project, 'POST', '/v1/magic_links/email/login_or_create', { email }));
    const [signup] = await outbox(project, email);
    assert.equal(new URL(signup!.link).pathname, '/signup', 'the first URL of a type becomes its default');
    const other = uniqueEmail();
    expectOk(await server.api(project, 'POST', '/v1/magic_links/email/login_or_create', { email: other, signup_magic_link_url: '', login_magic_link_url: '' }));
    const [empty] = await outbox(project, other);
    assert.equal(new URL(empty!.link).pathname, '/signup', "an empty string is an omitted URL, as in Stytch's API");
  });

  test('password reset: the same answer for a known and an unknown address when no default is set', async () => {
    const project = await bareProject();
    const email = uniqueEmail();
    expectOk(await server.api(project, 'POST', '/v1/users', { email }));
    const known = expectError(await server.api(project, 'POST', '/v1/passwords/email/reset/start', { email }), 400, 'no_password_reset_redirect_url');
    const unknown = expectError(await server.api(project, 'POST', '/v1/passwords/email/reset/start', { email: uniqueEmail() }), 400, 'no_password_reset_redirect_url');
    assert.equal(known.error_message, unknown.error_message);
  });

  test('SSO start without URLs uses the login and sign-up defaults; none registered → 400', async () => {
    const project = await bareProject();
    const connectionId = await samlConnection(project, await organization(project));
    expectError(await ssoStart(project, connectionId, {}), 400, 'no_default_login_redirect_url_set');
    expectOk(await register(project, 'https://good.example/login', [{ type: 'LOGIN' }]));
    expectError(await ssoStart(project, connectionId, {}), 400, 'no_default_signup_redirect_url_set');
    expectOk(await register(project, 'https://good.example/signup', [{ type: 'SIGNUP' }]));
    const started = await ssoStart(project, connectionId, {});
    assert.equal(started.status, 302);
    assert.ok(started.location!.startsWith(idp.ssoUrl));
  });

  test('B2B: an omitted login_redirect_url takes the LOGIN default', async () => {
    const project = await bareProject();
    const organizationId = await organization(project);
    const email = await activeMember(project, organizationId);
    expectError(await server.api(project, 'POST', '/v1/b2b/magic_links/email/login_or_signup', { organization_id: organizationId, email_address: email }), 400, 'no_default_login_redirect_url_set');
    expectOk(await register(project, 'https://good.example/b2b', [{ type: 'LOGIN' }]));
    expectOk(await server.api(project, 'POST', '/v1/b2b/magic_links/email/login_or_signup', { organization_id: organizationId, email_address: email }));
    const [message] = await outbox(project, email);
    assert.equal(new URL(message!.link).pathname, '/b2b');
  });
});

describe('managing the registered URLs: /v1/project/redirect_urls', () => {
  test('create, list, update, delete; one default per type; defaults promoted as Stytch does', async () => {
    const project = await bareProject();
    const first = expectOk(await register(project, 'https://good.example/a'));
    assert.deepEqual(first.redirect_url.valid_types, ALL_TYPES.map((type) => ({ type, is_default: true })), 'the first URL of each type becomes its default');
    const second = expectOk(await register(project, 'https://good.example/b', [{ type: 'LOGIN', is_default: true }, { type: 'INVITE' }]));
    assert.deepEqual(second.redirect_url.valid_types, [{ type: 'LOGIN', is_default: true }, { type: 'INVITE', is_default: false }]);
    let list = expectOk(await server.api(project, 'GET', '/v1/project/redirect_urls')).redirect_urls;
    assert.deepEqual(list.map((u: { url: string }) => u.url), ['https://good.example/a', 'https://good.example/b']);
    assert.deepEqual(list[0].valid_types.find((t: { type: string }) => t.type === 'LOGIN'), { type: 'LOGIN', is_default: false }, 'the new default took over');

    const updated = expectOk(await server.api(project, 'PUT', `/v1/project/redirect_urls?url=${encodeURIComponent('https://good.example/b')}`, { valid_types: [{ type: 'SIGNUP', is_default: true }] }));
    assert.deepEqual(updated.redirect_url.valid_types, [{ type: 'SIGNUP', is_default: true }]);
    list = expectOk(await server.api(project, 'GET', '/v1/project/redirect_urls')).redirect_urls;
    assert.deepEqual(list[0].valid_types, ALL_TYPES.map((type) => ({ type, is_default: type !== 'SIGNUP' })), 'LOGIN went back to the only URL left for it');

    const removed = expectOk(await server.api(project, 'DELETE', `/v1/project/redirect_urls?url=${encodeURIComponent('https://good.example/b')}`));
    assert.equal(removed.url, 'https://good.example/b');
    list = expectOk(await server.api(project, 'GET', '/v1/project/redirect_urls')).redirect_urls;
    assert.deepEqual(list[0].valid_types, ALL_TYPES.map((type) => ({ type, is_default: true })), 'SIGNUP went back to the remaining URL');

    expectOk(await register(project, 'https://good.example/c', [{ type: 'LOGIN' }], { do_not_promote_defaults: true }));
    expectOk(await server.api(project, 'DELETE', `/v1/project/redirect_urls?url=${encodeURIComponent('https://good.example/a')}&do_not_promote_defaults=true`));
    list = expectOk(await server.api(project, 'GET', '/v1/project/redirect_urls')).redirect_urls;
    assert.deepEqual(list, [{ url: 'https://good.example/c', valid_types: [{ type: 'LOGIN', is_default: false }], created_at: list[0].created_at }]);
    const email = uniqueEmail();
    expectOk(await server.api(project, 'POST', '/v1/users', { email }));
    expectError(await server.api(project, 'POST', '/v1/magic_links/email/send', { email }), 400, 'no_default_login_redirect_url_set');
  });

  test('registration refuses what could not be matched safely, in the error envelope', async () => {
    const project = await bareProject();
    expectOk(await register(project, GOOD));
    expectError(await register(project, GOOD), 409, 'duplicate_redirect_url');
    expectError(await register(project, 'https://GOOD.example:443/authenticate'), 409, 'duplicate_redirect_url');
    for (const url of ['intent://x/y', 'javascript://x/%0aalert(1)', 'data:text/html,x', 'file:///etc/passwd', 'vbscript:x', 'blob:https://good.example/x']) {
      expectError(await register(project, url), 400, 'redirect_url_cannot_use_protocol');
    }
    for (const url of ['not a url', '/relative', 'https://u:p@good.example/x', 'https://evil\\@good.example/', 'https://good.example/x#y', 'https://*.good.example/x', `https://good.example/${'a'.repeat(2100)}`, 'myapp:opaque']) {
      expectError(await register(project, url), 400, 'invalid_url');
    }
    expectError(await register(project, 'https://good.example/x', [{ type: 'EVERYTHING' }]), 400, 'invalid_redirect_url_type');
    expectError(await register(project, 'https://good.example/x', []), 400, 'invalid_redirect_url_type');
    expectError(await register(project, 'https://good.example/x', [{ type: 'LOGIN' }, { type: 'LOGIN' }]), 400, 'invalid_redirect_url_type');
    expectError(await server.api(project, 'PUT', `/v1/project/redirect_urls?url=${encodeURIComponent('https://good.example/none')}`, { valid_types: [{ type: 'LOGIN' }] }), 404, 'redirect_url_not_found');
    expectError(await server.api(project, 'DELETE', `/v1/project/redirect_urls?url=${encodeURIComponent('https://good.example/none')}`), 404, 'redirect_url_not_found');
    expectError(await server.api(project, 'DELETE', '/v1/project/redirect_urls'), 400, 'invalid_argument');
    expectError(await server.api(null, 'GET', '/v1/project/redirect_urls'), 401, 'unauthorized_credentials');
  });

  test("a live project registers https URLs only (http on loopback aside); projects don't see each other's URLs", async () => {
    const live = await server.gatehouse.projects.createProject({ environment: 'live' });
    expectError(await register(live, 'http://good.example/x'), 400, 'redirect_url_must_use_https');
    expectOk(await register(live, 'http://localhost:3000/authenticate'));
    expectOk(await register(live, 'https://good.example/x'));
    const other = await bareProject();
    assert.deepEqual(expectOk(await server.api(other, 'GET', '/v1/project/redirect_urls')).redirect_urls, []);
    const email = uniqueEmail();
    expectError(await server.api(other, 'POST', '/v1/magic_links/email/login_or_create', { email, signup_magic_link_url: 'https://good.example/x' }), 400, 'no_match_for_provided_magic_link_url');
  });

  test('at most 100 URLs per project', async () => {
    const project = await bareProject();
    for (let i = 0; i < 100; i++) expectOk(await register(project, `https://good.example/${i}`, [{ type: 'LOGIN' }]));
    expectError(await register(project, 'https://good.example/one-too-many', [{ type: 'LOGIN' }]), 400, 'too_many_redirect_urls');
  });
});
