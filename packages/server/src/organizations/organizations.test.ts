// B2B organizations over real HTTP: create (slugs, settings, allowed domains, email-domain role
// rules), get, update, delete, search, metrics, project isolation and bad input.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { and, B2BProject, expectOk, filter, or, ORGANIZATION_ID, RFC3339 } from '../testing/b2b.ts';
import { expectError, startTestServer, type TestServer } from '../testing/harness.ts';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

const newProject = (policy?: object | null) => B2BProject.create(server, policy);
const UNKNOWN_ORGANIZATION = 'organization-test-00000000-0000-4000-8000-000000000000';

describe('create', () => {
  test('a name alone: the slug comes from it, settings have their defaults', async () => {
    const project = await newProject();
    const organization = await project.createOrganization({ organization_name: '  Acme, Inc.  ' });
    assert.match(organization.organization_id, ORGANIZATION_ID);
    assert.equal(organization.organization_name, 'Acme, Inc.');
    assert.equal(organization.organization_slug, 'acme-inc');
    assert.equal(organization.organization_logo_url, '');
    assert.deepEqual(organization.email_allowed_domains, []);
    assert.deepEqual(organization.rbac_email_implicit_role_assignments, []);
    assert.deepEqual(organization.custom_roles, []);
    assert.deepEqual(organization.trusted_metadata, {});
    assert.deepEqual(organization.sso_active_connections, []);
    assert.equal(organization.organization_external_id, null);
    assert.match(organization.created_at, RFC3339);
    assert.match(organization.updated_at, RFC3339);
    const defaults = {
      sso_jit_provisioning: 'ALL_ALLOWED',
      sso_jit_provisioning_allowed_connections: [],
      email_jit_provisioning: 'NOT_ALLOWED',
      email_invites: 'ALL_ALLOWED',
      auth_methods: 'ALL_ALLOWED',
      allowed_auth_methods: [],
      mfa_policy: 'OPTIONAL',
      mfa_methods: 'ALL_ALLOWED',
      allowed_mfa_methods: [],
      oauth_tenant_jit_provisioning: 'NOT_ALLOWED',
      claimed_email_domains: [],
      first_party_connected_apps_allowed_type: 'ALL_ALLOWED',
      third_party_connected_apps_allowed_type: 'ALL_ALLOWED',
    };
    for (const [key, value] of Object.entries(defaults)) assert.deepEqual(organization[key], value, key);
    // What GET returns is what create returned.
    assert.deepEqual(await project.getOrganization(organization.organization_id), organization);
  });

  test('slugs derived from names that give little to work with', async () => {
    const project = await newProject();
    assert.equal((await project.createOrganization({ organization_name: 'Ünïcödé Café ☕' })).organization_slug, 'unicode-cafe');
    assert.equal((await project.createOrganization({ organization_name: 'X' })).organization_slug, 'org-x');
    assert.equal((await project.createOrganization({ organization_name: '!!!' })).organization_slug, 'org');
  });

  test('an explicit slug, settings, logo, external id and trusted metadata are kept as given', async () => {
    const project = await newProject();
    const organization = await project.createOrganization({
      organization_name: 'Acme',
      organization_slug: 'acme-corp_1.x~',
      organization_logo_url: 'https://acme.example/logo.png',
      organization_external_id: 'acme|42',
      trusted_metadata: { plan: 'gold', seats: 10 },
      email_jit_provisioning: 'RESTRICTED',
      email_invites: 'NOT_ALLOWED',
      mfa_policy: 'REQUIRED_FOR_ALL',
      auth_methods: 'RESTRICTED',
      allowed_auth_methods: ['password', 'magic_link'],
      claimed_email_domains: ['acme.example'],
    });
    assert.equal(organization.organization_slug, 'acme-corp_1.x~');
    assert.equal(organization.organization_logo_url, 'https://acme.example/logo.png');
    assert.equal(organization.organization_external_id, 'acme|42');
    assert.deepEqual(organization.trusted_metadata, { plan: 'gold', seats: 10 });
    assert.equal(organization.email_jit_provisioning, 'RESTRICTED');
    assert.equal(organization.email_invites, 'NOT_ALLOWED');
    assert.equal(organization.mfa_policy, 'REQUIRED_FOR_ALL');
    assert.equal(organization.auth_methods, 'RESTRICTED');
    assert.deepEqual(organization.allowed_auth_methods, ['password', 'magic_link']);
    assert.deepEqual(organization.claimed_email_domains, ['acme.example']);
    assert.equal(organization.sso_jit_provisioning, 'ALL_ALLOWED', 'settings not given keep their defaults');
  });

  test('a slug is unique in its project, explicit or derived, and free in another project', async () => {
    const project = await newProject();
    await project.createOrganization({ organization_name: 'Acme', organization_slug: 'acme' });
    expectError(await project.api('POST', '/v1/b2b/organizations', { organization_name: 'Other', organization_slug: 'acme' }), 409, 'organization_slug_already_used');
    expectError(await project.api('POST', '/v1/b2b/organizations', { organization_name: 'ACME' }), 409, 'organization_slug_already_used');
    assert.equal((await project.searchOrganizationIds()).length, 1, 'nothing written by the refused creates');
    const other = await newProject();
    assert.equal((await other.createOrganization({ organization_name: 'Acme' })).organization_slug, 'acme');
  });

  test('an external id is unique in its project', async () => {
    const project = await newProject();
    await project.createOrganization({ organization_external_id: 'ext-1' });
    expectError(await project.api('POST', '/v1/b2b/organizations', { organization_name: 'B', organization_external_id: 'ext-1' }), 409, 'duplicate_organization_external_id');
    expectError(await project.api('POST', '/v1/b2b/organizations', { organization_name: 'C', organization_external_id: 'no spaces' }), 400, 'invalid_external_id');
  });

  test('bad names, slugs and settings are refused', async () => {
    const project = await newProject();
    const create = (body: Record<string, unknown>) => project.api('POST', '/v1/b2b/organizations', body);
    expectError(await create({}), 400, 'invalid_organization_name');
    expectError(await create({ organization_name: '   ' }), 400, 'invalid_organization_name');
    expectError(await create({ organization_name: 'x'.repeat(129) }), 400, 'invalid_organization_name');
    expectError(await create({ organization_name: 42 }), 400, 'invalid_argument');
    for (const slug of ['Acme', 'a', 'has space', 'ac/me', 'x'.repeat(129)]) {
      expectError(await create({ organization_name: 'Acme', organization_slug: slug }), 400, 'invalid_organization_slug');
    }
    for (const [setting, value] of [
      ['email_jit_provisioning', 'ALL_ALLOWED'],
      ['sso_jit_provisioning', 'SOMETIMES'],
      ['email_invites', 'all_allowed'],
      ['auth_methods', 'NOT_ALLOWED'],
      ['mfa_policy', 'ALWAYS'],
      ['mfa_methods', 'NOT_ALLOWED'],
      ['oauth_tenant_jit_provisioning', 'ALL_ALLOWED'],
      ['first_party_connected_apps_allowed_type', 'SOME'],
      ['allowed_auth_methods', 'password'],
    ] as const) {
      const body = expectError(await create({ organization_name: 'Acme', [setting]: value }), 400, 'invalid_argument');
      assert.match(body.error_message, new RegExp(setting), `the message names ${setting}`);
    }
    expectError(await create({ organization_name: 'Acme', trusted_metadata: ['not', 'an', 'object'] }), 400, 'metadata_invalid_format');
    assert.deepEqual(await project.searchOrganizationIds(), [], 'nothing written');
  });

  test('email_allowed_domains are trimmed, lower-cased and de-duplicated; a bad one is refused', async () => {
    const project = await newProject();
    const organization = await project.createOrganization({ email_allowed_domains: [' Example.COM ', 'example.com', 'eng.example.org'] });
    assert.deepEqual(organization.email_allowed_domains, ['example.com', 'eng.example.org']);
    for (const domain of ['not a domain', 'example', '@example.com', 'example.c', '-example.com', '']) {
      expectError(await project.api('POST', '/v1/b2b/organizations', { organization_name: 'Bad', email_allowed_domains: [domain] }), 400, 'invalid_email_domain');
    }
  });
});

describe('email-domain role rules', () => {
  test('are normalised and de-duplicated, and may name stytch_admin', async () => {
    const project = await newProject();
    const organization = await project.createOrganization({
      rbac_email_implicit_role_assignments: [
        { domain: 'Acme.COM', role_id: 'viewer' },
        { domain: 'acme.com', role_id: 'viewer' },
        { domain: 'acme.com', role_id: 'editor' },
        { domain: 'ops.acme.com', role_id: 'stytch_admin' },
      ],
    });
    assert.deepEqual(organization.rbac_email_implicit_role_assignments, [
      { domain: 'acme.com', role_id: 'viewer' },
      { domain: 'acme.com', role_id: 'editor' },
      { domain: 'ops.acme.com', role_id: 'stytch_admin' },
    ]);
    assert.deepEqual((await project.getOrganization(organization.organization_id)).rbac_email_implicit_role_assignments,
      organization.rbac_email_implicit_role_assignments);
  });

  test('an unknown role, stytch_member, a public mailbox domain or a bad domain is refused, with nothing written', async () => {
    const project = await newProject();
    const create = (domain: string, role_id: string) =>
      project.api('POST', '/v1/b2b/organizations', { organization_name: 'Acme', rbac_email_implicit_role_assignments: [{ domain, role_id }] });
    const unknown = expectError(await create('acme.com', 'no_such_role'), 400, 'invalid_rbac_role_id');
    assert.match(unknown.error_message, /no_such_role/);
    expectError(await create('acme.com', 'stytch_member'), 400, 'cannot_assign_default_rbac_role_id');
    expectError(await create('gmail.com', 'viewer'), 400, 'rbac_domain_too_common');
    expectError(await create('GMAIL.com', 'viewer'), 400, 'rbac_domain_too_common');
    expectError(await create('outlook.com', 'viewer'), 400, 'rbac_domain_too_common');
    expectError(await create('not a domain', 'viewer'), 400, 'rbac_invalid_domain');
    expectError(await create('acme.com', ''), 400, 'invalid_argument');
    assert.deepEqual(await project.searchOrganizationIds(), [], 'no organization was created');
    // A role of another project's policy is unknown here.
    const bare = await newProject(null);
    expectError(await bare.api('POST', '/v1/b2b/organizations', { organization_name: 'Acme', rbac_email_implicit_role_assignments: [{ domain: 'acme.com', role_id: 'viewer' }] }),
      400, 'invalid_rbac_role_id');
  });

  test('replacing the rules on update; a refused update leaves the old rules and every other field', async () => {
    const project = await newProject();
    const { organization_id } = await project.createOrganization({ rbac_email_implicit_role_assignments: [{ domain: 'acme.com', role_id: 'viewer' }] });
    const updated = await project.updateOrganization(organization_id, { rbac_email_implicit_role_assignments: [{ domain: 'acme.com', role_id: 'editor' }] });
    assert.deepEqual(updated.rbac_email_implicit_role_assignments, [{ domain: 'acme.com', role_id: 'editor' }]);
    for (const [rule, error] of [
      [{ domain: 'acme.com', role_id: 'nope' }, 'invalid_rbac_role_id'],
      [{ domain: 'acme.com', role_id: 'stytch_member' }, 'cannot_assign_default_rbac_role_id'],
      [{ domain: 'gmail.com', role_id: 'viewer' }, 'rbac_domain_too_common'],
    ] as const) {
      expectError(await project.api('PUT', `/v1/b2b/organizations/${organization_id}`, { organization_name: 'Renamed', rbac_email_implicit_role_assignments: [rule] }), 400, error);
    }
    const after = await project.getOrganization(organization_id);
    assert.deepEqual(after, updated, 'neither the rules nor the name changed');
    const cleared = await project.updateOrganization(organization_id, { rbac_email_implicit_role_assignments: [] });
    assert.deepEqual(cleared.rbac_email_implicit_role_assignments, []);
  });
});

describe('get, update, delete', () => {
  test('a partial update changes only what it names; trusted_metadata merges at the top level', async () => {
    const project = await newProject();
    const created = await project.createOrganization({
      organization_name: 'Acme',
      email_allowed_domains: ['acme.com'],
      rbac_email_implicit_role_assignments: [{ domain: 'acme.com', role_id: 'viewer' }],
      trusted_metadata: { plan: 'gold', region: 'eu' },
      mfa_policy: 'REQUIRED_FOR_ALL',
      organization_external_id: 'acme-1',
    });
    const { organization_id } = created;

    const renamed = await project.updateOrganization(organization_id, { organization_name: 'Acme Two' });
    assert.equal(renamed.organization_name, 'Acme Two');
    assert.equal(renamed.organization_slug, 'acme', 'renaming keeps the slug');
    const unchanged = ['organization_slug', 'email_allowed_domains', 'rbac_email_implicit_role_assignments', 'trusted_metadata', 'mfa_policy',
      'email_jit_provisioning', 'organization_external_id', 'organization_logo_url', 'created_at'];
    for (const key of unchanged) assert.deepEqual(renamed[key], created[key], key);

    const merged = await project.updateOrganization(organization_id, { trusted_metadata: { region: null, seats: 5 }, email_invites: 'RESTRICTED' });
    assert.deepEqual(merged.trusted_metadata, { plan: 'gold', seats: 5 });
    assert.equal(merged.email_invites, 'RESTRICTED');
    assert.equal(merged.mfa_policy, 'REQUIRED_FOR_ALL', 'one setting changed, the others kept');
    assert.equal(merged.organization_name, 'Acme Two');

    const moved = await project.updateOrganization(organization_id, {
      organization_slug: 'acme-two',
      email_allowed_domains: ['Acme.org', 'acme.org'],
      organization_logo_url: 'https://acme.example/l.png',
      organization_external_id: '',
    });
    assert.equal(moved.organization_slug, 'acme-two');
    assert.deepEqual(moved.email_allowed_domains, ['acme.org']);
    assert.equal(moved.organization_logo_url, 'https://acme.example/l.png');
    assert.equal(moved.organization_external_id, null, 'an empty external id clears it');
    assert.deepEqual(moved.rbac_email_implicit_role_assignments, [{ domain: 'acme.com', role_id: 'viewer' }]);
    assert.deepEqual(await project.getOrganization(organization_id), moved);

    const empty = await project.updateOrganization(organization_id, {});
    assert.deepEqual({ ...empty, updated_at: moved.updated_at }, moved, 'an empty update changes nothing');
  });

  test('update refuses a taken slug, a bad domain or a bad setting and writes nothing', async () => {
    const project = await newProject();
    await project.createOrganization({ organization_slug: 'taken' });
    const organization = await project.createOrganization({ organization_slug: 'mine' });
    const put = (body: Record<string, unknown>) => project.api('PUT', `/v1/b2b/organizations/${organization.organization_id}`, body);
    expectError(await put({ organization_slug: 'taken', organization_name: 'Changed' }), 409, 'organization_slug_already_used');
    expectError(await put({ organization_slug: 'Not Valid' }), 400, 'invalid_organization_slug');
    expectError(await put({ organization_name: '' }), 400, 'invalid_organization_name');
    expectError(await put({ email_allowed_domains: ['nope'] }), 400, 'invalid_email_domain');
    expectError(await put({ mfa_policy: 'NEVER' }), 400, 'invalid_argument');
    expectError(await put({ trusted_metadata: 'x' }), 400, 'metadata_invalid_format');
    assert.deepEqual(await project.getOrganization(organization.organization_id), organization);
  });

  test('delete removes the organization and its members; a second delete is 404', async () => {
    const project = await newProject();
    const organization = await project.createOrganization({ rbac_email_implicit_role_assignments: [{ domain: 'acme.com', role_id: 'viewer' }] });
    const keep = await project.createOrganization();
    const { organization_id } = organization;
    const alice = await project.createMember(organization_id, { email_address: 'alice@acme.com', roles: ['editor'] });
    const bob = await project.createMember(keep.organization_id, { email_address: 'bob@acme.com' });

    const body = expectOk(await project.api('DELETE', `/v1/b2b/organizations/${organization_id}`));
    assert.equal(body.organization_id, organization_id);
    expectError(await project.api('GET', `/v1/b2b/organizations/${organization_id}`), 404, 'organization_not_found');
    expectError(await project.api('GET', `/v1/b2b/organizations/members/dangerously_get/${alice.member_id}?include_deleted=true`), 404, 'member_not_found');
    expectError(await project.api('GET', `/v1/b2b/organizations/${organization_id}/member?member_id=${alice.member_id}`), 404, 'organization_not_found');
    expectError(await project.api('POST', '/v1/b2b/organizations/members/search', { organization_ids: [organization_id] }), 404, 'organization_not_found');
    expectError(await project.api('DELETE', `/v1/b2b/organizations/${organization_id}`), 404, 'organization_not_found');
    expectError(await project.api('PUT', `/v1/b2b/organizations/${organization_id}`, { organization_name: 'Back' }), 404, 'organization_not_found');
    // The other organization and its member are untouched; the slug is free again.
    assert.equal((await project.getMember(keep.organization_id, bob.member_id)).status, 'active');
    assert.deepEqual(await project.searchOrganizationIds(), [keep.organization_id]);
    const again = await project.createOrganization({ organization_slug: organization.organization_slug });
    assert.deepEqual(again.rbac_email_implicit_role_assignments, [], 'the old rules went with the old organization');
    // The role that was assigned and named by the rule can be deleted without a cascade: nothing holds it.
    const policy = await project.policy();
    await project.putPolicy({ ...policy, roles: policy.roles.filter((role: { role_id: string }) => role.role_id !== 'editor') });
  });

  test('another project\'s organization is not found; bad ids are 400', async () => {
    const owner = await newProject();
    const stranger = await newProject();
    const { organization_id } = await owner.createOrganization();
    for (const [method, path, body] of [
      ['GET', `/v1/b2b/organizations/${organization_id}`, undefined],
      ['PUT', `/v1/b2b/organizations/${organization_id}`, { organization_name: 'Mine now' }],
      ['DELETE', `/v1/b2b/organizations/${organization_id}`, undefined],
      ['GET', `/v1/b2b/organizations/${organization_id}/metrics`, undefined],
      ['GET', `/v1/b2b/rbac/organizations/${organization_id}`, undefined],
      ['PUT', `/v1/b2b/rbac/organizations/${organization_id}`, { org_policy: { roles: [] } }],
      ['POST', `/v1/b2b/organizations/${organization_id}/members`, { email_address: 'x@acme.com' }],
      ['POST', '/v1/b2b/organizations/members/search', { organization_ids: [organization_id] }],
    ] as const) {
      expectError(await stranger.api(method, path, body), 404, 'organization_not_found');
    }
    expectError(await stranger.api('GET', `/v1/b2b/organizations/${UNKNOWN_ORGANIZATION}`), 404, 'organization_not_found');
    assert.deepEqual(await stranger.searchOrganizationIds(), []);
    assert.equal((await owner.getOrganization(organization_id)).organization_name.startsWith('Org '), true, 'the owner\'s organization is unchanged');
    for (const bad of ['nope', 'organization-test-123', 'member-test-00000000-0000-4000-8000-000000000000', UNKNOWN_ORGANIZATION.toUpperCase()]) {
      expectError(await owner.api('GET', `/v1/b2b/organizations/${bad}`), 400, 'invalid_organization_id');
      expectError(await owner.api('PUT', `/v1/b2b/organizations/${bad}`, {}), 400, 'invalid_organization_id');
      expectError(await owner.api('DELETE', `/v1/b2b/organizations/${bad}`), 400, 'invalid_organization_id');
      expectError(await owner.api('GET', `/v1/b2b/organizations/${bad}/metrics`), 400, 'invalid_organization_id');
    }
    expectError(await server.api(null, 'GET', `/v1/b2b/organizations/${organization_id}`), 401, 'unauthorized_credentials');
    expectError(await server.api(null, 'POST', '/v1/b2b/organizations', { organization_name: 'Anon' }), 401, 'unauthorized_credentials');
  });

  test('metrics count the members that are not deleted', async () => {
    const project = await newProject();
    const { organization_id } = await project.createOrganization();
    const other = await project.createOrganization();
    const count = async () => expectOk(await project.api('GET', `/v1/b2b/organizations/${organization_id}/metrics`)).member_count;
    assert.equal(await count(), 0);
    const a = await project.createMember(organization_id, { email_address: 'a@acme.com' });
    await project.createMember(organization_id, { email_address: 'b@acme.com', create_member_as_pending: true });
    await project.createMember(other.organization_id, { email_address: 'c@acme.com' });
    assert.equal(await count(), 2);
    await project.deleteMember(organization_id, a.member_id);
    assert.equal(await count(), 1);
    expectOk(await project.api('PUT', `/v1/b2b/organizations/${organization_id}/members/${a.member_id}/reactivate`));
    assert.equal(await count(), 2);
  });
});

describe('search', () => {
  test('filters: ids, slugs, names, domains, external ids, member emails; AND and OR', async () => {
    const project = await newProject();
    const acme = await project.createOrganization({ organization_name: 'Acme Rockets', organization_slug: 'acme-rockets',
      email_allowed_domains: ['acme.com'], claimed_email_domains: ['acme.com'], organization_external_id: 'ext-acme' });
    const globex = await project.createOrganization({ organization_name: 'Globex', organization_slug: 'globex', email_allowed_domains: ['globex.io', 'acme-partners.net'] });
    const initech = await project.createOrganization({ organization_name: 'Initech', organization_slug: 'initech-rockets' });
    await project.createMember(acme.organization_id, { email_address: 'Wile.E@Acme.com' });
    const gone = await project.createMember(initech.organization_id, { email_address: 'peter@initech.com' });
    await project.deleteMember(initech.organization_id, gone.member_id);
    // Another project's organizations never show.
    const other = await newProject();
    await other.createOrganization({ organization_name: 'Acme Rockets', organization_slug: 'acme-rockets', email_allowed_domains: ['acme.com'] });

    const ids = (query: unknown) => project.searchOrganizationIds(query);
    const sorted = (...organizations: { organization_id: string }[]) => organizations.map((o) => o.organization_id).sort();
    assert.deepEqual(await ids(null), sorted(acme, globex, initech));
    assert.deepEqual(await ids({ operands: [] }), sorted(acme, globex, initech));
    assert.deepEqual(await ids(and(filter('organization_ids', [acme.organization_id, globex.organization_id]))), sorted(acme, globex));
    assert.deepEqual(await ids(and(filter('organization_slugs', ['globex', 'nope']))), sorted(globex));
    assert.deepEqual(await ids(and(filter('organization_name_fuzzy', 'rOCKet'))), sorted(acme));
    assert.deepEqual(await ids(and(filter('organization_slug_fuzzy', 'rockets'))), sorted(acme, initech));
    assert.deepEqual(await ids(and(filter('organization_slug_fuzzy', '_ro'))), [], 'the underscore is no wildcard');
    assert.deepEqual(await ids(and(filter('allowed_domains', ['ACME.com']))), sorted(acme));
    assert.deepEqual(await ids(and(filter('allowed_domain_fuzzy', 'acme'))), sorted(acme, globex));
    assert.deepEqual(await ids(and(filter('claimed_email_domains', ['acme.com']))), sorted(acme));
    assert.deepEqual(await ids(and(filter('organization_external_ids', ['ext-acme']))), sorted(acme));
    assert.deepEqual(await ids(and(filter('member_emails', ['wile.e@acme.COM']))), sorted(acme));
    assert.deepEqual(await ids(and(filter('member_email_fuzzy', 'wile'))), sorted(acme));
    assert.deepEqual(await ids(and(filter('member_emails', ['peter@initech.com']))), [], 'deleted members do not count');
    assert.deepEqual(await ids(and(filter('organization_slug_fuzzy', 'rockets'), filter('allowed_domains', ['acme.com']))), sorted(acme));
    assert.deepEqual(await ids(or(filter('organization_slugs', ['globex']), filter('organization_name_fuzzy', 'initech'))), sorted(globex, initech));
    // Wire shape of a result.
    const body = expectOk(await project.api('POST', '/v1/b2b/organizations/search', { query: and(filter('organization_slugs', ['acme-rockets'])) }));
    assert.deepEqual(body.organizations, [await project.getOrganization(acme.organization_id)]);
    assert.deepEqual(body.results_metadata, { total: 1, next_cursor: null });
  });

  test('bad filters, limits and cursors are refused', async () => {
    const project = await newProject();
    await project.createOrganization();
    const search = (body: Record<string, unknown>) => project.api('POST', '/v1/b2b/organizations/search', body);
    const unknown = expectError(await search({ query: and(filter('organization_colour', ['red'])) }), 400, 'organization_search_filter_name_not_recognized');
    assert.match(unknown.error_message, /organization_colour/);
    expectError(await search({ query: and(filter('__proto__', ['x'])) }), 400, 'organization_search_filter_name_not_recognized');
    expectError(await search({ query: and(filter('member_statuses', ['active'])) }), 400, 'organization_search_filter_name_not_recognized');
    for (const [name, value] of [
      ['organization_name_fuzzy', 'ab'],
      ['organization_slug_fuzzy', 42],
      ['organization_ids', []],
      ['organization_ids', 'organization-test-x'],
      ['organization_slugs', [1, 2]],
      ['member_emails', null],
    ] as const) {
      expectError(await search({ query: and(filter(name, value)) }), 400, 'organization_search_invalid_filter_value');
    }
    expectError(await search({ query: { operator: 'XOR', operands: [] } }), 400, 'invalid_argument');
    expectError(await search({ limit: 0 }), 400, 'organization_search_invalid_limit');
    expectError(await search({ limit: 1001 }), 400, 'organization_search_invalid_limit');
    expectError(await search({ cursor: 'garbage' }), 400, 'organization_search_invalid_cursor');
  });

  test('cursor pagination visits every organization once, and a cursor works only with its own query', async () => {
    const project = await newProject();
    const created: string[] = [];
    for (let i = 0; i < 7; i++) created.push((await project.createOrganization({ organization_name: `Paged ${i}` })).organization_id);
    await project.createOrganization({ organization_name: 'Unrelated' });
    const query = and(filter('organization_name_fuzzy', 'paged'));
    for (const limit of [1, 2, 3, 7, 100]) assert.deepEqual(await project.searchOrganizationIds(query, limit), [...created].sort(), `limit ${limit}`);

    const first = expectOk(await project.api('POST', '/v1/b2b/organizations/search', { query, limit: 3 }));
    assert.equal(first.organizations.length, 3);
    assert.equal(first.results_metadata.total, 7);
    assert.deepEqual(first.organizations.map((o: { organization_id: string }) => o.organization_id), created.slice(0, 3), 'oldest first');
    const { next_cursor } = first.results_metadata;
    assert.equal(typeof next_cursor, 'string');
    expectError(await project.api('POST', '/v1/b2b/organizations/search', { query: and(filter('organization_name_fuzzy', 'unrel')), cursor: next_cursor }),
      400, 'organization_search_invalid_cursor');
    const second = expectOk(await project.api('POST', '/v1/b2b/organizations/search', { query, limit: 3, cursor: next_cursor }));
    assert.deepEqual(second.organizations.map((o: { organization_id: string }) => o.organization_id), created.slice(3, 6));
  });
});
