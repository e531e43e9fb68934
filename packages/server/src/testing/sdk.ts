// Test support for the browser SDK API (/sdk/v1): calls as the official browser SDK makes them
// (Basic public_token:session_token, an Origin, JSON), and projects set up for it.
import assert from 'node:assert/strict';
import bcrypt from 'bcryptjs';
import type { ProjectCredentials } from '../projects/service.ts';
import { B2BProject } from './b2b.ts';
import type { ApiResponse, TestServer } from './harness.ts';

export const PASSWORD = 'violet-Harbor-87-quietly-Lantern';

/** Who a browser call comes from: the project's public token, the session (if signed in), the page's origin. */
export interface BrowserCaller {
  publicToken: string;
  sessionToken?: string;
  origin?: string;
}

export function sdkAuthorization(publicToken: string, sessionToken?: string): string {
  return `Basic ${Buffer.from(`${publicToken}:${sessionToken ?? publicToken}`).toString('base64')}`;
}

/** Calls /sdk/v1 as the browser SDK does. `path` is below /sdk/v1. */
export function sdkCall(server: TestServer, caller: BrowserCaller, method: string, path: string, body?: unknown): Promise<ApiResponse> {
  const headers: Record<string, string> = {
    authorization: sdkAuthorization(caller.publicToken, caller.sessionToken),
    'content-type': 'application/json',
    'x-sdk-client': Buffer.from(JSON.stringify({ sdk: { identifier: 'test' } })).toString('base64'),
  };
  if (caller.origin) headers.origin = caller.origin;
  return server.raw(`/sdk/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

/** Asserts a wrapped success ({data: {request_id, status_code, …}}) and returns `data`. */
export function expectData(response: ApiResponse): any {
  assert.equal(response.status, 200, `expected 200, got ${response.status} ${JSON.stringify(response.body)}`);
  assert.ok(response.body && typeof response.body === 'object' && 'data' in response.body, `not wrapped in data: ${JSON.stringify(response.body)}`);
  assert.deepEqual(Object.keys(response.body), ['data']);
  assert.equal(response.body.data.status_code, 200);
  assert.match(response.body.data.request_id, /^request-id-test-/);
  return response.body.data;
}

export async function allowOrigin(server: TestServer, credentials: ProjectCredentials, origin: string, vertical: 'CONSUMER' | 'B2B' = 'CONSUMER') {
  const response = await server.api(credentials, 'POST', '/v1/project/allowed_origins', { origin, vertical });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body;
}

export const CONSUMER_POLICY = {
  resources: [{ resource_id: 'documents', description: 'Documents', actions: ['read', 'write', 'delete'] }],
  roles: [
    { role_id: 'stytch_user', description: 'Every user', permissions: [{ resource_id: 'documents', actions: ['read'] }] },
    { role_id: 'editor', description: 'Edits', permissions: [{ resource_id: 'documents', actions: ['read', 'write'] }] },
  ],
  scopes: [],
};

/** A consumer project with CONSUMER_POLICY, the origin allowed, and a user with PASSWORD and the given roles. */
export async function consumerWorld(server: TestServer, origin: string, roles: string[] = [], email = 'ada@example.com') {
  const credentials = await server.createProject();
  assert.equal((await server.api(credentials, 'PUT', '/v1/rbac/policy', { policy: CONSUMER_POLICY })).status, 200);
  await allowOrigin(server, credentials, origin);
  const created = await server.api(credentials, 'POST', '/v1/passwords', { email, password: PASSWORD });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  const userId: string = created.body.user_id;
  if (roles.length > 0) assert.equal((await server.api(credentials, 'PUT', `/v1/users/${userId}`, { roles })).status, 200);
  return { credentials, userId, email };
}

/** A B2B project (its policy as given), the origin allowed for B2B, one organization. */
export async function b2bWorld(server: TestServer, origin: string, policy: object) {
  const project = await B2BProject.create(server, policy);
  await allowOrigin(server, project.credentials, origin, 'B2B');
  const organization = await project.createOrganization({ organization_slug: `acme-${Math.random().toString(36).slice(2, 8)}` });
  return { project, organization };
}

/** A member of the organization with PASSWORD (migrated as a cheap bcrypt hash) and explicit roles. */
export async function memberWithPassword(project: B2BProject, organizationId: string, email: string, roles: string[] = []) {
  const response = await project.api('POST', '/v1/b2b/passwords/migrate', {
    organization_id: organizationId,
    email_address: email,
    hash_type: 'bcrypt',
    hash: bcrypt.hashSync(PASSWORD, 4),
    name: email.split('@')[0],
    roles,
  });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body.member as { member_id: string; member_password_id: string };
}
