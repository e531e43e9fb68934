// An identity provider's SCIM client for tests: requests to a SCIM connection's base_url with its
// bearer token, in SCIM's content type, as Okta and Entra send them.
import { B2BProject, expectOk } from './b2b.ts';
import type { ApiResponse, TestServer } from './harness.ts';

export class ScimTestClient {
  readonly #server: TestServer;
  readonly #path: string;
  token: string;

  /** `baseUrl`: the connection's base_url (its query string, Entra's flag, is left off as Entra does). */
  constructor(server: TestServer, baseUrl: string, token: string) {
    this.#server = server;
    const url = new URL(baseUrl);
    this.#path = url.pathname;
    this.token = token;
  }

  request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> {
    const all: Record<string, string> = { authorization: `Bearer ${this.token}`, accept: 'application/scim+json', ...headers };
    if (body !== undefined) all['content-type'] = 'application/scim+json; charset=utf-8';
    return this.#server.raw(`${this.#path}${path}`, { method, headers: all, body: body === undefined ? undefined : JSON.stringify(body) });
  }
}

/** An organization with a SCIM connection, its IdP client, and the checks the replays make after each step. */
export class ScimWorld {
  readonly project: B2BProject;
  readonly organizationId: string;
  readonly connection: { connection_id: string; base_url: string; bearer_token: string };
  readonly idp: ScimTestClient;

  constructor(project: B2BProject, organizationId: string, connection: { connection_id: string; base_url: string; bearer_token: string }, idp: ScimTestClient) {
    this.project = project;
    this.organizationId = organizationId;
    this.connection = connection;
    this.idp = idp;
  }

  static async create(server: TestServer, identityProvider: 'okta' | 'microsoft-entra'): Promise<ScimWorld> {
    const project = await B2BProject.create(server);
    const organizationId = (await project.createOrganization({ organization_name: `SCIM ${identityProvider}` })).organization_id as string;
    const created = expectOk(await project.api('POST', `/v1/b2b/scim/${organizationId}/connection`, { display_name: identityProvider, identity_provider: identityProvider }));
    return new ScimWorld(project, organizationId, created.connection, new ScimTestClient(server, created.connection.base_url, created.connection.bearer_token));
  }

  /** Gives `role_id` to the members of a SCIM group (the connection's group rule). */
  async ruleFor(groupId: string, roleId: string): Promise<void> {
    expectOk(await this.project.api('PUT', `/v1/b2b/scim/${this.organizationId}/connection/${this.connection.connection_id}`, {
      scim_group_implicit_role_assignments: [{ role_id: roleId, group_id: groupId }],
    }));
  }

  /** The member as GET member answers it (the project secret), or null when it is deleted. */
  async member(memberId: string): Promise<any> {
    const response = await this.project.api('GET', `/v1/b2b/organizations/${this.organizationId}/member?member_id=${memberId}`);
    if (response.status === 404) return null;
    return expectOk(response).member;
  }

  /** The roles a live session of the member carries now, or null when the session no longer authenticates. */
  async sessionRoles(sessionToken: string): Promise<string[] | null> {
    const response = await this.project.api('POST', '/v1/b2b/sessions/authenticate', { session_token: sessionToken });
    if (response.status !== 200) return null;
    return [...response.body.member_session.roles].sort();
  }

  /** Members of the organization the member search finds by role. */
  async searchByRole(roleId: string): Promise<string[]> {
    const found = expectOk(await this.project.api('POST', '/v1/b2b/organizations/members/search', {
      organization_ids: [this.organizationId], query: { operator: 'AND', operands: [{ filter_name: 'member_roles', filter_value: [roleId] }] },
    }));
    return found.members.map((member: { member_id: string }) => member.member_id);
  }

  /** Members "who can" take the action on the resource (the B2B policy's who-can). */
  async whoCan(resourceId: string, action: string): Promise<string[]> {
    const answer = expectOk(await this.project.api('GET', `/v1/b2b/rbac/who_can?resource_id=${resourceId}&action=${action}&organization_id=${this.organizationId}`));
    return answer.members.map((member: { member_id: string }) => member.member_id);
  }

  /** Whether access-at says the member could take the action at `at`. */
  async allowedAt(memberId: string, resourceId: string, action: string, at: Date): Promise<boolean> {
    const answer = expectOk(await this.project.api('GET', `/v1/rbac/access_at?member_id=${memberId}&resource_id=${resourceId}&action=${action}&at=${encodeURIComponent(at.toISOString())}`));
    return answer.allowed;
  }
}
