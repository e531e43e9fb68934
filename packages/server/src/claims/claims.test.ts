// Custom claim templates: set through the API (refused when invalid), rendered into consumer and B2B
// session JWTs at mint, read by the official `stytch` client as custom_claims — from
// sessions.authenticate and from the JWT verified locally — under the session's own claims.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import bcrypt from 'bcryptjs';
import type { ProjectCredentials } from '../projects/service.ts';
import { expectError, startTestServer, type TestServer } from '../testing/harness.ts';
import { b2bClient, consumerClient } from '../testing/stytch-clients.ts';

const TEMPLATE_PATH = '/v1/project/jwt_templates/session';
let server: TestServer;

before(async () => {
  server = await startTestServer();
});
after(() => server.close());

const setTemplate = (project: ProjectCredentials, template_content: string) => server.api(project, 'PUT', TEMPLATE_PATH, { template_content });

test('an invalid template is refused with the reason; a valid one is stored, read back and deleted', async () => {
  const project = await server.createProject();
  expectError(await setTemplate(project, '{"iss": "me"}'), 400, 'reserved_claims_in_custom_claims');
  expectError(await setTemplate(project, '{"https://stytch.com/session": {{ user.user_id }}}'), 400, 'stytch_claims_in_custom_claims');
  expectError(await setTemplate(project, '{{{ user.user_id }}: 1}'), 400, 'invalid_custom_claims_template');
  expectError(await setTemplate(project, '{"plan": "tier {{ user.trusted_metadata.plan }}"}'), 400, 'invalid_custom_claims_template');
  expectError(await setTemplate(project, '{"plan": {{ session.id }}}'), 400, 'invalid_custom_claims_template');
  expectError(await setTemplate(project, '{"plan": {{ user.password }}}'), 400, 'invalid_custom_claims_template');
  expectError(await setTemplate(project, '[{{ user.user_id }}]'), 400, 'invalid_custom_claims_template');
  expectError(await server.api(project, 'GET', TEMPLATE_PATH), 404, 'custom_claims_template_not_found');

  const content = '{"plan": {{ user.trusted_metadata.plan }}, "static": [1, {{ user.rbac.roles }}]}';
  const saved = await setTemplate(project, content);
  assert.equal(saved.status, 200);
  assert.equal(saved.body.jwt_template.template_content, content);
  assert.equal((await server.api(project, 'GET', TEMPLATE_PATH)).body.jwt_template.template_content, content);
  assert.equal((await server.api(project, 'DELETE', TEMPLATE_PATH)).status, 200);
  expectError(await server.api(project, 'GET', TEMPLATE_PATH), 404, 'custom_claims_template_not_found');
});

test('consumer: template claims in sessions.authenticate and the locally verified JWT, under the session claims; a metadata change reaches the next JWT', async () => {
  const project = await server.createProject();
  const client = consumerClient(server, project);
  const template = '{"plan": {{ user.trusted_metadata.subscription.level }}, "roles": {{ user.rbac.roles }}, "team": {{ user.trusted_metadata.team }}, "kind": "human", "org": {{ organization.trusted_metadata.x }}}';
  assert.equal((await setTemplate(project, template)).status, 200);
  const created = await client.passwords.create({ email: 'claims@example.com', password: 'correct horse battery staple 9', session_duration_minutes: 60 });
  await client.users.update({ user_id: created.user_id, trusted_metadata: { subscription: { level: 'gold' }, team: null } });

  const signedIn = await client.passwords.authenticate({
    email: 'claims@example.com', password: 'correct horse battery staple 9', session_duration_minutes: 60, session_custom_claims: { kind: 'override', extra: 1 },
  });
  // A missing or null variable leaves its claim out; the session's own claims win over the template's.
  const expected = { plan: 'gold', roles: ['stytch_user'], kind: 'override', extra: 1 };
  assert.deepEqual(signedIn.session?.custom_claims, expected);
  const remote = await client.sessions.authenticate({ session_token: signedIn.session_token });
  assert.deepEqual(remote.session.custom_claims, expected);
  const local = await client.sessions.authenticateJwtLocal({ session_jwt: remote.session_jwt });
  assert.deepEqual(local.custom_claims, expected);

  // Stytch's rule: updates propagate the next time a JWT is minted (here at once: the claims are part of the JWT's key).
  await client.users.update({ user_id: created.user_id, trusted_metadata: { subscription: { level: 'platinum' } } });
  const after = await client.sessions.authenticate({ session_token: signedIn.session_token });
  assert.equal(after.session.custom_claims?.plan, 'platinum');
  assert.equal((await client.sessions.authenticateJwtLocal({ session_jwt: after.session_jwt })).custom_claims?.plan, 'platinum');

  // session_custom_claims update the session's claims (null deletes), still over the template.
  const updated = await client.sessions.authenticate({ session_token: signedIn.session_token, session_custom_claims: { extra: null, more: { a: 1 } } });
  assert.deepEqual(updated.session.custom_claims, { plan: 'platinum', roles: ['stytch_user'], kind: 'override', more: { a: 1 } });
});

test('consumer: rendered claims over 4096 bytes refuse the session; a template change reaches the next JWT', async () => {
  const project = await server.createProject();
  const client = consumerClient(server, project);
  const created = await client.passwords.create({ email: 'big@example.com', password: 'correct horse battery staple 9', session_duration_minutes: 60 });
  await client.users.update({ user_id: created.user_id, trusted_metadata: { a: 'x'.repeat(2500) }, untrusted_metadata: { b: 'y'.repeat(1700) } });
  assert.equal((await setTemplate(project, '{"a": {{ user.trusted_metadata.a }}}')).status, 200);
  const ok = await client.sessions.authenticate({ session_token: created.session_token });
  assert.equal(ok.session.custom_claims?.a, 'x'.repeat(2500));
  assert.equal((await setTemplate(project, '{"a": {{ user.trusted_metadata.a }}, "b": {{ user.untrusted_metadata.b }}}')).status, 200);
  const refused = await server.api(project, 'POST', '/v1/sessions/authenticate', { session_token: created.session_token });
  expectError(refused, 400, 'custom_claims_template_too_large');
  assert.equal((await server.api(project, 'DELETE', TEMPLATE_PATH)).status, 200);
  const plain = await client.sessions.authenticate({ session_token: created.session_token });
  assert.deepEqual(plain.session.custom_claims, {});
});

test('B2B: member and organization metadata in the member session JWT, through the official B2B client', async () => {
  const project = await server.createProject();
  const client = b2bClient(server, project);
  const template = '{"tier": {{ organization.trusted_metadata.tier }}, "dept": {{ member.trusted_metadata.dept }}, "org": {{ organization.organization_slug }}, "member_roles": {{ member.rbac.roles }}, "u": {{ user.user_id }}}';
  assert.equal((await setTemplate(project, template)).status, 200);
  const { organization } = await client.organizations.create({ organization_name: 'Claims Co', organization_slug: 'claims-co', trusted_metadata: { tier: 'enterprise' } });
  const password = 'a sturdy b2b passphrase 42';
  const migrated = await client.passwords.migrate({
    organization_id: organization.organization_id, email_address: 'm@claims.example', hash: bcrypt.hashSync(password, 4), hash_type: 'bcrypt', trusted_metadata: { dept: 'ops' },
  });
  const signedIn = await client.passwords.authenticate({ organization_id: organization.organization_id, email_address: 'm@claims.example', password, session_duration_minutes: 60 });
  const expected = { tier: 'enterprise', dept: 'ops', org: 'claims-co', member_roles: ['stytch_member'] };
  assert.deepEqual(signedIn.member_session?.custom_claims, expected);
  const remote = await client.sessions.authenticate({ session_token: signedIn.session_token });
  assert.deepEqual(remote.member_session.custom_claims, expected);
  const local = await client.sessions.authenticateJwtLocal({ session_jwt: remote.session_jwt });
  assert.deepEqual(local.custom_claims, expected);
  assert.equal(local.member_id, migrated.member_id);
});
