// B2B member sessions over real HTTP: /v1/b2b/sessions/authenticate (token, JWT, authorization
// checks with their 403s), roles worked out at each call (implicit roles follow the organization's
// email-domain rules and the member's email), the session dying with its member or organization,
// revoke, list, JWKS, expiry, and the official B2BClient against the server.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, decodeProtectedHeader, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { B2BProject, expectOk, STYTCH_ADMIN_ROLE, STYTCH_MEMBER_ROLE, MEMBER_ID, ORGANIZATION_ID, RFC3339, type MemberSessionCredentials } from '../testing/b2b.ts';
import { expectError, ManualClock, startTestServer, type TestServer } from '../testing/harness.ts';
import { b2bClient } from '../testing/stytch-clients.ts';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

const ORGANIZATION_CLAIM = 'https://stytch.com/organization';
const SESSION_CLAIM = 'https://stytch.com/session';

const POLICY = {
  resources: [{ resource_id: 'documents', description: 'Documents', actions: ['read', 'write', 'delete'] }],
  roles: [
    STYTCH_MEMBER_ROLE,
    STYTCH_ADMIN_ROLE,
    { role_id: 'editor', description: 'Edits', permissions: [{ resource_id: 'documents', actions: ['read', 'write'] }] },
    { role_id: 'viewer', description: 'Reads', permissions: [{ resource_id: 'documents', actions: ['read'] }] },
  ],
  scopes: [],
};

/** A project with POLICY, one organization and one member (explicit roles as given) with a live session. */
async function world(roles: string[] = [], email = 'ada@acme.com') {
  const project = await B2BProject.create(server, POLICY);
  const organization = await project.createOrganization({ organization_slug: `acme-${Math.random().toString(36).slice(2, 8)}` });
  const member = await project.createMember(organization.organization_id, { email_address: email, name: 'Ada', roles });
  const session = await project.startMemberSession(organization.organization_id, member.member_id);
  return { project, organization, member, session };
}

const authenticate = (project: B2BProject, body: Record<string, unknown>) => project.api('POST', '/v1/b2b/sessions/authenticate', body);

async function sessionRoles(project: B2BProject, session: MemberSessionCredentials): Promise<{ roles: string[]; jwtRoles: string[] }> {
  const body = expectOk(await authenticate(project, { session_token: session.session_token }));
  const claim = decodeJwt(body.session_jwt)[SESSION_CLAIM] as { roles: string[] };
  return { roles: body.member_session.roles, jwtRoles: claim.roles };
}

async function listSessions(project: B2BProject, organizationId: string, memberId: string): Promise<any[]> {
  const query = `organization_id=${encodeURIComponent(organizationId)}&member_id=${encodeURIComponent(memberId)}`;
  return expectOk(await project.api('GET', `/v1/b2b/sessions?${query}`)).member_sessions;
}

describe('authenticate', () => {
  test('by token: member_session, member and organization in Stytch\'s shape; the JWT verifies against the B2B JWKS', async () => {
    const { project, organization, member, session } = await world(['editor']);
    const body = expectOk(await authenticate(project, { session_token: session.session_token }));
    const ms = body.member_session;
    assert.equal(ms.member_session_id, session.member_session_id);
    assert.match(ms.member_session_id, /^member-session-test-/);
    assert.equal(ms.member_id, member.member_id);
    assert.match(ms.member_id, MEMBER_ID);
    assert.equal(ms.organization_id, organization.organization_id);
    assert.match(ms.organization_id, ORGANIZATION_ID);
    assert.equal(ms.organization_slug, organization.organization_slug);
    assert.deepEqual(ms.roles, ['stytch_member', 'editor']);
    for (const key of ['started_at', 'last_accessed_at', 'expires_at']) assert.match(ms[key], RFC3339, key);
    assert.equal(ms.authentication_factors[0].type, 'password');
    assert.equal(body.session_token, session.session_token);
    assert.equal(body.member.member_id, member.member_id);
    assert.equal(body.member.email_address, 'ada@acme.com');
    assert.equal(body.organization.organization_id, organization.organization_id);
    assert.equal(body.verdict, undefined, 'no verdict without an authorization check');

    const projectId = project.credentials.project_id;
    // The JWKS is public: no Basic auth.
    const jwks = await server.raw(`/v1/b2b/sessions/jwks/${projectId}`, { method: 'GET' });
    assert.equal(jwks.status, 200);
    assert.ok(Array.isArray(jwks.body.keys) && jwks.body.keys.length > 0);
    const options = { issuer: `stytch.com/${projectId}`, audience: projectId, typ: 'JWT' };
    const local = await jwtVerify(body.session_jwt, createLocalJWKSet(jwks.body), options);
    const remote = await jwtVerify(body.session_jwt, createRemoteJWKSet(new URL(`${server.baseUrl}/v1/b2b/sessions/jwks/${projectId}`)), options);
    assert.deepEqual(remote.payload, local.payload);
    assert.equal(local.protectedHeader.typ, 'JWT');
    assert.equal(local.protectedHeader.alg, 'RS256');
    const claims = local.payload as Record<string, any>;
    assert.deepEqual(claims.aud, [projectId]);
    assert.equal(claims.sub, member.member_id);
    assert.deepEqual(claims[ORGANIZATION_CLAIM], { organization_id: organization.organization_id, slug: organization.organization_slug });
    assert.equal(claims[SESSION_CLAIM].id, session.member_session_id);
    assert.deepEqual(claims[SESSION_CLAIM].roles, ['stytch_member', 'editor']);
    assert.equal(claims.exp - claims.iat, 300);
  });

  test('by JWT: the same session, no token given back', async () => {
    const { project, member, session } = await world();
    const body = expectOk(await authenticate(project, { session_jwt: session.session_jwt }));
    assert.equal(body.member_session.member_session_id, session.member_session_id);
    assert.equal(body.member.member_id, member.member_id);
    assert.equal(body.session_token, '');
    assert.equal(decodeJwt(body.session_jwt).sub, member.member_id);
    expectError(await authenticate(project, { session_token: session.session_token, session_jwt: session.session_jwt }), 400, 'too_many_session_arguments');
    expectError(await authenticate(project, {}), 400, 'no_session_arguments');
  });

  test('session_duration_minutes extends the session', async () => {
    const { project, organization, member, session } = await world();
    const [before] = await listSessions(project, organization.organization_id, member.member_id);
    const body = expectOk(await authenticate(project, { session_token: session.session_token, session_duration_minutes: 600 }));
    assert.ok(Date.parse(body.member_session.expires_at) > Date.parse(before.expires_at) + 500 * 60_000);
    const [after] = await listSessions(project, organization.organization_id, member.member_id);
    assert.equal(after.expires_at, body.member_session.expires_at);
    expectError(await authenticate(project, { session_token: session.session_token, session_duration_minutes: 1 }), 400, 'invalid_session_duration_minutes');
  });

  test('a wrongly signed JWT, a forged one with our claims, and garbage are refused', async () => {
    const { project, session } = await world();
    const [header, payload] = session.session_jwt.split('.');
    // Our header and claims, another key's signature.
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT(decodeJwt(session.session_jwt))
      .setProtectedHeader(decodeProtectedHeader(session.session_jwt) as { alg: string })
      .sign(privateKey);
    expectError(await authenticate(project, { session_jwt: forged }), 401, 'jwt_invalid_signature');
    // Our signature over other claims.
    const otherPayload = Buffer.from(JSON.stringify({ ...decodeJwt(session.session_jwt), sub: 'member-test-00000000-0000-4000-8000-000000000000' })).toString('base64url');
    const spliced = `${header}.${otherPayload}.${session.session_jwt.split('.')[2]}`;
    expectError(await authenticate(project, { session_jwt: spliced }), 401, 'jwt_invalid_signature');
    assert.ok(payload);
    expectError(await authenticate(project, { session_jwt: 'not-a-jwt' }), 400, 'unable_to_parse_session_jwt');
    expectError(await authenticate(project, { session_token: 'not-a-token' }), 404, 'session_not_found');
  });
});

describe('authorization_check', () => {
  test('allowed: the verdict lists every granting role, explicit and implicit', async () => {
    const { project, organization, session } = await world(['editor']);
    await project.verifyEmail(organization.organization_id, 'ada@acme.com'); // email-domain rules count for a proven address
    await project.updateOrganization(organization.organization_id, { rbac_email_implicit_role_assignments: [{ domain: 'acme.com', role_id: 'viewer' }] });
    const body = expectOk(await authenticate(project, {
      session_token: session.session_token,
      authorization_check: { organization_id: organization.organization_id, resource_id: 'documents', action: 'read' },
    }));
    assert.equal(body.verdict.authorized, true);
    assert.deepEqual([...body.verdict.granting_roles].sort(), ['editor', 'viewer']);
    const write = expectOk(await authenticate(project, {
      session_jwt: session.session_jwt,
      authorization_check: { organization_id: organization.organization_id, resource_id: 'documents', action: 'write' },
    }));
    assert.deepEqual(write.verdict, { authorized: true, granting_roles: ['editor'] });
    const self = expectOk(await authenticate(project, {
      session_token: session.session_token,
      authorization_check: { organization_id: organization.organization_id, resource_id: 'stytch.self', action: 'update.info.name' },
    }));
    assert.deepEqual(self.verdict, { authorized: true, granting_roles: ['stytch_member'] });
  });

  test('denied: 403 session_authorization_error, and the session is not extended', async () => {
    const { project, organization, member, session } = await world(['viewer']);
    const [before] = await listSessions(project, organization.organization_id, member.member_id);
    for (const check of [
      { resource_id: 'documents', action: 'delete' },
      { resource_id: 'documents', action: 'write' },
      { resource_id: 'stytch.member', action: 'search' },
      { resource_id: 'no-such-resource', action: 'read' },
    ]) {
      expectError(await authenticate(project, {
        session_token: session.session_token,
        session_duration_minutes: 600,
        authorization_check: { organization_id: organization.organization_id, ...check },
      }), 403, 'session_authorization_error');
    }
    const [after] = await listSessions(project, organization.organization_id, member.member_id);
    assert.equal(after.expires_at, before.expires_at);
  });

  test('another organization: 403 session_authorization_tenancy_error, even for an action the member holds', async () => {
    const { project, organization, member, session } = await world(['editor']);
    const other = await project.createOrganization();
    const [before] = await listSessions(project, organization.organization_id, member.member_id);
    for (const input of [{ session_token: session.session_token }, { session_jwt: session.session_jwt }]) {
      expectError(await authenticate(project, {
        ...input,
        session_duration_minutes: 600,
        authorization_check: { organization_id: other.organization_id, resource_id: 'documents', action: 'read' },
      }), 403, 'session_authorization_tenancy_error');
    }
    const [after] = await listSessions(project, organization.organization_id, member.member_id);
    assert.equal(after.expires_at, before.expires_at);
  });
});

describe('roles are worked out at each authentication', () => {
  test('an implicit role appears with the email-domain rule and goes with it, and with a change of email', async () => {
    const { project, organization, member, session } = await world();
    const orgId = organization.organization_id;
    await project.verifyEmail(orgId, 'ada@acme.com'); // email-domain rules count for a proven address
    const check = { organization_id: orgId, resource_id: 'documents', action: 'read' };
    assert.deepEqual(await sessionRoles(project, session), { roles: ['stytch_member'], jwtRoles: ['stytch_member'] });
    expectError(await authenticate(project, { session_token: session.session_token, authorization_check: check }), 403, 'session_authorization_error');

    await project.updateOrganization(orgId, { rbac_email_implicit_role_assignments: [{ domain: 'acme.com', role_id: 'viewer' }] });
    assert.deepEqual(await sessionRoles(project, session), { roles: ['stytch_member', 'viewer'], jwtRoles: ['stytch_member', 'viewer'] });
    assert.deepEqual(expectOk(await authenticate(project, { session_jwt: session.session_jwt, authorization_check: check })).verdict.granting_roles, ['viewer']);

    await project.updateOrganization(orgId, { rbac_email_implicit_role_assignments: [] });
    assert.deepEqual(await sessionRoles(project, session), { roles: ['stytch_member'], jwtRoles: ['stytch_member'] });
    expectError(await authenticate(project, { session_token: session.session_token, authorization_check: check }), 403, 'session_authorization_error');

    await project.updateOrganization(orgId, { rbac_email_implicit_role_assignments: [{ domain: 'acme.com', role_id: 'viewer' }] });
    assert.deepEqual((await sessionRoles(project, session)).roles, ['stytch_member', 'viewer']);
    await project.changeEmail(orgId, member.member_id, 'ada@elsewhere.com');
    assert.deepEqual(await sessionRoles(project, session), { roles: ['stytch_member'], jwtRoles: ['stytch_member'] });
    expectError(await authenticate(project, { session_jwt: session.session_jwt, authorization_check: check }), 403, 'session_authorization_error');
    // GET /v1/b2b/sessions shows the roles of now too.
    assert.deepEqual((await listSessions(project, orgId, member.member_id))[0].roles, ['stytch_member']);
  });

  test('an explicit role change is seen at the next authentication', async () => {
    const { project, organization, member, session } = await world(['viewer']);
    const check = { organization_id: organization.organization_id, resource_id: 'documents', action: 'write' };
    expectError(await authenticate(project, { session_token: session.session_token, authorization_check: check }), 403, 'session_authorization_error');
    await project.updateMember(organization.organization_id, member.member_id, { roles: ['editor'] });
    assert.deepEqual(await sessionRoles(project, session), { roles: ['stytch_member', 'editor'], jwtRoles: ['stytch_member', 'editor'] });
    assert.deepEqual(expectOk(await authenticate(project, { session_token: session.session_token, authorization_check: check })).verdict.granting_roles, ['editor']);
    await project.updateMember(organization.organization_id, member.member_id, { roles: [] });
    assert.deepEqual((await sessionRoles(project, session)).roles, ['stytch_member']);
  });

  test('a policy change to a role is seen at the next authorization check', async () => {
    const { project, organization, session } = await world(['viewer']);
    const check = { organization_id: organization.organization_id, resource_id: 'documents', action: 'delete' };
    expectError(await authenticate(project, { session_token: session.session_token, authorization_check: check }), 403, 'session_authorization_error');
    await project.putPolicy({
      ...POLICY,
      roles: POLICY.roles.map((role) => (role.role_id === 'viewer' ? { ...role, permissions: [{ resource_id: 'documents', actions: ['read', 'delete'] }] } : role)),
    });
    assert.deepEqual(expectOk(await authenticate(project, { session_token: session.session_token, authorization_check: check })).verdict.granting_roles, ['viewer']);
  });
});

describe('the session ends with its member, its organization, revoke and expiry', () => {
  test('member deleted → session_not_found, by token and by JWT', async () => {
    const { project, organization, member, session } = await world();
    expectOk(await authenticate(project, { session_token: session.session_token }));
    await project.deleteMember(organization.organization_id, member.member_id);
    expectError(await authenticate(project, { session_token: session.session_token }), 404, 'session_not_found');
    expectError(await authenticate(project, { session_jwt: session.session_jwt }), 404, 'session_not_found');
  });

  test('organization deleted → session_not_found, by token and by JWT', async () => {
    const { project, organization, session } = await world();
    expectOk(await authenticate(project, { session_jwt: session.session_jwt }));
    expectOk(await project.api('DELETE', `/v1/b2b/organizations/${organization.organization_id}`));
    expectError(await authenticate(project, { session_token: session.session_token }), 404, 'session_not_found');
    expectError(await authenticate(project, { session_jwt: session.session_jwt }), 404, 'session_not_found');
  });

  test('revoke by token, by JWT, by member_session_id, and every session by member_id', async () => {
    const { project, organization, member } = await world();
    const orgId = organization.organization_id;
    const sessions = await Promise.all([1, 2, 3, 4, 5].map(() => project.startMemberSession(orgId, member.member_id)));
    assert.equal((await listSessions(project, orgId, member.member_id)).length, 6);
    const [byToken, byJwt, byId, rest1, rest2] = sessions as [MemberSessionCredentials, MemberSessionCredentials, MemberSessionCredentials, MemberSessionCredentials, MemberSessionCredentials];

    expectOk(await project.api('POST', '/v1/b2b/sessions/revoke', { session_token: byToken.session_token }));
    expectError(await authenticate(project, { session_token: byToken.session_token }), 404, 'session_not_found');
    expectError(await authenticate(project, { session_jwt: byToken.session_jwt }), 404, 'session_not_found');
    expectOk(await project.api('POST', '/v1/b2b/sessions/revoke', { session_jwt: byJwt.session_jwt }));
    expectError(await authenticate(project, { session_token: byJwt.session_token }), 404, 'session_not_found');
    expectOk(await project.api('POST', '/v1/b2b/sessions/revoke', { member_session_id: byId.member_session_id }));
    expectError(await authenticate(project, { session_token: byId.session_token }), 404, 'session_not_found');
    expectError(await project.api('POST', '/v1/b2b/sessions/revoke', { member_session_id: byId.member_session_id }), 404, 'session_not_found');
    expectOk(await authenticate(project, { session_token: rest1.session_token }));
    assert.equal((await listSessions(project, orgId, member.member_id)).length, 3);

    expectOk(await project.api('POST', '/v1/b2b/sessions/revoke', { member_id: member.member_id }));
    assert.deepEqual(await listSessions(project, orgId, member.member_id), []);
    expectError(await authenticate(project, { session_token: rest1.session_token }), 404, 'session_not_found');
    expectError(await authenticate(project, { session_jwt: rest2.session_jwt }), 404, 'session_not_found');

    expectError(await project.api('POST', '/v1/b2b/sessions/revoke', {}), 400, 'no_session_revoke_arguments');
    expectError(await project.api('POST', '/v1/b2b/sessions/revoke', { member_id: member.member_id, member_session_id: byId.member_session_id }), 400, 'too_many_session_revoke_arguments');
  });

  test('the list shows live sessions only, each with its roles', async () => {
    const { project, organization, member, session } = await world(['viewer']);
    const list = await listSessions(project, organization.organization_id, member.member_id);
    assert.equal(list.length, 1);
    assert.equal(list[0].member_session_id, session.member_session_id);
    assert.equal(list[0].organization_slug, organization.organization_slug);
    assert.deepEqual(list[0].roles, ['stytch_member', 'viewer']);
  });

  test('a member session is no user session, and the other way round; another project\'s session is none', async () => {
    const { project, session } = await world();
    expectError(await project.api('POST', '/v1/sessions/authenticate', { session_token: session.session_token }), 404, 'session_not_found');
    expectError(await project.api('POST', '/v1/sessions/authenticate', { session_jwt: session.session_jwt }), 404, 'session_not_found');
    expectError(await project.api('POST', '/v1/sessions/revoke', { session_token: session.session_token }), 404, 'session_not_found');

    const user = expectOk(await project.api('POST', '/v1/passwords', { email: 'user@example.com', password: 'a long enough passphrase 77', session_duration_minutes: 60 }));
    expectError(await authenticate(project, { session_token: user.session_token }), 404, 'session_not_found');
    expectError(await authenticate(project, { session_jwt: user.session_jwt }), 404, 'session_not_found');
    expectError(await project.api('POST', '/v1/b2b/sessions/revoke', { session_token: user.session_token }), 404, 'session_not_found');
    expectError(await project.api('POST', '/v1/b2b/sessions/revoke', { member_session_id: user.session.session_id }), 404, 'session_not_found');
    // The user session still works.
    expectOk(await project.api('POST', '/v1/sessions/authenticate', { session_token: user.session_token }));

    const other = await B2BProject.create(server, POLICY);
    expectError(await authenticate(other, { session_token: session.session_token }), 404, 'session_not_found');
    expectError(await other.api('POST', '/v1/b2b/sessions/revoke', { session_token: session.session_token }), 404, 'session_not_found');
    expectError(await other.api('POST', '/v1/b2b/sessions/revoke', { member_session_id: session.member_session_id }), 404, 'session_not_found');
    // Another project's JWT is not this project's: refused, whatever the reason given.
    const viaJwt = await authenticate(other, { session_jwt: session.session_jwt });
    assert.ok(viaJwt.status === 401 || viaJwt.status === 404, JSON.stringify(viaJwt.body));
    expectOk(await authenticate(project, { session_token: session.session_token }));
  });

  test('expiry, with a clock the test moves', async () => {
    const clock = new ManualClock();
    const timed = await startTestServer({ clock });
    try {
      const project = await B2BProject.create(timed, POLICY);
      const organization = await project.createOrganization();
      const member = await project.createMember(organization.organization_id, { email_address: 'ada@acme.com' });
      const short = await project.startMemberSession(organization.organization_id, member.member_id, 5);
      const long = await project.startMemberSession(organization.organization_id, member.member_id, 60);
      clock.advance(4 * 60_000);
      // Extending before the end keeps it alive.
      expectOk(await authenticate(project, { session_token: short.session_token, session_duration_minutes: 10 }));
      clock.advance(9 * 60_000);
      expectOk(await authenticate(project, { session_jwt: short.session_jwt }));
      clock.advance(2 * 60_000);
      expectError(await authenticate(project, { session_token: short.session_token }), 404, 'session_not_found');
      expectError(await authenticate(project, { session_jwt: short.session_jwt }), 404, 'session_not_found');
      // The 60-minute one, its JWT long past its exp, still gets a fresh JWT.
      const body = expectOk(await authenticate(project, { session_jwt: long.session_jwt }));
      assert.ok((decodeJwt(body.session_jwt).iat ?? 0) > (decodeJwt(long.session_jwt).iat ?? 0));
      assert.deepEqual((await listSessions(project, organization.organization_id, member.member_id)).map((s) => s.member_session_id), [long.member_session_id]);
      clock.advance(60 * 60_000);
      expectError(await authenticate(project, { session_token: long.session_token }), 404, 'session_not_found');
      assert.deepEqual(await listSessions(project, organization.organization_id, member.member_id), []);
    } finally {
      await timed.close();
    }
  });
});

describe('the official B2BClient', () => {
  test('sessions.authenticate with authorization_check: allowed, denied, tenancy mismatch; authenticateJwt', async () => {
    const { project, organization, member, session } = await world(['editor']);
    const other = await project.createOrganization();
    const client = b2bClient(server, project.credentials);

    const allowed = await client.sessions.authenticate({
      session_token: session.session_token,
      authorization_check: { organization_id: organization.organization_id, resource_id: 'documents', action: 'write' },
    });
    assert.deepEqual(allowed.verdict, { authorized: true, granting_roles: ['editor'] });
    assert.equal(allowed.member.member_id, member.member_id);
    assert.equal(allowed.member_session.organization_slug, organization.organization_slug);
    assert.deepEqual(allowed.member_session.roles, ['stytch_member', 'editor']);

    const rejects = (check: { organization_id: string; resource_id: string; action: string }, errorType: string) =>
      assert.rejects(client.sessions.authenticate({ session_token: session.session_token, authorization_check: check }), (error: { error_type?: string; status_code?: number }) => {
        assert.equal(error.error_type, errorType, JSON.stringify(error));
        assert.equal(error.status_code, 403);
        return true;
      });
    await rejects({ organization_id: organization.organization_id, resource_id: 'documents', action: 'delete' }, 'session_authorization_error');
    await rejects({ organization_id: other.organization_id, resource_id: 'documents', action: 'read' }, 'session_authorization_tenancy_error');

    // Locally against the JWKS and the policy; a local denial falls back to the server, which denies too.
    const local = await client.sessions.authenticateJwt({
      session_jwt: allowed.session_jwt,
      authorization_check: { organization_id: organization.organization_id, resource_id: 'documents', action: 'read' },
    });
    assert.equal(local.member_session.member_id, member.member_id);
    assert.deepEqual(local.member_session.roles, ['stytch_member', 'editor']);
    await assert.rejects(
      client.sessions.authenticateJwt({
        session_jwt: allowed.session_jwt,
        authorization_check: { organization_id: other.organization_id, resource_id: 'documents', action: 'read' },
      }),
      (error: { error_type?: string }) => error.error_type === 'session_authorization_tenancy_error',
    );

    const list = await client.sessions.get({ organization_id: organization.organization_id, member_id: member.member_id });
    assert.deepEqual(list.member_sessions.map((s) => s.member_session_id), [session.member_session_id]);
    await client.sessions.revoke({ member_session_id: session.member_session_id });
    await assert.rejects(client.sessions.authenticate({ session_token: session.session_token }), (error: { error_type?: string }) => error.error_type === 'session_not_found');
  });
});
