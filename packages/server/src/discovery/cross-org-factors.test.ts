// Attack: an intermediate session a sign-in bound to one organization carries into another through
// discovery's exchange only the factors that prove the address (sessions/factors.ts isPortableFactor):
// a password (or SSO, MFA) proven in organization A does not meet organization B's rules.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import bcrypt from 'bcryptjs';
import { nextTokenTo, startSmtpServer, uniqueAddress, type TestSmtpServer } from '../email/smtp-test-server.ts';
import { B2BProject } from '../testing/b2b.ts';
import { startTestServer, type TestServer } from '../testing/harness.ts';
import { b2bClient } from '../testing/stytch-clients.ts';

let smtp: TestSmtpServer;
let server: TestServer;

before(async () => {
  smtp = await startSmtpServer();
  server = await startTestServer({ env: { GATEHOUSE_SMTP_URL: smtp.url, GATEHOUSE_RATE_LIMIT_IDENTIFIER: '0', GATEHOUSE_RATE_LIMIT_IP: '0' } });
});
after(async () => {
  await server?.close();
  await smtp?.close();
});

const PASSWORD = 'correct horse battery staple 42';
const HASH = bcrypt.hashSync(PASSWORD, 4);

test('discovery exchange: a password proven in organization A does not meet organization B\'s password-only rule', async () => {
  const p = await B2BProject.create(server);
  const client = b2bClient(server, p.credentials);
  const orgA = (await client.organizations.create({ organization_name: 'Attacker A', mfa_policy: 'REQUIRED_FOR_ALL' })).organization.organization_id;
  const orgB = (await client.organizations.create({ organization_name: 'Victim B', auth_methods: 'RESTRICTED', allowed_auth_methods: ['password'] })).organization.organization_id;
  const email = uniqueAddress('Crossorg');
  await client.passwords.migrate({ organization_id: orgA, email_address: email, hash_type: 'bcrypt', hash: HASH });
  await client.organizations.members.create({ organization_id: orgB, email_address: email });

  await client.magicLinks.email.loginOrSignup({ organization_id: orgA, email_address: email });
  const { token } = await nextTokenTo(smtp, email, 'multi_tenant_magic_links');
  const first = await client.magicLinks.authenticate({ magic_links_token: token });
  assert.ok(first.mfa_required);
  const second = await client.passwords.authenticate({ organization_id: orgA, email_address: email, password: PASSWORD, intermediate_session_token: first.intermediate_session_token });
  assert.ok(second.mfa_required);

  // The listing says the same: organization B still wants its own password.
  const listed = await client.discovery.organizations.list({ intermediate_session_token: second.intermediate_session_token });
  const inB = listed.discovered_organizations.find((entry) => entry.organization!.organization_id === orgB)!;
  assert.deepEqual(inB.primary_required?.allowed_auth_methods, ['password']);

  const exchanged = await client.discovery.intermediateSessions.exchange({ intermediate_session_token: second.intermediate_session_token, organization_id: orgB });
  assert.equal(exchanged.member_authenticated, false, 'organization A\'s password must not sign in to organization B');
  assert.deepEqual(exchanged.primary_required, { allowed_auth_methods: ['password'] });
});
