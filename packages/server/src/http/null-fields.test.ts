// null for an optional body field means "not given" (Stytch's convention): the field is dropped before
// validation and before the member-session gate; where a field's schema accepts null, null keeps its
// meaning. Unit cases for the schema reading, then the behaviour on a real server.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Type } from '@sinclair/typebox';
import { B2BProject, expectOk } from '../testing/b2b.ts';
import { expectError, startTestServer, type TestServer } from '../testing/harness.ts';
import { acceptsNull, nullMeansNotGiven } from './null-fields.ts';

test('which optional fields refuse null, read from the body schema', () => {
  const body = Type.Object({
    name: Type.Optional(Type.String()),
    count: Type.Optional(Type.Integer()),
    clearable: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    anything: Type.Optional(Type.Unknown()),
    required_name: Type.String(),
    kind: Type.Optional(Type.Union([Type.Literal('A'), Type.Literal('B')])),
  });
  assert.deepEqual(nullMeansNotGiven(body), ['name', 'count', 'kind']);
  assert.equal(acceptsNull(Type.Null()), true);
  assert.equal(acceptsNull(Type.Literal('A')), false);
  assert.deepEqual(nullMeansNotGiven(undefined), []);
});

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server?.close());

test('an update with null fields changes nothing those fields name; a null the schema allows still clears', async () => {
  const b2b = await B2BProject.create(server);
  const organization = await b2b.createOrganization({ organization_name: 'Nulls Inc', organization_slug: `nulls-${Date.now()}` });
  const organizationId = organization.organization_id;
  const path = `/v1/b2b/organizations/${organizationId}`;

  // organization_name: null is "not given": the name stays; before, this was a 400.
  const kept = expectOk(await b2b.api('PUT', path, { organization_name: null, organization_logo_url: null }));
  assert.equal(kept.organization.organization_name, 'Nulls Inc');

  // A required field sent as null is still missing, with the schema's error.
  expectError(await b2b.api('POST', '/v1/b2b/organizations', { organization_name: null }), 400, 'invalid_organization_name');

  // sso_default_connection_id accepts null (it clears the default): null keeps that meaning.
  const cleared = expectOk(await b2b.api('PUT', path, { sso_default_connection_id: null }));
  assert.equal(cleared.organization.sso_default_connection_id, null);
});

test('a member session sending null for a field it may not change asks for nothing and is not refused', async () => {
  const b2b = await B2BProject.create(server);
  const organization = await b2b.createOrganization({ organization_name: 'Narrow', organization_slug: `narrow-${Date.now()}` });
  const organizationId = organization.organization_id;
  const member = await b2b.createVerifiedMember(organizationId, { email_address: `viewer-${Date.now()}@narrow.example`, roles: ['viewer'] });
  const session = await b2b.startMemberSession(organizationId, member.member_id);
  const memberPath = `/v1/b2b/organizations/${organizationId}/members/${member.member_id}`;

  // roles: null names no change, so it needs no permission and changes no role.
  const answered = expectOk(await b2b.apiAs(session, 'PUT', memberPath, { roles: null }));
  assert.deepEqual(answered.member.roles.map((role: { role_id: string }) => role.role_id).sort(), ['stytch_member', 'viewer']);
  // A real value for the same field is still judged: a viewer cannot grant itself roles.
  expectError(await b2b.apiAs(session, 'PUT', memberPath, { roles: ['stytch_admin'] }), 403, 'session_authorization_error');
});
