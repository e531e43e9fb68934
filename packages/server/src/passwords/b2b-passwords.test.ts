// B2B passwords over real HTTP: migrate members in from bcrypt and argon2id with roles (project and
// organization custom roles), sign in with a member session that carries them, the hash upgraded to
// argon2id; vague failures, lockout, deleting a member's password, strength check.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hash as argon2Hash, type Algorithm } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';
import { B2BProject, expectOk, MEMBER_ID } from '../testing/b2b.ts';
import { expectError, ManualClock, startTestServer, type ApiResponse, type TestServer } from '../testing/harness.ts';

const ARGON2ID = 2 as Algorithm;
const ARGON2ID_OWASP = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/;
const OLD = 'an old password from the old system';
const MINUTE = 60_000;

const clock = new ManualClock();
let server: TestServer;

before(async () => {
  // 3 wrong passwords within 10 minutes lock for 30 minutes; no rate limits in the way.
  server = await startTestServer({
    clock,
    env: { GATEHOUSE_LOCKOUT_ATTEMPTS: '3', GATEHOUSE_LOCKOUT_WINDOW_MINUTES: '10', GATEHOUSE_LOCKOUT_MINUTES: '30', GATEHOUSE_RATE_LIMIT_IDENTIFIER: '0', GATEHOUSE_RATE_LIMIT_IP: '0' },
  });
});
after(async () => {
  await server?.close();
});

const migrate = (p: B2BProject, body: Record<string, unknown>) => p.api('POST', '/v1/b2b/passwords/migrate', body);
const signIn = (p: B2BProject, body: Record<string, unknown>) => p.api('POST', '/v1/b2b/passwords/authenticate', body);

async function storedHash(memberId: string): Promise<{ hash_type: string; hash: string }> {
  const { rows } = await server.gatehouse.db.query<{ hash_type: string; hash: string }>('SELECT hash_type, hash FROM member_passwords WHERE member_id = $1', [memberId]);
  return rows[0]!;
}

/** An organization with a custom role `org_reviewer` next to the project's B2B policy. */
async function organizationWithCustomRole(p: B2BProject): Promise<any> {
  const organization = await p.createOrganization();
  expectOk(await p.api('PUT', `/v1/b2b/rbac/organizations/${organization.organization_id}`, {
    org_policy: { roles: [{ role_id: 'org_reviewer', description: 'Reviews', permissions: [{ resource_id: 'documents', actions: ['read'] }] }] },
  }));
  return organization;
}

describe('migrate and authenticate', () => {
  test('a bcrypt member with project and custom roles signs in; the session carries the roles; the hash becomes argon2id', async () => {
    const p = await B2BProject.create(server);
    const org = await organizationWithCustomRole(p);
    const email = 'ada@acme.test';
    const migrated = expectOk(await migrate(p, {
      organization_id: org.organization_id,
      email_address: email,
      hash_type: 'bcrypt',
      hash: bcrypt.hashSync(OLD, 4),
      name: 'Ada Lovelace',
      trusted_metadata: { plan: 'pro' },
      roles: ['editor', 'org_reviewer'],
      external_id: 'legacy-42',
    }));
    assert.equal(migrated.member_created, true);
    assert.match(migrated.member_id, MEMBER_ID);
    assert.equal(migrated.member.member_id, migrated.member_id);
    assert.equal(migrated.organization.organization_id, org.organization_id);
    assert.equal(migrated.member.status, 'active');
    assert.equal(migrated.member.name, 'Ada Lovelace');
    assert.equal(migrated.member.external_id, 'legacy-42');
    assert.deepEqual(migrated.member.trusted_metadata, { plan: 'pro' });
    assert.match(migrated.member.member_password_id, /^member-password-test-/);
    assert.deepEqual(migrated.member.roles.map((role: { role_id: string }) => role.role_id).sort(), ['editor', 'org_reviewer', 'stytch_member']);
    assert.equal((await storedHash(migrated.member_id)).hash_type, 'bcrypt');

    const body = expectOk(await signIn(p, { organization_id: org.organization_id, email_address: 'ADA@acme.test', password: OLD, session_duration_minutes: 60 }));
    assert.equal(body.member_id, migrated.member_id);
    assert.equal(body.organization_id, org.organization_id);
    assert.equal(body.member_authenticated, true);
    assert.equal(body.intermediate_session_token, '');
    assert.ok(body.session_token.length > 0);
    assert.equal(body.session_jwt.split('.').length, 3);
    assert.deepEqual([...body.member_session.roles].sort(), ['editor', 'org_reviewer', 'stytch_member']);
    const [factor] = body.member_session.authentication_factors;
    assert.equal(factor.type, 'password');
    assert.equal(factor.delivery_method, 'knowledge');
    assert.equal(factor.email_factor.email_address, email);
    const upgraded = await storedHash(migrated.member_id);
    assert.equal(upgraded.hash_type, 'argon_2id');
    assert.match(upgraded.hash, ARGON2ID_OWASP);

    // The session works, and the argon2id hash still takes the password.
    const session = expectOk(await p.api('POST', '/v1/b2b/sessions/authenticate', { session_token: body.session_token }));
    assert.equal(session.member.member_id, migrated.member_id);
    expectOk(await signIn(p, { organization_id: org.organization_id, email_address: email, password: OLD }));

    // A second migrate for the member is refused.
    expectError(await migrate(p, { organization_id: org.organization_id, email_address: email, hash_type: 'bcrypt', hash: bcrypt.hashSync('x', 4) }), 400, 'password_already_exists');
  });

  test('an argon2id hash for an existing member without a password: member_created false, only the password is set', async () => {
    const p = await B2BProject.create(server);
    const org = await p.createOrganization();
    const existing = await p.createMember(org.organization_id, { email_address: 'grace@acme.test', name: 'Grace', roles: ['viewer'] });
    const migrated = expectOk(await migrate(p, {
      organization_id: org.organization_id,
      email_address: 'grace@acme.test',
      hash_type: 'argon_2id',
      hash: await argon2Hash(OLD, { algorithm: ARGON2ID, memoryCost: 1024, timeCost: 1, parallelism: 1 }),
      name: 'Not applied',
      roles: ['editor'],
    }));
    assert.equal(migrated.member_created, false);
    assert.equal(migrated.member_id, existing.member_id);
    assert.equal(migrated.member.name, 'Grace');
    assert.deepEqual(migrated.member.roles.map((role: { role_id: string }) => role.role_id), ['stytch_member', 'viewer']);
    const body = expectOk(await signIn(p, { organization_id: org.organization_id, email_address: 'grace@acme.test', password: OLD, session_duration_minutes: 30 }));
    assert.deepEqual([...body.member_session.roles].sort(), ['stytch_member', 'viewer']);
    assert.match((await storedHash(existing.member_id)).hash, ARGON2ID_OWASP);
  });

  test('roles are validated as on member create, and a refused migrate writes nothing', async () => {
    const p = await B2BProject.create(server);
    const org = await p.createOrganization();
    const other = await organizationWithCustomRole(p);
    const base = { organization_id: org.organization_id, email_address: 'x@acme.test', hash_type: 'bcrypt', hash: bcrypt.hashSync(OLD, 4) };
    expectError(await migrate(p, { ...base, roles: ['ghost'] }), 400, 'invalid_rbac_role_id');
    // Another organization's custom role is not this one's.
    expectError(await migrate(p, { ...base, roles: ['org_reviewer'] }), 400, 'invalid_rbac_role_id');
    expectError(await migrate(p, { ...base, roles: ['stytch_member'] }), 400, 'cannot_assign_default_rbac_role_id');
    expectError(await migrate(p, { ...base, hash: 'not a bcrypt hash' }), 400, 'invalid_bcrypt_hash');
    expectError(await migrate(p, { ...base, organization_id: 'organization-test-00000000-0000-4000-8000-000000000000' }), 404, 'organization_not_found');
    assert.deepEqual(await p.searchMemberIds([org.organization_id, other.organization_id]), []);
  });
});

describe('abuse', () => {
  /** The body of an error without its request id: what must not differ between failure kinds. */
  const shape = (response: ApiResponse) => {
    const { request_id: _id, ...rest } = response.body;
    return { status: response.status, ...rest };
  };

  test('a wrong password, an unknown address, a member without a password and another organization answer alike', async () => {
    const p = await B2BProject.create(server);
    const org = await p.createOrganization();
    const otherOrg = await p.createOrganization();
    expectOk(await migrate(p, { organization_id: org.organization_id, email_address: 'ada@acme.test', hash_type: 'bcrypt', hash: bcrypt.hashSync(OLD, 4) }));
    await p.createMember(org.organization_id, { email_address: 'nopassword@acme.test' });
    const attempts = [
      { organization_id: org.organization_id, email_address: 'ada@acme.test', password: 'wrong' },
      { organization_id: org.organization_id, email_address: 'nobody@acme.test', password: OLD },
      { organization_id: org.organization_id, email_address: 'nopassword@acme.test', password: OLD },
      { organization_id: otherOrg.organization_id, email_address: 'ada@acme.test', password: OLD },
    ];
    const answers = [];
    for (const attempt of attempts) {
      const response = await signIn(p, attempt);
      expectError(response, 401, 'unauthorized_credentials');
      answers.push(shape(response));
    }
    for (const answer of answers) assert.deepEqual(answer, answers[0]);
  });

  test('the 3rd wrong password locks the member; the right one then fails too; the lock expires', async () => {
    const p = await B2BProject.create(server);
    const org = await p.createOrganization();
    const { member_id } = expectOk(await migrate(p, { organization_id: org.organization_id, email_address: 'lock@acme.test', hash_type: 'bcrypt', hash: bcrypt.hashSync(OLD, 4) }));
    const attempt = (password: string) => signIn(p, { organization_id: org.organization_id, email_address: 'lock@acme.test', password });
    for (let i = 0; i < 2; i++) expectError(await attempt(`wrong ${i}`), 401, 'unauthorized_credentials');
    assert.equal((await p.getMember(org.organization_id, member_id)).is_locked, false);
    expectError(await attempt('wrong 3'), 401, 'unauthorized_credentials');
    const locked = await p.getMember(org.organization_id, member_id);
    assert.equal(locked.is_locked, true);
    assert.equal(Date.parse(locked.lock_expires_at) - Date.parse(locked.lock_created_at), 30 * MINUTE);
    expectError(await attempt(OLD), 401, 'unauthorized_credentials');
    clock.advance(31 * MINUTE);
    assert.equal((await p.getMember(org.organization_id, member_id)).is_locked, false);
    expectOk(await attempt(OLD));
  });
});

test('DELETE …/members/passwords/{member_password_id}: the member has no password after it', async () => {
  const p = await B2BProject.create(server);
  const org = await p.createOrganization();
  const other = await p.createOrganization();
  const { member } = expectOk(await migrate(p, { organization_id: org.organization_id, email_address: 'del@acme.test', hash_type: 'bcrypt', hash: bcrypt.hashSync(OLD, 4) }));
  const path = (orgId: string) => `/v1/b2b/organizations/${orgId}/members/passwords/${member.member_password_id}`;
  expectError(await p.api('DELETE', path(other.organization_id)), 404, 'member_password_not_found');
  const deleted = expectOk(await p.api('DELETE', path(org.organization_id)));
  assert.equal(deleted.member_id, member.member_id);
  assert.equal(deleted.member.member_password_id, '');
  expectError(await p.api('DELETE', path(org.organization_id)), 404, 'member_password_not_found');
  expectError(await signIn(p, { organization_id: org.organization_id, email_address: 'del@acme.test', password: OLD }), 401, 'unauthorized_credentials');
});

test('strength_check answers in the B2B shape', async () => {
  const p = await B2BProject.create(server);
  const weak = expectOk(await p.api('POST', '/v1/b2b/passwords/strength_check', { password: 'password1', email_address: 'ada@acme.test' }));
  assert.equal(weak.valid_password, false);
  assert.equal(weak.breached_password, true);
  assert.equal(weak.strength_policy, 'zxcvbn');
  assert.equal(typeof weak.zxcvbn_feedback.warning, 'string');
  assert.ok(Array.isArray(weak.zxcvbn_feedback.suggestions));
  assert.equal(typeof weak.luds_feedback.has_digit, 'boolean');
  assert.equal('feedback' in weak, false);
  const strong = expectOk(await p.api('POST', '/v1/b2b/passwords/strength_check', { password: 'plum verdict oxbow lantern 42' }));
  assert.equal(strong.valid_password, true);
});
