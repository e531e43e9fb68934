// The SCIM API's response shapes: the connection as Stytch's /v1/b2b/scim returns it, and the SCIM
// 2.0 service's resources (RFC 7643) and errors (RFC 7644 §3.12).
import type { ErrorEnvelope } from '@gatehouse/contracts';
import { formatTimestamp } from '../shared/clock.ts';
import type { ScimConnectionRecord, ScimGroupSummary } from './connections.ts';

export const SCIM_SCHEMAS = {
  user: 'urn:ietf:params:scim:schemas:core:2.0:User',
  group: 'urn:ietf:params:scim:schemas:core:2.0:Group',
  enterpriseUser: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
  error: 'urn:ietf:params:scim:api:messages:2.0:Error',
  listResponse: 'urn:ietf:params:scim:api:messages:2.0:ListResponse',
  patchOp: 'urn:ietf:params:scim:api:messages:2.0:PatchOp',
} as const;

/** The URL the IdP is given: Entra's SCIM 2.0 compliance flag appended for microsoft-entra, as Stytch does. */
export function scimBaseUrl(record: Pick<ScimConnectionRecord, 'connection_id' | 'identity_provider'>, publicUrl: string): string {
  return `${publicUrl}/v1/b2b/scim/${record.connection_id}${record.identity_provider === 'microsoft-entra' ? '?aadOptscim062020' : ''}`;
}

/** Stytch's SCIMConnection (the token's last four only). */
export function toWireScimConnection(record: ScimConnectionRecord, publicUrl: string) {
  return {
    organization_id: record.organization_id,
    connection_id: record.connection_id,
    status: record.status,
    display_name: record.display_name,
    identity_provider: record.identity_provider,
    base_url: scimBaseUrl(record, publicUrl),
    bearer_token_last_four: record.bearer_token_last_four,
    scim_group_implicit_role_assignments: record.group_role_rules.map((rule) => ({ role_id: rule.role_id, group_id: rule.group_id, group_name: record.group_names[rule.group_id] ?? '' })),
    next_bearer_token_last_four: record.next_bearer_token_last_four,
    ...(record.bearer_token_expires_at ? { bearer_token_expires_at: formatTimestamp(record.bearer_token_expires_at) } : {}),
    ...(record.next_bearer_token_expires_at ? { next_bearer_token_expires_at: formatTimestamp(record.next_bearer_token_expires_at) } : {}),
  };
}

/** SCIMConnectionWithToken: on create, the token in full (never again). */
export function toWireScimConnectionWithToken(record: ScimConnectionRecord, publicUrl: string, bearerToken: string) {
  const { bearer_token_last_four: _last, next_bearer_token_last_four: _next, ...rest } = toWireScimConnection(record, publicUrl);
  return { ...rest, bearer_token: bearerToken };
}

/** SCIMConnectionWithNextToken: on rotate/start, the next token in full (never again). */
export function toWireScimConnectionWithNextToken(record: ScimConnectionRecord, publicUrl: string, nextBearerToken: string) {
  const { next_bearer_token_last_four: _next, ...rest } = toWireScimConnection(record, publicUrl);
  return { ...rest, next_bearer_token: nextBearerToken };
}

export function toWireScimGroupSummary(group: ScimGroupSummary) {
  return { group_id: group.group_id, group_name: group.group_name, organization_id: group.organization_id, connection_id: group.connection_id, member_count: group.member_count };
}

export interface ScimUserRow {
  member_id: string;
  registration_id: string;
  user_name: string;
  external_id: string | null;
  active: boolean;
  attributes: Record<string, unknown>;
  version: number;
  created_at: Date;
  updated_at: Date;
  groups: { value: string; display: string }[];
}

export interface ScimGroupRow {
  group_id: string;
  display_name: string;
  external_id: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
  members: { value: string; display: string }[];
}

function meta(resourceType: 'User' | 'Group', location: string, row: { version: number; created_at: Date; updated_at: Date }) {
  return { resourceType, created: formatTimestamp(row.created_at), lastModified: formatTimestamp(row.updated_at), location, version: `W/"${row.version}"` };
}

/** A User resource: what the IdP sent (never a password), with the id (the member_id), groups and meta. */
export function toWireScimUser(row: ScimUserRow, baseUrl: string) {
  const extension = Object.keys(row.attributes).some((key) => key.toLowerCase() === SCIM_SCHEMAS.enterpriseUser.toLowerCase());
  return {
    ...row.attributes,
    schemas: extension ? [SCIM_SCHEMAS.user, SCIM_SCHEMAS.enterpriseUser] : [SCIM_SCHEMAS.user],
    id: row.member_id,
    ...(row.external_id !== null ? { externalId: row.external_id } : {}),
    userName: row.user_name,
    active: row.active,
    groups: row.groups.map((group) => ({ ...group, $ref: `${baseUrl}/Groups/${group.value}` })),
    meta: meta('User', `${baseUrl}/Users/${row.member_id}`, row),
  };
}

/** A Group resource; `members` left out when the IdP asked (excludedAttributes=members). */
export function toWireScimGroup(row: ScimGroupRow, baseUrl: string, withMembers = true) {
  return {
    schemas: [SCIM_SCHEMAS.group],
    id: row.group_id,
    ...(row.external_id !== null ? { externalId: row.external_id } : {}),
    displayName: row.display_name,
    ...(withMembers ? { members: row.members.map((member) => ({ ...member, $ref: `${baseUrl}/Users/${member.value}` })) } : {}),
    meta: meta('Group', `${baseUrl}/Groups/${row.group_id}`, row),
  };
}

/** The scimType of each error a SCIM endpoint answers (RFC 7644 §3.12, table 9). */
const SCIM_TYPES: Record<string, string> = {
  scim_invalid_filter: 'invalidFilter',
  scim_invalid_value: 'invalidValue',
  scim_invalid_path: 'invalidPath',
  scim_invalid_syntax: 'invalidSyntax',
  scim_uniqueness: 'uniqueness',
  invalid_json_body: 'invalidSyntax',
  bad_request: 'invalidSyntax',
  invalid_argument: 'invalidValue',
  invalid_email: 'invalidValue',
};

/**
 * A SCIM error (schemas, status as a string, scimType, detail) that is also Gatehouse's envelope
 * (status_code, request_id, error_type, error_message, error_url): IdPs read the first, and every
 * other answer of the server has the second.
 */
export function toWireScimError(envelope: ErrorEnvelope) {
  const scimType = SCIM_TYPES[envelope.error_type];
  return {
    schemas: [SCIM_SCHEMAS.error],
    status: String(envelope.status_code),
    ...(scimType ? { scimType } : {}),
    detail: envelope.error_message,
    ...envelope,
  };
}
