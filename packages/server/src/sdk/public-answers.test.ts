// What a caller holding only the public token learns from a browser send: Stytch's browser SDK reads
// nothing but request_id and status_code there (B2BOTPsEmailLoginOrSignupResponse,
// B2BMagicLinkLoginOrSignupResponse, B2BPasswordResetByEmailStartResponse, B2BSMSSendResponse,
// MagicLinksLoginOrCreateResponse … are ResponseCommon). Anyone can call these with an email address
// they guess, so the answer must not carry the member (its roles, metadata, MFA phone number, TOTP
// registration), the organization's settings, a user id, or whether the account existed.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { B2B_POLICY, expectOk } from '../testing/b2b.ts';
import { startTestServer, TEST_REDIRECT_URLS, type TestServer } from '../testing/harness.ts';
import { allowOrigin, b2bWorld, memberWithPassword, sdkCall } from '../testing/sdk.ts';

let server: TestServer;
before(async () => {
  server = await startTestServer({ env: { GATEHOUSE_RATE_LIMIT_IDENTIFIER: '0', GATEHOUSE_RATE_LIMIT_IP: '0' } });
});
after(() => server.close());

const ORIGIN = 'http://localhost:5173';
const URL = TEST_REDIRECT_URLS[0]!;

function expectBareAnswer(response: { status: number; body: any }, what: string): void {
  assert.equal(response.status, 200, `${what}: ${response.status} ${JSON.stringify(response.body)}`);
  assert.deepEqual(Object.keys(response.body.data).sort(), ['request_id', 'status_code'], `${what}: ${JSON.stringify(response.body.data).slice(0, 400)}`);
}

test('B2B browser sends answer request_id and status_code only: no member, no organization, for a member or a stranger', async () => {
  const { project, organization } = await b2bWorld(server, ORIGIN, B2B_POLICY);
  const orgId = organization.organization_id as string;
  expectOk(await project.api('PUT', `/v1/b2b/organizations/${orgId}`, { email_allowed_domains: ['acme.com'], email_jit_provisioning: 'RESTRICTED' }));
  const member = await memberWithPassword(project, orgId, 'ada@acme.com', ['stytch_admin']);
  expectOk(await project.api('PUT', `/v1/b2b/organizations/${orgId}/members/${member.member_id}`, { trusted_metadata: { ssn: '000-00-0000' }, mfa_phone_number: '+12025550123' }));
  const browser = { publicToken: project.credentials.public_token, origin: ORIGIN };
  for (const email_address of ['ada@acme.com', 'newcomer@acme.com']) {
    const sends: [string, Record<string, unknown>][] = [
      ['/b2b/otps/email/login_or_signup', { organization_id: orgId, email_address }],
      ['/b2b/magic_links/email/login_or_signup', { organization_id: orgId, email_address, login_redirect_url: URL, signup_redirect_url: URL }],
      ['/b2b/otps/email/discovery/send', { email_address }],
      ['/b2b/magic_links/email/discovery/send', { email_address, discovery_redirect_url: URL }],
    ];
    for (const [path, body] of sends) expectBareAnswer(await sdkCall(server, browser, 'POST', path, body), `${path} ${email_address}`);
  }
});

test('B2B browser password reset start: a member and a stranger get the same answer; only the member is mailed', async () => {
  const { project, organization } = await b2bWorld(server, ORIGIN, B2B_POLICY);
  const orgId = organization.organization_id as string;
  await memberWithPassword(project, orgId, 'ada@acme.com');
  const browser = { publicToken: project.credentials.public_token, origin: ORIGIN };
  for (const email_address of ['ada@acme.com', 'stranger@acme.com']) {
    const body = { organization_id: orgId, email_address, reset_password_redirect_url: URL, login_redirect_url: URL };
    expectBareAnswer(await sdkCall(server, browser, 'POST', '/b2b/passwords/email/reset/start', body), `reset/start ${email_address}`);
  }
  const mailed = async (to: string) => expectOk(await project.api('GET', `/v1/project/outbox?to=${encodeURIComponent(to)}`)).messages.length;
  // The member's link is made after the answer.
  for (let i = 0; i < 50 && (await mailed('ada@acme.com')) === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(await mailed('ada@acme.com'), 1);
  assert.equal(await mailed('stranger@acme.com'), 0);
});

test('consumer browser magic-link sends answer request_id and status_code only: no user id, no user_created', async () => {
  const credentials = await server.createProject();
  await allowOrigin(server, credentials, ORIGIN);
  expectOk(await server.api(credentials, 'POST', '/v1/users', { email: 'known@example.com' }));
  const browser = { publicToken: credentials.public_token, origin: ORIGIN };
  for (const email of ['known@example.com', 'stranger@example.com']) {
    expectBareAnswer(await sdkCall(server, browser, 'POST', '/magic_links/email/login_or_create', { email, login_magic_link_url: URL, signup_magic_link_url: URL }), `login_or_create ${email}`);
  }
  expectBareAnswer(await sdkCall(server, browser, 'POST', '/magic_links/email/send/primary', { email: 'known@example.com', login_magic_link_url: URL }), 'send/primary');
});
