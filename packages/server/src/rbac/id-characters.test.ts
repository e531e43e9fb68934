// Role, resource and action ids are ASCII letters, digits, ".", "_", "-" and ":" wherever the server
// takes them (the policy, an organization's custom roles, member and user roles, email-domain rules,
// SSO role rules), so a look-alike such as `ѕtytch_admin` (Cyrillic ѕ) is refused with a clear 400;
// and organization logo URLs are http(s) only. Over real HTTP.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { B2B_POLICY, B2BProject, CONSUMER_POLICY, expectOk } from '../testing/b2b.ts';
import { expectError, startTestServer, type TestServer } from '../testing/harness.ts';

/** stytch_admin with a Cyrillic ѕ (U+0455) in place of the s. */
const LOOK_ALIKE = '\u0455tytch_admin';

let server: TestServer;
let p: B2BProject;
let organizationId: string;

before(async () => {
  server = await startTestServer();
  p = await B2BProject.create(server);
  organizationId = (await p.createOrganization()).organization_id;
});
after(async () => {
  await server?.close();
});

describe('id characters', () => {
  test('the policy: a look-alike role id, a resource id or an action with other characters is refused; the policy is unchanged', async () => {
    const before = await p.policy();
    const withRole = { ...B2B_POLICY, roles: [...B2B_POLICY.roles, { role_id: LOOK_ALIKE, description: 'Looks like stytch_admin', permissions: [] }] };
    const refused = expectError(await p.api('PUT', '/v1/b2b/rbac/policy', { policy: withRole }), 400, 'invalid_rbac_id_characters');
    assert.match(refused.error_message, /U\+0455/);
    const withResource = { ...B2B_POLICY, resources: [...B2B_POLICY.resources, { resource_id: 'docs"><img>', description: '', actions: ['read'] }] };
    expectError(await p.api('PUT', '/v1/b2b/rbac/policy', { policy: withResource }), 400, 'invalid_rbac_id_characters');
    const withAction = { ...B2B_POLICY, resources: [{ ...B2B_POLICY.resources[0]!, actions: ['read', 'write', 'delete', 'dele\u0074\u0435'] }] };
    expectError(await p.api('PUT', '/v1/b2b/rbac/policy', { policy: withAction }), 400, 'invalid_rbac_id_characters');
    assert.deepEqual(await p.policy(), before);
  });

  test('the consumer policy too; ids with every allowed separator and the stytch. built-ins keep working', async () => {
    const consumer = await server.createProject();
    const policy = {
      ...CONSUMER_POLICY,
      resources: [...CONSUMER_POLICY.resources, { resource_id: 'reports.v2:eu-west_1', description: '', actions: ['export.pdf', 'read:all'] }],
      roles: [...CONSUMER_POLICY.roles, { role_id: LOOK_ALIKE.replace('\u0455', 's').replace('stytch_', 'org.billing-'), description: '', permissions: [{ resource_id: 'reports.v2:eu-west_1', actions: ['*'] }] }],
    };
    expectOk(await server.api(consumer, 'PUT', '/v1/rbac/policy', { policy }));
    const bad = { ...policy, roles: [...policy.roles, { role_id: 'r\u00f4le', description: '', permissions: [] }] };
    expectError(await server.api(consumer, 'PUT', '/v1/rbac/policy', { policy: bad }), 400, 'invalid_rbac_id_characters');
    const b2b = await B2BProject.create(server);
    const withBuiltIns = { ...B2B_POLICY, roles: [...B2B_POLICY.roles, { role_id: 'org_admin', description: '', permissions: [{ resource_id: 'stytch.organization', actions: ['*'] }] }] };
    expectOk(await b2b.api('PUT', '/v1/b2b/rbac/policy', { policy: withBuiltIns }));
  });

  test("an organization's custom roles", async () => {
    const path = `/v1/b2b/rbac/organizations/${organizationId}`;
    expectError(
      await p.api('PUT', path, { org_policy: { roles: [{ role_id: LOOK_ALIKE, description: 'Looks like stytch_admin', permissions: [] }] } }),
      400,
      'invalid_rbac_id_characters',
    );
    expectOk(await p.api('PUT', path, { org_policy: { roles: [{ role_id: 'org.reviewer', description: 'Reviews', permissions: [] }] } }));
  });

  test('member roles, email-domain rules and SSO role rules name the characters, not just an unknown role', async () => {
    const member = expectError(
      await p.api('POST', `/v1/b2b/organizations/${organizationId}/members`, { email_address: 'lookalike@example.com', roles: [LOOK_ALIKE] }),
      400,
      'invalid_rbac_id_characters',
    );
    assert.match(member.error_message, /U\+0455/);
    expectError(
      await p.api('PUT', `/v1/b2b/organizations/${organizationId}`, { rbac_email_implicit_role_assignments: [{ domain: 'example.com', role_id: LOOK_ALIKE }] }),
      400,
      'invalid_rbac_id_characters',
    );
    const connection = expectOk(await p.api('POST', `/v1/b2b/sso/saml/${organizationId}`, {})).connection;
    expectError(
      await p.api('PUT', `/v1/b2b/sso/saml/${organizationId}/connections/${connection.connection_id}`, { saml_connection_implicit_role_assignments: [{ role_id: LOOK_ALIKE }] }),
      400,
      'invalid_rbac_id_characters',
    );
    const consumer = await server.createProject();
    expectError(await server.api(consumer, 'POST', '/v1/users', { email: 'lookalike@example.com', roles: [LOOK_ALIKE] }), 400, 'invalid_rbac_id_characters');
    // Nothing was half-made.
    const search = expectOk(await p.api('POST', '/v1/b2b/organizations/members/search', { organization_ids: [organizationId] }));
    assert.equal(search.members.some((m: { email_address: string }) => m.email_address === 'lookalike@example.com'), false);
  });
});

describe('organization URLs', () => {
  test('organization_logo_url is an absolute http(s) URL (or empty); javascript:, data: and relative URLs are refused', async () => {
    for (const url of ['javascript:alert(document.cookie)', 'JavaScript:alert(1)', ' javascript:alert(1)', 'data:image/svg+xml,<svg onload=alert(1)>', '/logo.png', 'logo.png', 'ftp://example.com/logo.png', 'https://']) {
      const refused = expectError(await p.api('POST', '/v1/b2b/organizations', { organization_name: `Logo ${Math.random()}`, organization_logo_url: url }), 400, 'invalid_organization_logo_url');
      assert.match(refused.error_message, /http/);
      expectError(await p.api('PUT', `/v1/b2b/organizations/${organizationId}`, { organization_logo_url: url }), 400, 'invalid_organization_logo_url');
    }
    const created = expectOk(await p.api('POST', '/v1/b2b/organizations', { organization_name: 'With a logo', organization_logo_url: 'https://cdn.example.com/logo.png' }));
    assert.equal(created.organization.organization_logo_url, 'https://cdn.example.com/logo.png');
    const updated = expectOk(await p.api('PUT', `/v1/b2b/organizations/${created.organization.organization_id}`, { organization_logo_url: 'http://localhost:8080/logo.png' }));
    assert.equal(updated.organization.organization_logo_url, 'http://localhost:8080/logo.png');
    const cleared = expectOk(await p.api('PUT', `/v1/b2b/organizations/${created.organization.organization_id}`, { organization_logo_url: '' }));
    assert.equal(cleared.organization.organization_logo_url, '');
  });
});
