// Test support for the B2B API over real HTTP: organizations, members, the B2B policy and member
// search, called with a project's secret (no member session).
import assert from 'node:assert/strict';
import type { ProjectCredentials } from '../projects/service.ts';
import { basicAuth, type ApiResponse, type TestServer } from './harness.ts';

/** A member session's credentials: send one of them in X-Stytch-Member-Session(JWT). */
export interface MemberSessionCredentials {
  session_token: string;
  session_jwt: string;
  member_session_id: string;
}

export const REQUEST_ID = /^request-id-test-[0-9a-f-]{36}$/;
export const ORGANIZATION_ID = /^organization-test-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const MEMBER_ID = /^member-test-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** The default B2B roles as Stytch ships them: stytch.self for every member; the organization and its members for admins. */
export const STYTCH_MEMBER_ROLE = { role_id: 'stytch_member', description: 'Every member', permissions: [{ resource_id: 'stytch.self', actions: ['*'] }] };
export const STYTCH_ADMIN_ROLE = {
  role_id: 'stytch_admin',
  description: 'Administers',
  permissions: [
    { resource_id: 'stytch.organization', actions: ['*'] },
    { resource_id: 'stytch.member', actions: ['*'] },
  ],
};

/** A B2B policy with one custom resource and three custom roles next to the two default roles. */
export const B2B_POLICY = {
  resources: [{ resource_id: 'documents', description: 'Documents', actions: ['read', 'write', 'delete'] }],
  roles: [
    { role_id: 'stytch_member', description: 'Every member', permissions: [{ resource_id: 'stytch.self', actions: ['*'] }] },
    { role_id: 'stytch_admin', description: 'Administers', permissions: [{ resource_id: 'stytch.member', actions: ['*'] }] },
    { role_id: 'editor', description: 'Edits', permissions: [{ resource_id: 'documents', actions: ['read', 'write'] }] },
    { role_id: 'viewer', description: 'Reads', permissions: [{ resource_id: 'documents', actions: ['read'] }] },
    { role_id: 'auditor', description: 'Searches members', permissions: [{ resource_id: 'stytch.member', actions: ['search'] }] },
  ],
  scopes: [],
};

/** The consumer counterpart of B2B_POLICY: documents, an editor and a viewer; stytch_user holds nothing. */
export const CONSUMER_POLICY = {
  resources: [{ resource_id: 'documents', description: 'Documents', actions: ['read', 'write'] }],
  roles: [
    { role_id: 'stytch_user', description: 'Every user', permissions: [] as { resource_id: string; actions: string[] }[] },
    { role_id: 'editor', description: 'Edits', permissions: [{ resource_id: 'documents', actions: ['read', 'write'] }] },
    { role_id: 'viewer', description: 'Reads', permissions: [{ resource_id: 'documents', actions: ['read'] }] },
  ],
  scopes: [],
};

export function expectOk(response: ApiResponse): any {
  assert.equal(response.status, 200, `expected 200, got ${response.status} ${JSON.stringify(response.body)}`);
  assert.equal(response.body.status_code, 200);
  assert.match(response.body.request_id, REQUEST_ID);
  return response.body;
}

type Operand = { filter_name: string; filter_value: unknown };
export const filter = (filter_name: string, filter_value: unknown): Operand => ({ filter_name, filter_value });
export const and = (...operands: Operand[]) => ({ operator: 'AND', operands });
export const or = (...operands: Operand[]) => ({ operator: 'OR', operands });

export interface WireMemberRole {
  role_id: string;
  sources: { type: string; details?: Record<string, unknown> }[];
}

/** A member's roles as "role_id:source,source" strings, e.g. "viewer:direct_assignment,email_assignment@acme.com". */
export function roleSummary(member: { roles: WireMemberRole[] }): string[] {
  return member.roles.map((role) => {
    const sources = role.sources.map((source) =>
      source.type === 'email_assignment' ? `email_assignment@${String(source.details?.email_domain)}` : source.type,
    );
    return `${role.role_id}:${sources.join(',')}`;
  });
}

/** One project and the calls a B2B test makes in it. */
export class B2BProject {
  readonly server: TestServer;
  readonly credentials: ProjectCredentials;

  constructor(server: TestServer, credentials: ProjectCredentials) {
    this.server = server;
    this.credentials = credentials;
  }

  /** A new project, with B2B_POLICY (or the given policy; null keeps the default one). */
  static async create(server: TestServer, policy: object | null = B2B_POLICY): Promise<B2BProject> {
    const project = new B2BProject(server, await server.createProject());
    if (policy) await project.putPolicy(policy);
    return project;
  }

  api(method: string, path: string, body?: unknown): Promise<ApiResponse> {
    return this.server.api(this.credentials, method, path, body);
  }

  /**
   * Calls the API with the project's secret and a member session header: the token
   * (X-Stytch-Member-Session) by default, or the JWT (X-Stytch-Member-SessionJWT).
   */
  apiAs(session: MemberSessionCredentials, method: string, path: string, body?: unknown, via: 'token' | 'jwt' = 'token'): Promise<ApiResponse> {
    const headers: Record<string, string> = { authorization: basicAuth(this.credentials.project_id, this.credentials.secret) };
    if (via === 'token') headers['x-stytch-member-session'] = session.session_token;
    else headers['x-stytch-member-sessionjwt'] = session.session_jwt;
    if (body !== undefined) headers['content-type'] = 'application/json';
    return this.server.raw(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  }

  /**
   * Starts a member session through the real session service, as a B2B sign-in would (a password
   * factor). Until B2B sign-in exists over HTTP, this is how tests get a member session.
   */
  async startMemberSession(organizationId: string, memberId: string, sessionDurationMinutes = 60): Promise<MemberSessionCredentials> {
    const { gatehouse } = this.server;
    const projectId = this.credentials.project_id;
    const member = await gatehouse.members.findMember(projectId, memberId);
    assert.ok(member, `no member ${memberId}`);
    const organization = await gatehouse.organizations.requireOrganization(projectId, organizationId);
    const at = new Date().toISOString();
    const factor = { type: 'password', delivery_method: 'knowledge', last_authenticated_at: at, created_at: at, updated_at: at };
    const grant = await gatehouse.sessions.grantMember(projectId, 'test', member, organization, factor, { session_duration_minutes: sessionDurationMinutes });
    return { session_token: grant.session_token, session_jwt: grant.session_jwt, member_session_id: grant.member_session!.session_id };
  }

  async putPolicy(policy: object): Promise<any> {
    return expectOk(await this.api('PUT', '/v1/b2b/rbac/policy', { policy }));
  }

  async policy(): Promise<any> {
    return expectOk(await this.api('GET', '/v1/b2b/rbac/policy')).policy;
  }

  async createOrganization(body: Record<string, unknown> = {}): Promise<any> {
    const name = (body.organization_name as string | undefined) ?? `Org ${Math.random().toString(36).slice(2, 10)}`;
    return expectOk(await this.api('POST', '/v1/b2b/organizations', { organization_name: name, ...body })).organization;
  }

  async getOrganization(organizationId: string): Promise<any> {
    return expectOk(await this.api('GET', `/v1/b2b/organizations/${organizationId}`)).organization;
  }

  async updateOrganization(organizationId: string, body: Record<string, unknown>): Promise<any> {
    return expectOk(await this.api('PUT', `/v1/b2b/organizations/${organizationId}`, body)).organization;
  }

  async createMember(organizationId: string, body: Record<string, unknown>): Promise<any> {
    const response = expectOk(await this.api('POST', `/v1/b2b/organizations/${organizationId}/members`, body));
    assert.equal(response.member_id, response.member.member_id);
    assert.equal(response.organization.organization_id, organizationId);
    return response.member;
  }

  /**
   * Proves a member's address as a person would: a login link to it (read from the outbox, so the
   * server must have no SMTP), followed. Email-domain rules count only for a verified address.
   * Returns the authenticate answer (member, member_session, session_token…).
   */
  async verifyEmail(organizationId: string, email: string): Promise<any> {
    expectOk(await this.api('POST', '/v1/b2b/magic_links/email/login_or_signup', { organization_id: organizationId, email_address: email }));
    const outbox = expectOk(await this.api('GET', `/v1/project/outbox?to=${encodeURIComponent(email)}&limit=1`));
    assert.ok(outbox.messages[0], `no message to ${email}`);
    const token = new URL(outbox.messages[0].link).searchParams.get('token');
    const signedIn = expectOk(await this.api('POST', '/v1/b2b/magic_links/authenticate', { magic_links_token: token }));
    assert.equal(signedIn.member.email_address_verified, true);
    return signedIn;
  }

  /**
   * Changes a member's address as it happens: the update asks for it, the link mailed to the new
   * address (read from the outbox) is followed. Returns the member after.
   */
  async changeEmail(organizationId: string, memberId: string, email: string): Promise<any> {
    await this.updateMember(organizationId, memberId, { email_address: email });
    const outbox = expectOk(await this.api('GET', `/v1/project/outbox?to=${encodeURIComponent(email)}&limit=1`));
    assert.equal(outbox.messages[0]?.kind, 'email_update', `no email update link to ${email}`);
    const token = new URL(outbox.messages[0].link).searchParams.get('token');
    return expectOk(await this.api('POST', '/v1/b2b/magic_links/authenticate', { magic_links_token: token })).member;
  }

  /** createMember, then verifyEmail: the member as it is after its first sign-in by link. */
  async createVerifiedMember(organizationId: string, body: Record<string, unknown>): Promise<any> {
    const created = await this.createMember(organizationId, body);
    return (await this.verifyEmail(organizationId, created.email_address)).member;
  }

  async getMember(organizationId: string, memberId: string): Promise<any> {
    return expectOk(await this.api('GET', `/v1/b2b/organizations/${organizationId}/member?member_id=${encodeURIComponent(memberId)}`)).member;
  }

  async updateMember(organizationId: string, memberId: string, body: Record<string, unknown>): Promise<any> {
    return expectOk(await this.api('PUT', `/v1/b2b/organizations/${organizationId}/members/${memberId}`, body)).member;
  }

  async deleteMember(organizationId: string, memberId: string): Promise<void> {
    const body = expectOk(await this.api('DELETE', `/v1/b2b/organizations/${organizationId}/members/${memberId}`));
    assert.equal(body.member_id, memberId);
  }

  async searchMembers(body: Record<string, unknown>): Promise<any> {
    return expectOk(await this.api('POST', '/v1/b2b/organizations/members/search', body));
  }

  /**
   * Every member id a member search finds, following cursors; checks that each page keeps the
   * total, that no member repeats, and that the total is the number found. Sorted.
   */
  async searchMemberIds(organizationIds: string[], query: unknown = null, limit = 1000): Promise<string[]> {
    return this.#collect(
      (cursor) => this.searchMembers({ organization_ids: organizationIds, query, limit, ...(cursor ? { cursor } : {}) }),
      (body) => body.members.map((member: { member_id: string }) => member.member_id),
      limit,
    );
  }

  /** Every organization id an organization search finds, following cursors, with the same checks. Sorted. */
  async searchOrganizationIds(query: unknown = null, limit = 1000): Promise<string[]> {
    return this.#collect(
      async (cursor) => expectOk(await this.api('POST', '/v1/b2b/organizations/search', { query, limit, ...(cursor ? { cursor } : {}) })),
      (body) => body.organizations.map((organization: { organization_id: string }) => organization.organization_id),
      limit,
    );
  }

  async #collect(page: (cursor: string | null) => Promise<any>, idsOf: (body: any) => string[], limit: number): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | null = null;
    let total: number | undefined;
    for (let n = 0; n < 1000; n++) {
      const body = await page(cursor);
      total ??= body.results_metadata.total;
      assert.equal(body.results_metadata.total, total, 'total changes between pages');
      const found = idsOf(body);
      assert.ok(found.length <= limit, `a page holds ${found.length} results, more than the limit ${limit}`);
      ids.push(...found);
      cursor = body.results_metadata.next_cursor ?? null;
      if (!cursor) break;
    }
    assert.equal(new Set(ids).size, ids.length, `a result appeared twice: ${ids.join(', ')}`);
    assert.equal(ids.length, total, 'results_metadata.total differs from the number of results');
    return ids.sort();
  }
}
