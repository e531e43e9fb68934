// The SCIM service's own description (RFC 7644 §4, RFC 7643 §5–7): what it supports
// (ServiceProviderConfig), the resources it serves (ResourceTypes) and their attributes (Schemas).
import { SCIM_SCHEMAS } from './wire.ts';

export const MAX_PAGE_SIZE = 1000;

export function serviceProviderConfig(baseUrl: string) {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
    documentationUri: 'https://github.com/gatehouse/gatehouse#scim-provisioning',
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_PAGE_SIZE },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: true },
    authenticationSchemes: [{
      type: 'oauthbearertoken', name: 'Bearer token', description: 'The SCIM connection\'s bearer token, in Authorization: Bearer <token>.', primary: true,
    }],
    meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl}/ServiceProviderConfig` },
  };
}

export function resourceTypes(baseUrl: string) {
  return [
    {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'], id: 'User', name: 'User', endpoint: '/Users', description: 'A member of the organization',
      schema: SCIM_SCHEMAS.user, schemaExtensions: [{ schema: SCIM_SCHEMAS.enterpriseUser, required: false }],
      meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/User` },
    },
    {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'], id: 'Group', name: 'Group', endpoint: '/Groups', description: 'A group of the identity provider',
      schema: SCIM_SCHEMAS.group, meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/Group` },
    },
  ];
}

const attribute = (name: string, extra: Record<string, unknown> = {}) => ({
  name, type: 'string', multiValued: false, required: false, caseExact: false, mutability: 'readWrite', returned: 'default', uniqueness: 'none', ...extra,
});
const multi = (name: string, subAttributes: object[]) => attribute(name, { type: 'complex', multiValued: true, subAttributes });
const valueTypePrimary = [attribute('value'), attribute('type'), attribute('primary', { type: 'boolean' })];

export function schemas(baseUrl: string) {
  const schema = (id: string, name: string, attributes: object[]) => ({
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'], id, name, attributes, meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${id}` },
  });
  return [
    schema(SCIM_SCHEMAS.user, 'User', [
      attribute('userName', { required: true, uniqueness: 'server' }),
      attribute('name', { type: 'complex', subAttributes: ['formatted', 'familyName', 'givenName', 'middleName', 'honorificPrefix', 'honorificSuffix'].map((n) => attribute(n)) }),
      attribute('displayName'), attribute('nickName'), attribute('title'), attribute('userType'), attribute('preferredLanguage'), attribute('locale'), attribute('timezone'),
      attribute('active', { type: 'boolean' }),
      attribute('password', { mutability: 'writeOnly', returned: 'never' }),
      multi('emails', valueTypePrimary), multi('phoneNumbers', valueTypePrimary),
      multi('groups', [attribute('value', { mutability: 'readOnly' }), attribute('display', { mutability: 'readOnly' })]),
    ]),
    schema(SCIM_SCHEMAS.group, 'Group', [
      attribute('displayName', { required: true, uniqueness: 'server' }),
      multi('members', [attribute('value', { caseExact: true, mutability: 'immutable' }), attribute('display')]),
    ]),
    schema(SCIM_SCHEMAS.enterpriseUser, 'EnterpriseUser', ['employeeNumber', 'costCenter', 'organization', 'division', 'department'].map((n) => attribute(n))),
  ];
}
