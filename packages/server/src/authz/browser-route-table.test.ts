// The browser's half of the route-table walk (route-table.test.ts walks /v1): on /sdk/v1 a member's
// session is its Basic credentials, and the routes that act with the member's authority check the
// stytch.* actions of actions.ts in their handlers. This walks every /sdk/v1/b2b route (reads too)
// of a real server with the session of a member whose roles grant nothing (not even stytch.self),
// aimed at another member, organization and connections:
// - a route that acts with the member's authority answers 403 session_authorization_error;
// - a sign-in, MFA or own-session route aimed at another member gets no 2xx; a send answers as without a session;
// - only the listed own-session routes succeed, and they touch the caller alone;
// - nothing of the other member, the organization or its connections changed.
// A browser route added without a line in ROUTES fails here: say what it does with a member session.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { B2BProject, expectOk, STYTCH_ADMIN_ROLE } from '../testing/b2b.ts';
import { startTestServer, type TestServer } from '../testing/harness.ts';
import { allowOrigin, memberWithPassword, sdkCall } from '../testing/sdk.ts';

let server: TestServer;
before(async () => {
  // Rate limits off: the walk sends many calls from one address.
  server = await startTestServer({ env: { GATEHOUSE_RATE_LIMIT_IDENTIFIER: '0', GATEHOUSE_RATE_LIMIT_IP: '0' } });
});
after(() => server.close());

const ORIGIN = 'http://localhost:5173';
const WALKED = new Set(['GET', 'POST', 'PUT', 'DELETE']);

interface World { orgId: string; otherId: string; otherPasswordId: string; samlId: string; oidcId: string; certificateId: string; scimId: string }

/**
 * What each browser route does with a signed-in member who holds nothing:
 * - 'forbidden': it acts with the member's authority → 403 session_authorization_error;
 * - 'refused': a sign-in, MFA or session route aimed at another member → some 4xx, never a success;
 * - 'public': a send anyone may ask for; the session plays no part (the same answer without it);
 * - 'own': it acts on the caller's own session or factors only (Stytch checks no permission there).
 * `body` aims the call at the other member, the organization or its connections.
 */
const ROUTES: Record<string, { expect: 'forbidden' | 'refused' | 'public' | 'own'; body?: (w: World) => Record<string, unknown>; query?: string }> = {
  'GET /sdk/v1/b2b/organizations/members/me': { expect: 'own' },
  'GET /sdk/v1/b2b/organizations/me': { expect: 'own' },
  'GET /sdk/v1/b2b/recovery_codes': { expect: 'own' },
  'GET /sdk/v1/b2b/admin_portal_config': { expect: 'own' },
  'GET /sdk/v1/b2b/sso': { expect: 'forbidden' },
  'GET /sdk/v1/b2b/sso/discovery/connections': { expect: 'public', query: '?email_address=other%40acme.com' },
  'POST /sdk/v1/b2b/passwords/authenticate': { expect: 'refused', body: (w) => ({ organization_id: w.orgId, email_address: 'other@acme.com', password: 'not the password' }) },
  'POST /sdk/v1/b2b/magic_links/authenticate': { expect: 'refused', body: () => ({ magic_links_token: 'made-up-token' }) },
  'POST /sdk/v1/b2b/sessions/authenticate': { expect: 'own', body: () => ({}) },
  'POST /sdk/v1/b2b/sessions/exchange': { expect: 'refused', body: (w) => ({ organization_id: w.orgId }) },
  'POST /sdk/v1/b2b/sessions/revoke': { expect: 'own' },
  'POST /sdk/v1/b2b/sessions/revoke/:member_id': { expect: 'forbidden' },
  'PUT /sdk/v1/b2b/organizations/members/update': { expect: 'forbidden', body: () => ({ name: 'Renamed' }) },
  'POST /sdk/v1/b2b/organizations/members/start_email_update': { expect: 'forbidden', body: () => ({ email_address: 'nobody-new@acme.com' }) },
  'DELETE /sdk/v1/b2b/organizations/members/passwords/:password_id': { expect: 'forbidden' },
  'PUT /sdk/v1/b2b/organizations/me': { expect: 'forbidden', body: () => ({ organization_name: 'Taken' }) },
  'DELETE /sdk/v1/b2b/organizations/me': { expect: 'forbidden' },
  'POST /sdk/v1/b2b/organizations/me/members/search': { expect: 'forbidden', body: () => ({}) },
  'POST /sdk/v1/b2b/organizations/members': { expect: 'forbidden', body: () => ({ email_address: 'new@acme.com', roles: ['stytch_admin'] }) },
  'PUT /sdk/v1/b2b/organizations/members/:member_id': { expect: 'forbidden', body: () => ({ name: 'Renamed' }) },
  'POST /sdk/v1/b2b/organizations/members/:member_id/start_email_update': { expect: 'forbidden', body: () => ({ email_address: 'other-new@acme.com' }) },
  'DELETE /sdk/v1/b2b/organizations/members/:member_id': { expect: 'forbidden' },
  'PUT /sdk/v1/b2b/organizations/members/:member_id/reactivate': { expect: 'forbidden' },
  'POST /sdk/v1/b2b/magic_links/email/discovery/send': { expect: 'public', body: () => ({ email_address: 'other@acme.com', discovery_redirect_url: 'https://evil.example/x' }) },
  'POST /sdk/v1/b2b/magic_links/discovery/authenticate': { expect: 'refused', body: () => ({ discovery_magic_links_token: 'made-up-token' }) },
  'POST /sdk/v1/b2b/discovery/organizations': { expect: 'refused', body: () => ({ intermediate_session_token: 'made-up-token' }) },
  'POST /sdk/v1/b2b/discovery/organizations/create': { expect: 'refused', body: () => ({ intermediate_session_token: 'made-up-token', organization_name: 'Mine' }) },
  'POST /sdk/v1/b2b/discovery/intermediate_sessions/exchange': { expect: 'refused', body: (w) => ({ intermediate_session_token: 'made-up-token', organization_id: w.orgId }) },
  'POST /sdk/v1/b2b/oauth/authenticate': { expect: 'refused', body: () => ({ oauth_token: 'made-up-token' }) },
  'POST /sdk/v1/b2b/oauth/discovery/authenticate': { expect: 'refused', body: () => ({ discovery_oauth_token: 'made-up-token' }) },
  'POST /sdk/v1/b2b/totp': { expect: 'refused', body: (w) => ({ organization_id: w.orgId, member_id: w.otherId }) },
  'POST /sdk/v1/b2b/totp/authenticate': { expect: 'refused', body: (w) => ({ organization_id: w.orgId, member_id: w.otherId, code: '123456' }) },
  'POST /sdk/v1/b2b/recovery_codes/recover': { expect: 'refused', body: (w) => ({ organization_id: w.orgId, member_id: w.otherId, recovery_code: 'abcd-efgh-ijkl' }) },
  'POST /sdk/v1/b2b/recovery_codes/rotate': { expect: 'own', body: (w) => ({ organization_id: w.orgId, member_id: w.otherId }) },
  'POST /sdk/v1/b2b/sso/authenticate': { expect: 'refused', body: () => ({ sso_token: 'made-up-token' }) },
  'POST /sdk/v1/b2b/sso/saml': { expect: 'forbidden', body: () => ({ display_name: 'Mine' }) },
  'POST /sdk/v1/b2b/sso/oidc': { expect: 'forbidden', body: () => ({ display_name: 'Mine' }) },
  'PUT /sdk/v1/b2b/sso/saml/:connection_id': { expect: 'forbidden', body: () => ({ display_name: 'Taken' }) },
  'PUT /sdk/v1/b2b/sso/saml/:connection_id/url': { expect: 'forbidden', body: () => ({ metadata_url: 'https://idp.example/metadata' }) },
  'DELETE /sdk/v1/b2b/sso/saml/:connection_id/verification_certificates/:certificate_id': { expect: 'forbidden' },
  'PUT /sdk/v1/b2b/sso/oidc/:connection_id': { expect: 'forbidden', body: () => ({ display_name: 'Taken' }) },
  'DELETE /sdk/v1/b2b/sso/:connection_id': { expect: 'forbidden' },
  // Refused before any lookup: the source (here the org's own SAML connection, which could not be one) is never read.
  'POST /sdk/v1/b2b/sso/external': { expect: 'forbidden', body: (w) => ({ external_organization_id: w.orgId, external_connection_id: w.samlId, display_name: 'Theirs' }) },
  'PUT /sdk/v1/b2b/sso/external/:connection_id': { expect: 'forbidden', body: (w) => ({ connection_id: w.samlId, display_name: 'Taken' }) },
  'POST /sdk/v1/b2b/magic_links/email/login_or_signup': { expect: 'public', body: (w) => ({ organization_id: w.orgId, email_address: 'other@acme.com', login_redirect_url: 'https://evil.example/x' }) },
  'POST /sdk/v1/b2b/magic_links/email/invite': { expect: 'forbidden', body: () => ({ email_address: 'invited@acme.com', roles: ['stytch_admin'] }) },
  'POST /sdk/v1/b2b/otps/email/login_or_signup': { expect: 'public', body: (w) => ({ organization_id: w.orgId, email_address: 'other@acme.com' }) },
  'POST /sdk/v1/b2b/otps/email/authenticate': { expect: 'refused', body: (w) => ({ organization_id: w.orgId, email_address: 'other@acme.com', code: '123456' }) },
  'POST /sdk/v1/b2b/otps/email/discovery/send': { expect: 'public', body: () => ({ email_address: 'other@acme.com' }) },
  'POST /sdk/v1/b2b/otps/email/discovery/authenticate': { expect: 'refused', body: () => ({ email_address: 'other@acme.com', code: '123456' }) },
  'POST /sdk/v1/b2b/otps/sms/send': { expect: 'refused', body: (w) => ({ organization_id: w.orgId, member_id: w.otherId, mfa_phone_number: '+12025550123' }) },
  'POST /sdk/v1/b2b/otps/sms/authenticate': { expect: 'refused', body: (w) => ({ organization_id: w.orgId, member_id: w.otherId, code: '123456' }) },
  'POST /sdk/v1/b2b/passwords/email/reset/start': { expect: 'public', body: (w) => ({ organization_id: w.orgId, email_address: 'other@acme.com', reset_password_redirect_url: 'https://evil.example/x' }) },
  'GET /sdk/v1/b2b/scim': { expect: 'forbidden' },
  'POST /sdk/v1/b2b/scim': { expect: 'forbidden', body: () => ({ display_name: 'Mine', identity_provider: 'okta' }) },
  'POST /sdk/v1/b2b/scim/groups': { expect: 'forbidden', body: () => ({}) },
  'PUT /sdk/v1/b2b/scim/:connection_id': { expect: 'forbidden', body: (w) => ({ connection_id: w.scimId, display_name: 'Taken' }) },
  'DELETE /sdk/v1/b2b/scim/:connection_id': { expect: 'forbidden' },
  'POST /sdk/v1/b2b/scim/rotate/start': { expect: 'forbidden', body: (w) => ({ connection_id: w.scimId }) },
  'POST /sdk/v1/b2b/scim/rotate/complete': { expect: 'forbidden', body: (w) => ({ connection_id: w.scimId }) },
  'POST /sdk/v1/b2b/scim/rotate/cancel': { expect: 'forbidden', body: (w) => ({ connection_id: w.scimId }) },
  'POST /sdk/v1/b2b/passwords/email/reset': { expect: 'refused', body: () => ({ password_reset_token: 'made-up-token', password: 'a brand new password 42' }) },
};

test('a browser session whose roles grant nothing is refused on every /sdk/v1/b2b route that acts with its authority, and changes nothing', async () => {
  const project = await B2BProject.create(server, {
    resources: [],
    roles: [{ role_id: 'stytch_member', description: 'Nothing', permissions: [] }, STYTCH_ADMIN_ROLE],
    scopes: [],
  });
  await allowOrigin(server, project.credentials, ORIGIN, 'B2B');
  const organization = await project.createOrganization({ organization_name: 'Acme', email_allowed_domains: ['acme.com'] });
  const orgId = organization.organization_id as string;
  const nobody = await memberWithPassword(project, orgId, 'nobody@acme.com');
  const other = await memberWithPassword(project, orgId, 'other@acme.com');
  const saml = expectOk(await project.api('POST', `/v1/b2b/sso/saml/${orgId}`, { display_name: 'SAML' })).connection;
  const oidc = expectOk(await project.api('POST', `/v1/b2b/sso/oidc/${orgId}`, { display_name: 'OIDC' })).connection;
  const scim = expectOk(await project.api('POST', `/v1/b2b/scim/${orgId}/connection`, { display_name: 'SCIM', identity_provider: 'okta' })).connection;
  const w: World = {
    orgId,
    otherId: other.member_id,
    otherPasswordId: other.member_password_id,
    samlId: saml.connection_id,
    oidcId: oidc.connection_id,
    certificateId: saml.verification_certificates?.[0]?.certificate_id ?? 'certificate-test-00000000-0000-4000-8000-000000000000',
    scimId: scim.connection_id,
  };
  const otherSession = await project.startMemberSession(orgId, other.member_id);
  // The other member has a TOTP (active, with recovery codes) that the walk must leave alone.
  const totp = expectOk(await project.api('POST', '/v1/b2b/totp', { organization_id: orgId, member_id: other.member_id }));
  const { TOTP } = await import('otpauth');
  expectOk(await project.api('POST', '/v1/b2b/totp/authenticate', {
    organization_id: orgId, member_id: other.member_id, code: new TOTP({ secret: totp.secret }).generate(), session_token: otherSession.session_token,
  }));
  const codesBefore = expectOk(await project.api('GET', `/v1/b2b/recovery_codes/${orgId}/${other.member_id}`)).recovery_codes;
  const params: Record<string, string> = { member_id: w.otherId, password_id: w.otherPasswordId, connection_id: w.samlId, certificate_id: w.certificateId };

  const walked = server.gatehouse.app.routeTable.filter((route) => route.url.startsWith('/sdk/v1/b2b') && WALKED.has(route.method));
  assert.ok(walked.length >= 46, `only ${walked.length} browser routes`);
  const unlisted = walked.map((route) => `${route.method} ${route.url}`).filter((key) => !(key in ROUTES));
  assert.deepEqual(unlisted, [], 'say in ROUTES what these browser routes do with a member session');

  for (const route of walked) {
    const key = `${route.method} ${route.url}`;
    const { expect, body, query = '' } = ROUTES[key]!;
    // A fresh session each time: the own-session routes may revoke it.
    const session = await project.startMemberSession(orgId, nobody.member_id);
    const caller = { publicToken: project.credentials.public_token, sessionToken: session.session_token, origin: ORIGIN };
    let path = route.url.slice('/sdk/v1'.length).replace(/:([a-z_]+)/g, (_m, name: string) => params[name] ?? name);
    if (route.url === '/sdk/v1/b2b/sso/oidc/:connection_id') path = path.replace(w.samlId, w.oidcId);
    if (route.url === '/sdk/v1/b2b/scim/:connection_id') path = path.replace(w.samlId, w.scimId);
    path += query;
    const noBody = route.method === 'DELETE' || route.method === 'GET';
    const response = await sdkCall(server, caller, route.method, path, body ? body(w) : noBody ? undefined : {});
    const seen = `${key}: ${response.status} ${JSON.stringify(response.body)}`;
    if (expect === 'forbidden') {
      assert.equal(response.status, 403, seen);
      assert.equal(response.body?.error_type, 'session_authorization_error', seen);
    } else if (expect === 'public') {
      const without = await sdkCall(server, { ...caller, sessionToken: undefined }, route.method, path, body ? body(w) : noBody ? undefined : {});
      assert.deepEqual([response.status, response.body?.error_type], [without.status, without.body?.error_type], seen);
    } else if (expect === 'refused') {
      assert.ok(response.status >= 400 && response.status < 500, seen);
    } else {
      // The caller's own session or factors (this caller has no TOTP: rotate answers totp_not_found).
      assert.ok(response.status < 300 || response.body?.error_type === 'totp_not_found', seen);
    }
  }

  // Nothing of the organization, the other member, its password, sessions or factors, or the connections changed.
  const after = await project.getOrganization(orgId);
  assert.equal(after.organization_name, 'Acme');
  const otherNow = await project.getMember(orgId, w.otherId);
  assert.equal(otherNow.name, 'other');
  assert.equal(otherNow.status, 'active');
  assert.equal(otherNow.email_address, 'other@acme.com');
  assert.equal(otherNow.member_password_id, w.otherPasswordId);
  assert.equal(otherNow.mfa_phone_number, '');
  expectOk(await project.api('POST', '/v1/b2b/sessions/authenticate', { session_token: otherSession.session_token }));
  const totps = await server.gatehouse.db.query<{ status: string }>('SELECT status FROM totp_registrations WHERE member_id = $1', [w.otherId]);
  assert.deepEqual(totps.rows.map((row) => row.status), ['active'], 'the other member\'s TOTP registrations');
  assert.deepEqual(expectOk(await project.api('GET', `/v1/b2b/recovery_codes/${orgId}/${w.otherId}`)).recovery_codes, codesBefore);
  const members = expectOk(await project.api('POST', '/v1/b2b/organizations/members/search', { organization_ids: [orgId] })).members;
  assert.deepEqual(members.map((m: { email_address: string }) => m.email_address).sort(), ['nobody@acme.com', 'other@acme.com']);
  const connections = expectOk(await project.api('GET', `/v1/b2b/sso/${orgId}`));
  assert.deepEqual(connections.saml_connections.map((c: { display_name: string }) => c.display_name), ['SAML']);
  assert.deepEqual(connections.oidc_connections.map((c: { display_name: string }) => c.display_name), ['OIDC']);
  const scimNow = expectOk(await project.api('GET', `/v1/b2b/scim/${orgId}/connection`)).connection;
  assert.deepEqual([scimNow.connection_id, scimNow.display_name, scimNow.next_bearer_token_expires_at ?? null], [w.scimId, 'SCIM', null], 'the SCIM connection, no rotation started');
});
