// B2B discovery driven through the official `stytch` B2BClient against a started Gatehouse, with the
// links delivered through a real SMTP server on loopback: discovery links, intermediate sessions
// (10 minutes, used once), the organizations an address discovers (only a proven one), creating an
// organization through discovery and exchanging an intermediate session for a member session.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { nextTokenTo, uniqueAddress } from '../email/smtp-test-server.ts';
import { DEVELOPMENT_REDIRECT_URL } from '../testing/harness.ts';
import { useMailServer } from '../testing/mail-server.ts';
import { b2bClient, expectStytchError } from '../testing/stytch-clients.ts';

const setup = useMailServer();
const { clock, project } = setup;

type Client = ReturnType<typeof b2bClient>;

/** Sends a discovery link to the address and follows it: the authenticate response. */
async function discover(client: Client, email: string) {
  await client.magicLinks.email.discovery.send({ email_address: email });
  const { token } = await nextTokenTo(setup.smtp, email, 'discovery');
  return client.magicLinks.discovery.authenticate({ discovery_magic_links_token: token });
}

/** The discovered organizations as "organization_id → membership type". */
const membershipTypes = (discovered: { organization?: { organization_id: string }; membership?: { type: string } }[]) =>
  Object.fromEntries(discovered.map((entry) => [entry.organization!.organization_id, entry.membership!.type]));

const roleIds = (roles: (string | { role_id: string })[]) => roles.map((role) => (typeof role === 'string' ? role : role.role_id)).sort();

test('sign-up: a discovery link proves the address, the intermediate session creates an organization whose creator holds stytch_admin, and is spent', async () => {
  const { client } = await project();
  const email = uniqueAddress('Founder');
  const sent = await client.magicLinks.email.discovery.send({ email_address: email, discovery_redirect_url: 'https://app.example.com/authenticate' });
  assert.equal(sent.status_code, 200);
  const { token, link, mail } = await nextTokenTo(setup.smtp, email, 'discovery');
  assert.equal(`${link.origin}${link.pathname}`, 'https://app.example.com/authenticate');
  assert.equal(mail.subject, 'Your login link');

  const authenticated = await client.magicLinks.discovery.authenticate({ discovery_magic_links_token: token });
  assert.equal(authenticated.email_address, email);
  assert.deepEqual(authenticated.discovered_organizations, []);
  const ist = authenticated.intermediate_session_token;
  assert.match(ist, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(Date.parse(authenticated.intermediate_session_token_expires_at!) - clock.now().getTime(), 10 * 60_000);
  // The link works once.
  await expectStytchError(client.magicLinks.discovery.authenticate({ discovery_magic_links_token: token }), 'unable_to_auth_magic_link', 401);
  await expectStytchError(client.magicLinks.discovery.authenticate({ discovery_magic_links_token: randomBytes(32).toString('base64url') }), 'magic_link_not_found', 404);
  // Listing spends nothing.
  const listed = await client.discovery.organizations.list({ intermediate_session_token: ist });
  assert.equal(listed.email_address, email);
  assert.deepEqual(listed.discovered_organizations, []);

  const created = await client.discovery.organizations.create({ intermediate_session_token: ist, organization_name: 'Founders Inc', session_duration_minutes: 30 });
  assert.equal(created.member_authenticated, true);
  assert.equal(created.intermediate_session_token, '');
  assert.equal(created.primary_required, null);
  assert.equal(created.organization.organization_name, 'Founders Inc');
  assert.equal(created.organization.organization_slug, 'founders-inc');
  assert.equal(created.member_id, created.member.member_id);
  assert.equal(created.member.email_address, email);
  assert.equal(created.member.email_address_verified, true);
  assert.equal(created.member.status, 'active');
  assert.deepEqual(roleIds(created.member.roles), ['stytch_admin', 'stytch_member']);
  const session = created.member_session!;
  assert.deepEqual(roleIds(session.roles), ['stytch_admin', 'stytch_member']);
  assert.equal(Date.parse(session.expires_at!) - clock.now().getTime(), 30 * 60_000);
  const [factor] = session.authentication_factors as any[];
  assert.equal(factor.type, 'magic_link');
  assert.equal(factor.delivery_method, 'email');
  assert.deepEqual(factor.email_factor, { email_id: created.member_id, email_address: email });
  const checked = await client.sessions.authenticate({ session_token: created.session_token });
  assert.equal(checked.member.member_id, created.member_id);
  // stytch_admin: the creator administers the organization's members.
  const allowed = await client.sessions.authenticate({
    session_jwt: created.session_jwt,
    authorization_check: { organization_id: created.organization.organization_id, resource_id: 'stytch.member', action: 'create' },
  });
  assert.equal(allowed.verdict?.authorized, true);

  // The intermediate session is spent.
  await expectStytchError(client.discovery.organizations.create({ intermediate_session_token: ist, organization_name: 'Again' }), 'intermediate_session_not_found', 404);
  await expectStytchError(client.discovery.intermediateSessions.exchange({ intermediate_session_token: ist, organization_id: created.organization.organization_id }), 'intermediate_session_not_found', 404);
  await expectStytchError(client.discovery.organizations.list({ intermediate_session_token: ist }), 'intermediate_session_not_found', 404);

  // Discovered again, the address is an active member there.
  const again = await discover(client, email);
  assert.deepEqual(membershipTypes(again.discovered_organizations), { [created.organization.organization_id]: 'active_member' });
});

test('discovered organizations: active, pending and invited memberships, and email-domain JIT only where a verified member of the domain is', async () => {
  const { client } = await project();
  // A founder (verified by discovery) opens an organization to example.com, with a role for the domain.
  const founded = await client.discovery.organizations.create({
    intermediate_session_token: (await discover(client, uniqueAddress('Founder'))).intermediate_session_token,
    organization_name: 'Open by domain',
    email_jit_provisioning: 'RESTRICTED',
    email_allowed_domains: ['example.com'],
    rbac_email_implicit_role_assignments: [{ domain: 'example.com', role_id: 'editor' }],
  });
  const open = founded.organization.organization_id;
  // The same settings, but the only member of the domain never proved an address: a phishing lure.
  const lure = (await client.organizations.create({ organization_name: 'Lure', email_jit_provisioning: 'RESTRICTED', email_allowed_domains: ['example.com'] })).organization.organization_id;
  await client.organizations.members.create({ organization_id: lure, email_address: uniqueAddress('Bait') });
  const org = async (name: string) => (await client.organizations.create({ organization_name: name })).organization.organization_id;
  const [active, pending, invited, deleted] = [await org('Active'), await org('Pending'), await org('Invited'), await org('Deleted')];

  const email = uniqueAddress('Yan');
  const activeMember = (await client.organizations.members.create({ organization_id: active, email_address: email })).member;
  assert.equal(activeMember.email_address_verified, false);
  const pendingMember = (await client.organizations.members.create({ organization_id: pending, email_address: email, create_member_as_pending: true })).member;
  const invitedMember = (await client.magicLinks.email.invite({ organization_id: invited, email_address: email })).member;
  // The invite is an organization link: Stytch's B2B token type.
  const invite = await nextTokenTo(setup.smtp, email, 'multi_tenant_magic_links');
  assert.equal(invite.mail.subject, "You've been invited");
  const gone = (await client.organizations.members.create({ organization_id: deleted, email_address: email })).member;
  await client.organizations.members.delete({ organization_id: deleted, member_id: gone.member_id });

  const authenticated = await discover(client, email);
  const discovered = authenticated.discovered_organizations;
  assert.deepEqual(membershipTypes(discovered), {
    [active]: 'active_member', [pending]: 'pending_member', [invited]: 'invited_member', [open]: 'eligible_to_join_by_email_domain',
  });
  assert.equal(discovered.at(-1)!.organization!.organization_id, open, 'memberships first, then organizations to join');
  const byOrg = (id: string) => discovered.find((entry) => entry.organization!.organization_id === id)!;
  assert.equal(byOrg(active).membership!.member!.member_id, activeMember.member_id);
  assert.equal(byOrg(pending).membership!.member!.member_id, pendingMember.member_id);
  assert.equal(byOrg(invited).membership!.member!.member_id, invitedMember.member_id);
  assert.equal(byOrg(active).membership!.details, null);
  assert.deepEqual(byOrg(open).membership!.details, { domain: 'example.com' });
  assert.equal(byOrg(open).membership!.member, null);
  for (const entry of discovered) {
    assert.equal(entry.member_authenticated, true);
    assert.equal(entry.primary_required, null);
    assert.equal(entry.mfa_required, null);
    assert.equal(entry.organization!.organization_name.length > 0, true);
  }
  const listed = await client.discovery.organizations.list({ intermediate_session_token: authenticated.intermediate_session_token });
  assert.deepEqual(listed.discovered_organizations, discovered);
  assert.equal(listed.organization_id_hint, null);

  // Accepting the invite: the invited member becomes active, its address verified.
  const accepted = await client.discovery.intermediateSessions.exchange({ intermediate_session_token: authenticated.intermediate_session_token, organization_id: invited });
  assert.equal(accepted.member_authenticated, true);
  assert.equal(accepted.member_id, invitedMember.member_id);
  assert.equal(accepted.member.status, 'active');
  assert.equal(accepted.member.email_address_verified, true);
  assert.equal(accepted.organization.organization_id, invited);
  assert.equal((await client.sessions.authenticate({ session_token: accepted.session_token })).member.member_id, invitedMember.member_id);
  await expectStytchError(
    client.discovery.intermediateSessions.exchange({ intermediate_session_token: authenticated.intermediate_session_token, organization_id: open }),
    'intermediate_session_not_found', 404,
  );

  // Joining by email domain: a new active member with a verified address, holding the domain's role.
  const second = await discover(client, email);
  assert.equal(membershipTypes(second.discovered_organizations)[invited], 'active_member');
  const joined = await client.discovery.intermediateSessions.exchange({ intermediate_session_token: second.intermediate_session_token, organization_id: open, session_duration_minutes: 15 });
  assert.equal(joined.member_authenticated, true);
  assert.equal(joined.member.email_address, email);
  assert.equal(joined.member.status, 'active');
  assert.equal(joined.member.email_address_verified, true);
  assert.deepEqual(roleIds(joined.member_session!.roles), ['editor', 'stytch_member']);

  // Where the address may not join, the exchange is refused and the intermediate session stays usable.
  const third = await discover(client, email);
  // (No verified member of the domain: as if not allowed; no email JIT provisioning at all: Stytch's own error.)
  for (const [closed, error] of [[lure, 'invalid_email_for_jit_provisioning'], [deleted, 'email_jit_provisioning_not_allowed']] as const) {
    await expectStytchError(
      client.discovery.intermediateSessions.exchange({ intermediate_session_token: third.intermediate_session_token, organization_id: closed }),
      error, 403,
    );
  }
  const signedIn = await client.discovery.intermediateSessions.exchange({ intermediate_session_token: third.intermediate_session_token, organization_id: active });
  assert.equal(signedIn.member_id, activeMember.member_id);
  assert.equal(signedIn.member.email_address_verified, true, 'the active member proved its address');
});

test('a member session discovers its address\'s memberships only once the address is verified, and names its organization as the hint', async () => {
  const { p, client } = await project();
  const email = uniqueAddress('Sam');
  const home = (await client.organizations.create({ organization_name: 'Home' })).organization.organization_id;
  const other = (await client.organizations.create({ organization_name: 'Other' })).organization.organization_id;
  const open = (await client.discovery.organizations.create({
    intermediate_session_token: (await discover(client, uniqueAddress('Founder'))).intermediate_session_token,
    organization_name: 'Open', email_jit_provisioning: 'RESTRICTED', email_allowed_domains: ['example.com'],
  })).organization.organization_id;
  const member = (await client.organizations.members.create({ organization_id: home, email_address: email })).member;
  await client.organizations.members.create({ organization_id: other, email_address: email, create_member_as_pending: true });

  // A session (a password sign-in, say) whose address nobody proved: its own membership only.
  const unproven = await p.startMemberSession(home, member.member_id);
  const own = await client.discovery.organizations.list({ session_token: unproven.session_token });
  assert.equal(own.email_address, email);
  assert.equal(own.organization_id_hint, home);
  assert.deepEqual(membershipTypes(own.discovered_organizations), { [home]: 'active_member' });

  // Proven through discovery: the address's other memberships, but no organization to join (that takes an intermediate session).
  const proven = await client.discovery.intermediateSessions.exchange({ intermediate_session_token: (await discover(client, email)).intermediate_session_token, organization_id: home });
  for (const credentials of [{ session_token: proven.session_token }, { session_jwt: proven.session_jwt }, { session_token: unproven.session_token }]) {
    const listed = await client.discovery.organizations.list(credentials);
    assert.equal(listed.organization_id_hint, home);
    assert.deepEqual(membershipTypes(listed.discovered_organizations), { [home]: 'active_member', [other]: 'pending_member' });
  }
  assert.ok(open);

  const ist = (await discover(client, email)).intermediate_session_token;
  await expectStytchError(client.discovery.organizations.list({}), 'invalid_discovery_organizations_arguments', 400);
  await expectStytchError(client.discovery.organizations.list({ intermediate_session_token: ist, session_token: proven.session_token }), 'invalid_discovery_organizations_arguments', 400);
  await expectStytchError(client.discovery.organizations.list({ session_token: 'not-a-session' }), 'session_not_found', 404);
});

test('discovery links go to registered DISCOVERY redirect URLs and honour PKCE; intermediate sessions last 10 minutes', async () => {
  const { client } = await project();
  const email = uniqueAddress('Pat');
  await expectStytchError(client.magicLinks.email.discovery.send({ email_address: email, discovery_redirect_url: 'https://evil.example/steal' }), 'no_match_for_provided_magic_link_url', 400);
  await expectStytchError(client.magicLinks.email.discovery.send({ email_address: 'not an address' }), 'invalid_email', 400);

  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  await client.magicLinks.email.discovery.send({ email_address: email, pkce_code_challenge: challenge, discovery_expiration_minutes: 5 });
  const { token, link, mail } = await nextTokenTo(setup.smtp, email, 'discovery');
  assert.equal(`${link.origin}${link.pathname}`, DEVELOPMENT_REDIRECT_URL, "the type's default");
  assert.match(mail.text, /expires in 5 minutes/);
  await expectStytchError(client.magicLinks.discovery.authenticate({ discovery_magic_links_token: token }), 'pkce_expected_code_verifier', 400);
  await expectStytchError(client.magicLinks.discovery.authenticate({ discovery_magic_links_token: token, pkce_code_verifier: randomBytes(32).toString('base64url') }), 'pkce_mismatch');
  const { intermediate_session_token: ist } = await client.magicLinks.discovery.authenticate({ discovery_magic_links_token: token, pkce_code_verifier: verifier });

  clock.advance(9 * 60_000);
  await client.discovery.organizations.list({ intermediate_session_token: ist });
  clock.advance(60_000);
  await expectStytchError(client.discovery.organizations.list({ intermediate_session_token: ist }), 'intermediate_session_not_found', 404);
  await expectStytchError(client.discovery.organizations.create({ intermediate_session_token: ist, organization_name: 'Late' }), 'intermediate_session_not_found', 404);

  // An expired link is refused too.
  await client.magicLinks.email.discovery.send({ email_address: email, discovery_expiration_minutes: 5 });
  const late = await nextTokenTo(setup.smtp, email, 'discovery');
  clock.advance(5 * 60_000);
  await expectStytchError(client.magicLinks.discovery.authenticate({ discovery_magic_links_token: late.token }), 'unable_to_auth_magic_link', 401);
});

test('an organization whose primary methods exclude email links: discovered as not authenticated, and the exchange gives the intermediate session back instead of a session', async () => {
  const { client } = await project();
  const email = uniqueAddress('Sso');
  const strict = (await client.organizations.create({ organization_name: 'SSO only', auth_methods: 'RESTRICTED', allowed_auth_methods: ['sso'] })).organization.organization_id;
  const relaxed = (await client.organizations.create({ organization_name: 'Any method' })).organization.organization_id;
  const member = (await client.organizations.members.create({ organization_id: strict, email_address: email })).member;
  await client.organizations.members.create({ organization_id: relaxed, email_address: email });

  const { intermediate_session_token: ist, discovered_organizations: discovered } = await discover(client, email);
  const entry = discovered.find((found) => found.organization!.organization_id === strict)!;
  assert.equal(entry.member_authenticated, false);
  assert.deepEqual(entry.primary_required, { allowed_auth_methods: ['sso'] });

  const refused = await client.discovery.intermediateSessions.exchange({ intermediate_session_token: ist, organization_id: strict });
  assert.equal(refused.member_authenticated, false);
  assert.equal(refused.session_token, '');
  assert.equal(refused.session_jwt, '');
  assert.equal(refused.member_session, null);
  assert.equal(refused.intermediate_session_token, ist);
  assert.equal(refused.member.member_id, member.member_id);
  assert.deepEqual(refused.primary_required, { allowed_auth_methods: ['sso'] });
  // Nothing was spent: the same intermediate session signs in where email links are allowed.
  assert.equal((await client.discovery.intermediateSessions.exchange({ intermediate_session_token: ist, organization_id: relaxed })).member_authenticated, true);
});

test('create through discovery: a refused organization leaves nothing behind and the intermediate session usable; the default name comes from the address', async () => {
  const { client } = await project();
  await client.organizations.create({ organization_name: 'Taken', organization_slug: 'taken' });
  const email = uniqueAddress('Ann');
  const { intermediate_session_token: ist } = await discover(client, email);
  await expectStytchError(client.discovery.organizations.create({ intermediate_session_token: ist, organization_name: 'Mine', organization_slug: 'taken' }), 'organization_slug_already_used', 409);
  await expectStytchError(client.discovery.organizations.create({ intermediate_session_token: ist, organization_slug: 'x' }), 'invalid_organization_slug', 400);
  await expectStytchError(client.discovery.organizations.create({ intermediate_session_token: ist, organization_name: 'Bad rule', rbac_email_implicit_role_assignments: [{ domain: 'example.com', role_id: 'no-such-role' }] }), 'invalid_rbac_role_id');
  const search = await client.organizations.search({});
  assert.deepEqual(search.organizations.map((organization) => organization.organization_name), ['Taken']);

  const created = await client.discovery.organizations.create({ intermediate_session_token: ist });
  assert.equal(created.organization.organization_name, 'example');
  assert.equal(created.member.email_address, email);

  // The methods the creator chooses rule later sign-ins; the creator is signed in (an SSO-only
  // organization has no connection yet to sign anyone in with).
  const ssoOnly = await client.discovery.organizations.create({
    intermediate_session_token: (await discover(client, email)).intermediate_session_token,
    organization_name: 'SSO later', auth_methods: 'RESTRICTED', allowed_auth_methods: ['sso'],
  });
  assert.equal(ssoOnly.member_authenticated, true);
  assert.ok(ssoOnly.session_token);
  const later = await discover(client, email);
  const entry = later.discovered_organizations.find((found) => found.organization!.organization_id === ssoOnly.organization.organization_id)!;
  assert.deepEqual(entry.primary_required, { allowed_auth_methods: ['sso'] });
});
