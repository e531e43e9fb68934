// The typed client: one table of endpoints per API area, bound to one transport. Consumer areas at
// the top (`users`, `passwords`, `magicLinks`, `sessions`, `rbac`), B2B under `b2b`.
import type { Policy, Resource, Role } from '@gatehouse/policy';
import { PolicyCache, type Freshness, type PolicyCacheOptions } from './policy-cache.ts';
import { bindEndpoints, endpoint, Transport, type GatehouseConfig } from './request.ts';
import { M2MVerifier, type AuthenticateM2MOptions, type AuthenticateM2MResult } from './m2m.ts';
import { b2bJwtSessions, consumerJwtSessions, JwtVerifier, type JwksOptions } from './sessions.ts';
import type {
  Member,
  MemberSession,
  MemberSessionResponse,
  Metadata,
  Organization,
  PolicyResponse,
  PolicyWriteResponse,
  ResultsMetadata,
  SearchQuery,
  Session,
  SessionFields,
  SsoConnection,
  User,
  UserSessionResponse,
  Verdict,
} from './types.ts';

type Name = { first_name?: string; middle_name?: string; last_name?: string };
type UserFields = { name?: Name; trusted_metadata?: Metadata; untrusted_metadata?: Metadata; external_id?: string; roles?: string[] };
type Check = { resource_id: string; action: string };
type MemberCheck = Check & { organization_id: string };
type Search = { limit?: number; cursor?: string | null; query?: SearchQuery | null };
type Empty = Record<string, never>;
type OrganizationFields = Partial<Omit<Organization, 'organization_id' | 'created_at' | 'updated_at' | 'custom_roles' | 'sso_active_connections'>> & Metadata;
type MemberFields = { name?: string; trusted_metadata?: Metadata; untrusted_metadata?: Metadata; roles?: string[]; external_id?: string; is_breakglass?: boolean; mfa_enrolled?: boolean; mfa_phone_number?: string };
type InOrg = { organization_id: string };
type InMember = InOrg & { member_id: string };
type InConnection = InOrg & { connection_id: string };
type MemberResponse = { member_id: string; member: Member; organization: Organization };
type ConnectionResponse<K extends string> = { [key in K]: SsoConnection };
type MagicLinkEmail = { email: string; login_magic_link_url?: string; signup_magic_link_url?: string; login_expiration_minutes?: number; signup_expiration_minutes?: number; code_challenge?: string };

/** Policy endpoints, alike for consumer (`/v1/rbac`) and B2B (`/v1/b2b/rbac`). */
function policyEndpoints(prefix: string) {
  return {
    policy: endpoint<Empty, PolicyResponse>('GET', `${prefix}/policy`),
    replacePolicy: endpoint<{ policy: Policy }, PolicyWriteResponse>('PUT', `${prefix}/policy`),
    createResource: endpoint<Omit<Resource, 'description'> & { description?: string }, PolicyWriteResponse>('POST', `${prefix}/policy/resources`),
    updateResource: endpoint<{ resource_id: string; description?: string; actions?: string[] }, PolicyWriteResponse>('PUT', `${prefix}/policy/resources/{resource_id}`),
    deleteResource: endpoint<{ resource_id: string }, PolicyWriteResponse>('DELETE', `${prefix}/policy/resources/{resource_id}`),
    createRole: endpoint<{ role_id: string; description?: string; permissions?: Role['permissions'] }, PolicyWriteResponse>('POST', `${prefix}/policy/roles`),
    updateRole: endpoint<{ role_id: string; description?: string; permissions?: Role['permissions'] }, PolicyWriteResponse>('PUT', `${prefix}/policy/roles/{role_id}`),
    deleteRole: endpoint<{ role_id: string }, PolicyWriteResponse>('DELETE', `${prefix}/policy/roles/{role_id}`),
  };
}

const CONSUMER = {
  users: {
    create: endpoint<UserFields & { email?: string; phone_number?: string; create_user_as_pending?: boolean }, { user_id: string; email_id: string; status: string; user: User }>('POST', '/v1/users'),
    get: endpoint<{ user_id: string }, User>('GET', '/v1/users/{user_id}'),
    update: endpoint<UserFields & { user_id: string }, { user_id: string; user: User }>('PUT', '/v1/users/{user_id}'),
    delete: endpoint<{ user_id: string }, { user_id: string }>('DELETE', '/v1/users/{user_id}'),
    search: endpoint<Search, { results: User[]; results_metadata: ResultsMetadata }>('POST', '/v1/users/search'),
  },
  passwords: {
    create: endpoint<UserFields & SessionFields & { email: string; password: string }, UserSessionResponse & { email_id: string }>('POST', '/v1/passwords'),
    authenticate: endpoint<SessionFields & { email: string; password: string }, UserSessionResponse>('POST', '/v1/passwords/authenticate'),
    strengthCheck: endpoint<{ password: string; email?: string }, { valid_password: boolean; score: number; breached_password: boolean; feedback: unknown }>('POST', '/v1/passwords/strength_check'),
    migrate: endpoint<UserFields & { email: string; hash: string; hash_type: string; [config: string]: unknown }, { user_id: string; email_id: string; user_created: boolean; user: User }>('POST', '/v1/passwords/migrate'),
    resetByExistingPassword: endpoint<SessionFields & { email: string; existing_password: string; new_password: string }, UserSessionResponse>('POST', '/v1/passwords/existing_password/reset'),
    resetBySession: endpoint<SessionFields & { password: string }, UserSessionResponse>('POST', '/v1/passwords/session/reset'),
    resetByEmailStart: endpoint<{ email: string; reset_password_redirect_url?: string; reset_password_expiration_minutes?: number; code_challenge?: string }, { user_id: string; email_id: string }>('POST', '/v1/passwords/email/reset/start'),
    resetByEmail: endpoint<SessionFields & { token: string; password: string; code_verifier?: string }, UserSessionResponse>('POST', '/v1/passwords/email/reset'),
  },
  magicLinks: {
    authenticate: endpoint<SessionFields & { token: string; code_verifier?: string }, UserSessionResponse & { method_id: string }>('POST', '/v1/magic_links/authenticate'),
    loginOrCreate: endpoint<MagicLinkEmail & { create_user_as_pending?: boolean }, { user_id: string; email_id: string; user_created: boolean }>('POST', '/v1/magic_links/email/login_or_create'),
    send: endpoint<MagicLinkEmail, { user_id: string; email_id: string }>('POST', '/v1/magic_links/email/send'),
    invite: endpoint<{ email: string; invite_magic_link_url?: string; invite_expiration_minutes?: number; name?: Name; untrusted_metadata?: Metadata }, { user_id: string; email_id: string }>('POST', '/v1/magic_links/email/invite'),
    revokeInvite: endpoint<{ email: string }, Empty>('POST', '/v1/magic_links/email/revoke_invite'),
  },
  sessions: {
    get: endpoint<{ user_id: string }, { sessions: Session[] }>('GET', '/v1/sessions'),
    authenticate: endpoint<SessionFields & { authorization_check?: Check }, UserSessionResponse & { session: Session; verdict?: Verdict }>('POST', '/v1/sessions/authenticate'),
    revoke: endpoint<{ session_id?: string; session_token?: string; session_jwt?: string }, Empty>('POST', '/v1/sessions/revoke'),
    getJWKS: endpoint<{ project_id: string }, { keys: JsonWebKey[] }>('GET', '/v1/sessions/jwks/{project_id}'),
  },
  /** Gatehouse additions: API secrets, signing keys, the outbox of unsent email. */
  project: {
    listSecrets: endpoint<Empty, { project_id: string; secrets: { secret_id: string; created_at: string; last_four: string }[] }>('GET', '/v1/project/secrets'),
    createSecret: endpoint<Empty, { project_id: string; secret: { secret_id: string; last_four: string; secret: string; created_at: string } }>('POST', '/v1/project/secrets'),
    revokeSecret: endpoint<{ secret_id: string }, { project_id: string; secret_id: string }>('DELETE', '/v1/project/secrets/{secret_id}'),
    rotateSigningKey: endpoint<Empty, { kid: string; retired_kids: string[] }>('POST', '/v1/project/signing_keys/rotate'),
    outbox: endpoint<{ to?: string; limit?: number }, { transport: string; messages: { message_id: string; to: string; from: string; subject: string; text: string; html: string; kind: string; link: string | null; created_at: string }[] }>('GET', '/v1/project/outbox'),
  },
  rbac: {
    ...policyEndpoints('/v1/rbac'),
    authorize: endpoint<{ user_id: string; authorization_check: Check }, { verdict: Verdict }>('POST', '/v1/rbac/authorize'),
  },
};

type M2MClient = {
  client_id: string;
  client_name: string;
  client_description: string;
  status: 'active' | 'inactive';
  scopes: string[];
  client_secret_last_four: string;
  next_client_secret_last_four?: string;
  trusted_metadata: Metadata;
};
type M2MClientFields = { client_name?: string; client_description?: string; scopes?: string[]; trusted_metadata?: Metadata };
type InClient = { client_id: string };

/** M2M clients (`/v1/m2m/clients`, with the project secret). */
const M2M_CLIENTS = {
  create: endpoint<M2MClientFields & { scopes: string[]; client_id?: string; client_secret?: string }, { m2m_client: M2MClient & { client_secret: string } }>('POST', '/v1/m2m/clients'),
  get: endpoint<InClient, { m2m_client: M2MClient }>('GET', '/v1/m2m/clients/{client_id}'),
  search: endpoint<Search, { m2m_clients: M2MClient[]; results_metadata: ResultsMetadata }>('POST', '/v1/m2m/clients/search'),
  update: endpoint<M2MClientFields & InClient & { status?: 'active' | 'inactive' }, { m2m_client: M2MClient }>('PUT', '/v1/m2m/clients/{client_id}'),
  delete: endpoint<InClient, { client_id: string }>('DELETE', '/v1/m2m/clients/{client_id}'),
  rotateSecretStart: endpoint<InClient, { m2m_client: M2MClient & { next_client_secret: string } }>('POST', '/v1/m2m/clients/{client_id}/secrets/rotate/start'),
  rotateSecret: endpoint<InClient, { m2m_client: M2MClient }>('POST', '/v1/m2m/clients/{client_id}/secrets/rotate'),
  rotateSecretCancel: endpoint<InClient, { m2m_client: M2MClient }>('POST', '/v1/m2m/clients/{client_id}/secrets/rotate/cancel'),
};

const B2B = {
  organizations: {
    create: endpoint<OrganizationFields & { organization_name: string }, { organization: Organization }>('POST', '/v1/b2b/organizations'),
    get: endpoint<InOrg, { organization: Organization }>('GET', '/v1/b2b/organizations/{organization_id}'),
    update: endpoint<OrganizationFields & InOrg, { organization: Organization }>('PUT', '/v1/b2b/organizations/{organization_id}'),
    delete: endpoint<InOrg, { organization_id: string }>('DELETE', '/v1/b2b/organizations/{organization_id}'),
    search: endpoint<Search, { organizations: Organization[]; results_metadata: ResultsMetadata }>('POST', '/v1/b2b/organizations/search'),
    metrics: endpoint<InOrg, { member_count: number }>('GET', '/v1/b2b/organizations/{organization_id}/metrics'),
  },
  members: {
    create: endpoint<MemberFields & InOrg & { email_address: string; create_member_as_pending?: boolean }, MemberResponse>('POST', '/v1/b2b/organizations/{organization_id}/members'),
    get: endpoint<InOrg & { member_id?: string; email_address?: string }, MemberResponse>('GET', '/v1/b2b/organizations/{organization_id}/member'),
    dangerouslyGet: endpoint<{ member_id: string; include_deleted?: boolean }, MemberResponse>('GET', '/v1/b2b/organizations/members/dangerously_get/{member_id}'),
    update: endpoint<MemberFields & InMember & { email_address?: string; preserve_existing_sessions?: boolean }, MemberResponse>('PUT', '/v1/b2b/organizations/{organization_id}/members/{member_id}'),
    delete: endpoint<InMember, { member_id: string }>('DELETE', '/v1/b2b/organizations/{organization_id}/members/{member_id}'),
    reactivate: endpoint<InMember, MemberResponse>('PUT', '/v1/b2b/organizations/{organization_id}/members/{member_id}/reactivate'),
    search: endpoint<Search & { organization_ids: string[] }, { members: Member[]; organizations: Record<string, Organization>; results_metadata: ResultsMetadata }>('POST', '/v1/b2b/organizations/members/search'),
    deletePassword: endpoint<InOrg & { member_password_id: string }, MemberResponse>('DELETE', '/v1/b2b/organizations/{organization_id}/members/passwords/{member_password_id}'),
  },
  sessions: {
    get: endpoint<InOrg & { member_id: string }, { member_sessions: MemberSession[] }>('GET', '/v1/b2b/sessions'),
    authenticate: endpoint<SessionFields & { authorization_check?: MemberCheck }, MemberSessionResponse & { member_session: MemberSession; verdict?: Verdict }>('POST', '/v1/b2b/sessions/authenticate'),
    revoke: endpoint<{ member_session_id?: string; session_token?: string; session_jwt?: string; member_id?: string }, Empty>('POST', '/v1/b2b/sessions/revoke'),
    getJWKS: endpoint<{ project_id: string }, { keys: JsonWebKey[] }>('GET', '/v1/b2b/sessions/jwks/{project_id}'),
  },
  passwords: {
    authenticate: endpoint<SessionFields & InOrg & { email_address: string; password: string }, MemberSessionResponse>('POST', '/v1/b2b/passwords/authenticate'),
    migrate: endpoint<MemberFields & InOrg & { email_address: string; hash: string; hash_type: string; [config: string]: unknown }, MemberResponse & { member_created: boolean }>('POST', '/v1/b2b/passwords/migrate'),
    strengthCheck: endpoint<{ password: string; email_address?: string }, { valid_password: boolean; score: number; breached_password: boolean }>('POST', '/v1/b2b/passwords/strength_check'),
  },
  magicLinks: {
    authenticate: endpoint<SessionFields & { magic_links_token: string; pkce_code_verifier?: string }, MemberSessionResponse & { method_id: string }>('POST', '/v1/b2b/magic_links/authenticate'),
    loginOrSignup: endpoint<InOrg & { email_address: string; login_redirect_url?: string; signup_redirect_url?: string; pkce_code_challenge?: string }, { member_id: string; member_created: boolean; member: Member; organization: Organization }>('POST', '/v1/b2b/magic_links/email/login_or_signup'),
    invite: endpoint<InOrg & { email_address: string; invite_redirect_url?: string; name?: string; roles?: string[]; untrusted_metadata?: Metadata; trusted_metadata?: Metadata }, MemberResponse>('POST', '/v1/b2b/magic_links/email/invite'),
  },
  rbac: {
    ...policyEndpoints('/v1/b2b/rbac'),
    getOrgPolicy: endpoint<InOrg, { org_policy: { roles: Role[] } }>('GET', '/v1/b2b/rbac/organizations/{organization_id}'),
    setOrgPolicy: endpoint<InOrg & { org_policy: { roles: Role[] } }, { org_policy: { roles: Role[] } }>('PUT', '/v1/b2b/rbac/organizations/{organization_id}'),
  },
  sso: {
    getConnections: endpoint<InOrg, { saml_connections: SsoConnection[]; oidc_connections: SsoConnection[] }>('GET', '/v1/b2b/sso/{organization_id}'),
    deleteConnection: endpoint<InConnection, { connection_id: string }>('DELETE', '/v1/b2b/sso/{organization_id}/connections/{connection_id}'),
    createSamlConnection: endpoint<InOrg & { display_name?: string; identity_provider?: string }, ConnectionResponse<'connection'>>('POST', '/v1/b2b/sso/saml/{organization_id}'),
    updateSamlConnection: endpoint<InConnection & Metadata, ConnectionResponse<'connection'>>('PUT', '/v1/b2b/sso/saml/{organization_id}/connections/{connection_id}'),
    updateSamlConnectionByURL: endpoint<InConnection & { metadata_url?: string; metadata_xml?: string }, ConnectionResponse<'connection'>>('PUT', '/v1/b2b/sso/saml/{organization_id}/connections/{connection_id}/url'),
    deleteSamlVerificationCertificate: endpoint<InConnection & { certificate_id: string }, { certificate_id: string }>('DELETE', '/v1/b2b/sso/saml/{organization_id}/connections/{connection_id}/verification_certificates/{certificate_id}'),
    createOidcConnection: endpoint<InOrg & { display_name?: string; identity_provider?: string }, ConnectionResponse<'connection'>>('POST', '/v1/b2b/sso/oidc/{organization_id}'),
    updateOidcConnection: endpoint<InConnection & Metadata, ConnectionResponse<'connection'>>('PUT', '/v1/b2b/sso/oidc/{organization_id}/connections/{connection_id}'),
    authenticate: endpoint<SessionFields & { sso_token: string; pkce_code_verifier?: string }, MemberSessionResponse>('POST', '/v1/b2b/sso/authenticate'),
  },
};

type Bound<T> = { [K in keyof T]: T[K] extends Record<string, (transport: Transport) => unknown> ? { [M in keyof T[K]]: ReturnType<T[K][M]> } : never };

function bindAll<T extends Record<string, Record<string, (transport: Transport) => unknown>>>(transport: Transport, tables: T): Bound<T> {
  return Object.fromEntries(Object.entries(tables).map(([area, table]) => [area, bindEndpoints(transport, table)])) as Bound<T>;
}

export interface GatehouseClientOptions extends GatehouseConfig {
  /** Policy freshness: the change stream, and polling while it is down. */
  policy?: PolicyCacheOptions;
  jwks?: JwksOptions;
  /**
   * `'strict'`: authenticateJwt decides locally only while the change stream is connected (and was
   * when the JWT was issued); otherwise the server decides. Default `'default'` (see Freshness).
   */
  freshness?: Freshness;
  /** How many verified M2M access tokens authenticateM2M remembers (default 10,000; 0: verify the signature every time). */
  m2m_remembered_tokens?: number;
}

/**
 * The backend SDK. `client.sessions.authenticateJwt` (consumer) and
 * `client.b2b.sessions.authenticateJwt` (B2B) verify locally and check locally; every other
 * method is one API call. Call `close()` to stop following the policy change stream.
 */
export class GatehouseClient {
  readonly transport: Transport;
  /** The cached policies, kept current from the server's change stream. */
  readonly policies: PolicyCache;
  readonly users: Bound<typeof CONSUMER>['users'];
  readonly passwords: Bound<typeof CONSUMER>['passwords'];
  readonly magicLinks: Bound<typeof CONSUMER>['magicLinks'];
  readonly sessions: Bound<typeof CONSUMER>['sessions'] & ReturnType<typeof consumerJwtSessions>;
  readonly rbac: Bound<typeof CONSUMER>['rbac'];
  readonly project: Bound<typeof CONSUMER>['project'];
  readonly b2b: Omit<Bound<typeof B2B>, 'sessions'> & { sessions: Bound<typeof B2B>['sessions'] & ReturnType<typeof b2bJwtSessions> };
  /** M2M clients, and a client's token request (with its own credentials, never the project secret). */
  readonly m2m: { clients: Bound<{ clients: typeof M2M_CLIENTS }>['clients']; token: M2MVerifier['token'] };
  readonly #m2m: M2MVerifier;

  constructor(options: GatehouseClientOptions) {
    this.transport = new Transport(options);
    this.policies = new PolicyCache(this.transport, options.policy);
    const consumer = bindAll(this.transport, CONSUMER);
    const b2b = bindAll(this.transport, B2B);
    this.users = consumer.users;
    this.passwords = consumer.passwords;
    this.magicLinks = consumer.magicLinks;
    this.rbac = consumer.rbac;
    this.project = consumer.project;
    const consumerVerifier = new JwtVerifier(this.transport, this.policies, 'consumer', options.jwks, options.freshness);
    this.sessions = { ...consumer.sessions, ...consumerJwtSessions(consumerVerifier) };
    // The session JWTs' key set: M2M tokens are signed with the same project keys.
    this.#m2m = new M2MVerifier(this.transport, this.policies, consumerVerifier.keys, options.m2m_remembered_tokens);
    this.m2m = { clients: bindAll(this.transport, { clients: M2M_CLIENTS }).clients, token: (input) => this.#m2m.token(input) };
    this.b2b = { ...b2b, sessions: { ...b2b.sessions, ...b2bJwtSessions(new JwtVerifier(this.transport, this.policies, 'b2b', options.jwks, options.freshness)) } };
  }

  /**
   * Verifies an M2M access token locally (signature against the cached JWKS, iss, aud, exp) and,
   * when asked, checks `required_scopes` (Stytch's rule) and an `authorization_check` against the
   * policy's `scopes` with @gatehouse/policy. Throws a GatehouseClientError when refused.
   */
  authenticateM2M(accessToken: string, options?: AuthenticateM2MOptions): Promise<AuthenticateM2MResult> {
    return this.#m2m.authenticate(accessToken, options);
  }

  close(): void {
    this.policies.close();
  }
}
