// OAuth sign-in (Google, Microsoft, GitHub) for consumer users, B2B members and B2B discovery:
//   start     — the browser comes with the public token; the redirect URLs are settled against the
//               registered ones; a flow row keeps the hashed state, the nonce and the PKCE verifier
//               sent to the provider, and the application's own PKCE challenge; 302 to the provider.
//   callback  — the provider sends the browser back: the state is spent (once, 10 minutes), the code
//               exchanged and the identity read (protocol.ts); the account is found, linked or made;
//               302 to the application with stytch_token_type=oauth (discovery_oauth) and a one-time token.
//   authenticate — the application spends that token (with its PKCE verifier) for a session, a
//               member session, or an intermediate session and the organizations it discovers.
// The linking rule: an existing user or member is signed in by an email match only when the provider
// says the address is verified; an unverified address never links, never creates an account with that
// address, never joins an organization and never discovers one. Only the provider's own subject,
// once registered, signs in regardless.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { environmentOfProject } from '@gatehouse/contracts';
import { systemActor } from '../audit/log.ts';
import type { Clock } from '../shared/clock.ts';
import type { Environment, ServerConfig } from '../shared/config.ts';
import { GatehouseError, isGatehouseError } from '../shared/errors.ts';
import type { OutboundFetch } from '../shared/outbound-fetch.ts';
import type { DiscoveredOrganization, DiscoveryService } from '../discovery/service.ts';
import { checkJoinByEmail } from '../magic-links/b2b-service.ts';
import type { MemberSignIn, MemberSignInInput } from '../sessions/member-sign-in.ts';
import { findEmailOwner } from '../magic-links/service.ts';
import { checkCodeChallenge, checkPkce } from '../magic-links/tokens.ts';
import { acceptVerifiedEmailUnlessDeleted } from '../members/repository.ts';
import type { MemberRecord, MemberService } from '../members/service.ts';
import type { OrganizationRecord, OrganizationService } from '../organizations/service.ts';
import { REDIRECT_URL_FIELDS, type RedirectUrlService } from '../redirect-urls/service.ts';
import { oauthFactor } from '../sessions/factors.ts';
import type { SessionGrant, SessionInput, SessionService } from '../sessions/service.ts';
import type { ChangeFeed } from '../store/change-feed.ts';
import type { SqlExecutor } from '../store/database.ts';
import { activateByVerifiedEmail, markAllVerified } from '../users/repository.ts';
import type { UserService } from '../users/service.ts';
import { authorizationUrl, callbackCode, completeSignIn, oauthCallbackUrl, type OAuthIdentity } from './protocol.ts';
import { checkProviderName, type OAuthProviderName, type OAuthProviders } from './providers.ts';

const FLOW_MINUTES = 10;
const TOKEN_MINUTES = 10;
const PURGE_BATCH = 100;

export type OAuthFlowKind = 'consumer' | 'b2b' | 'discovery';

export interface OAuthStartQuery {
  public_token: string;
  login_redirect_url?: string;
  signup_redirect_url?: string;
  discovery_redirect_url?: string;
  /** Consumer: code_challenge; B2B: pkce_code_challenge. */
  code_challenge?: string;
  pkce_code_challenge?: string;
  organization_id?: string;
  slug?: string;
}

interface FlowRow {
  project_id: string;
  provider: OAuthProviderName;
  kind: OAuthFlowKind;
  organization_id: string | null;
  nonce: string;
  code_verifier: string;
  login_redirect_url: string;
  signup_redirect_url: string;
  pkce_code_challenge: string | null;
}

export interface OAuthTokenRow {
  token_hash: Buffer;
  project_id: string;
  kind: OAuthFlowKind;
  provider: OAuthProviderName;
  provider_subject: string;
  email_address: string;
  full_name: string;
  tenant_id: string;
  registration_id: string | null;
  user_id: string | null;
  member_id: string | null;
  pkce_code_challenge: string | null;
}

/** A registration as Stytch lists it on a user (providers) or a member (oauth_registrations). */
export interface OAuthRegistration {
  registration_id: string;
  provider: OAuthProviderName;
  provider_subject: string;
}

export interface OAuthDeps {
  db: SqlExecutor;
  feed: ChangeFeed;
  clock: Clock;
  config: ServerConfig;
  outbound: OutboundFetch;
  providers: OAuthProviders;
  redirectUrls: RedirectUrlService;
  users: UserService;
  members: MemberService;
  organizations: OrganizationService;
  sessions: SessionService;
  discovery: DiscoveryService;
}

const sha256 = (value: string) => createHash('sha256').update(value).digest();
const random = () => randomBytes(32).toString('base64url');

export class OAuthService {
  readonly #deps: OAuthDeps;

  constructor(deps: OAuthDeps) {
    this.#deps = deps;
  }

  /** Where to send the browser: the provider's authorization URL for a new flow. */
  async start(kind: OAuthFlowKind, providerName: string, query: OAuthStartQuery): Promise<string> {
    const { db, providers, redirectUrls, clock, config } = this.#deps;
    const provider = checkProviderName(providerName);
    const { rows } = await db.query<{ project_id: string }>('SELECT project_id FROM projects WHERE public_token = $1', [query.public_token]);
    const projectId = rows[0]?.project_id;
    if (!projectId) throw new GatehouseError('oauth_public_token_invalid');
    const client = await providers.client(projectId, provider);
    let organizationId: string | null = null;
    if (kind === 'b2b') {
      // The organization's rules (allowed_auth_methods, MFA) are the sign-in decision's, at authenticate.
      organizationId = (await this.#organizationOf(projectId, query)).organization_id;
    }
    let login: string;
    let signup: string;
    if (kind === 'discovery') {
      login = signup = await redirectUrls.resolve(projectId, 'DISCOVERY', query.discovery_redirect_url, REDIRECT_URL_FIELDS.discovery_redirect_url);
    } else {
      login = await redirectUrls.resolve(projectId, 'LOGIN', query.login_redirect_url, REDIRECT_URL_FIELDS.login_redirect_url);
      signup = await redirectUrls.resolve(projectId, 'SIGNUP', query.signup_redirect_url, REDIRECT_URL_FIELDS.signup_redirect_url);
    }
    const challenge = checkCodeChallenge(kind === 'consumer' ? query.code_challenge : query.pkce_code_challenge) ?? null;
    const state = random();
    const nonce = random();
    const codeVerifier = random();
    const now = clock.now();
    await db.query('DELETE FROM oauth_flows WHERE state_hash IN (SELECT state_hash FROM oauth_flows WHERE expires_at <= $1 LIMIT $2)', [now, PURGE_BATCH]);
    await db.query(
      `INSERT INTO oauth_flows (state_hash, project_id, provider, kind, organization_id, nonce, code_verifier, login_redirect_url,
                                signup_redirect_url, pkce_code_challenge, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [sha256(state), projectId, provider, kind, organizationId, nonce, codeVerifier, login, signup, challenge, now, new Date(now.getTime() + FLOW_MINUTES * 60_000)],
    );
    return authorizationUrl(client, oauthCallbackUrl(config.publicUrl, provider), {
      state, nonce, code_challenge: createHash('sha256').update(codeVerifier).digest('base64url'),
    });
  }

  /** The provider's redirect back: spends the flow, reads the identity, finds or makes the account; where to send the browser. */
  async callback(providerName: string, params: URLSearchParams): Promise<string> {
    const { db, clock, providers, outbound, config } = this.#deps;
    const provider = checkProviderName(providerName);
    const state = params.get('state');
    if (!state) throw new GatehouseError('oauth_state_mismatch');
    const now = clock.now();
    const { rows } = await db.query<FlowRow>(
      `UPDATE oauth_flows SET used_at = $2 WHERE state_hash = $1 AND provider = $3 AND used_at IS NULL AND expires_at > $2
       RETURNING project_id, provider, kind, organization_id, nonce, code_verifier, login_redirect_url, signup_redirect_url, pkce_code_challenge`,
      [sha256(state), now, provider],
    );
    const flow = rows[0];
    if (!flow) throw new GatehouseError('oauth_state_mismatch');
    const code = callbackCode(params);
    const client = await providers.client(flow.project_id, provider);
    const identity = await completeSignIn(client, outbound, oauthCallbackUrl(config.publicUrl, provider), code, flow);
    const account =
      flow.kind === 'consumer' ? await this.#userAccount(flow, identity)
      : flow.kind === 'b2b' ? await this.#memberAccount(flow, identity)
      : this.#discoveryProof(identity);
    const token = random();
    // Tokens nobody exchanged would stay forever: each sign-in deletes a bounded batch of expired ones.
    await db.query('DELETE FROM oauth_tokens WHERE token_hash IN (SELECT token_hash FROM oauth_tokens WHERE expires_at <= $1 LIMIT $2)', [now, PURGE_BATCH]);
    await db.query(
      `INSERT INTO oauth_tokens (token_hash, project_id, kind, provider, provider_subject, email_address, full_name, tenant_id, registration_id,
                                 user_id, member_id, pkce_code_challenge, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
      [sha256(token), flow.project_id, flow.kind, provider, identity.provider_subject, identity.email, identity.name, identity.tenant_id,
        account.registration_id, account.user_id, account.member_id, flow.pkce_code_challenge, now, new Date(now.getTime() + TOKEN_MINUTES * 60_000)],
    );
    const back = new URL(account.created ? flow.signup_redirect_url : flow.login_redirect_url);
    back.searchParams.set('stytch_token_type', flow.kind === 'discovery' ? 'discovery_oauth' : 'oauth');
    back.searchParams.set('token', token);
    return back.toString();
  }

  /** /v1/oauth/authenticate: the token becomes a session (or, without a duration, just the user). */
  async authenticateUser(projectId: string, environment: Environment, input: SessionInput & { token: string; code_verifier?: string }): Promise<{ grant: SessionGrant; row: OAuthTokenRow }> {
    const { users, sessions, clock } = this.#deps;
    const row = await this.#checkToken(projectId, input.token, 'consumer');
    checkPkce(row.pkce_code_challenge, input.code_verifier);
    const user = await users.findUser(projectId, row.user_id!);
    if (!user) throw new GatehouseError('oauth_account_gone');
    const email = user.emails.find((entry) => entry.email.toLowerCase() === row.email_address.toLowerCase());
    const factor = oauthFactor(row.provider, row.registration_id!, row.provider_subject, email?.email_id ?? '', clock.now());
    const grant = await this.#spendThen(row, () => sessions.grant(projectId, environment, user, factor, input));
    return { grant, row };
  }

  /**
   * /v1/b2b/oauth/authenticate: the token goes through the B2B sign-in decision (sessions/member-sign-in.ts)
   * in the flow's organization: a member session, or an intermediate session with primary_required /
   * mfa_required. An intermediate session from an earlier step adds its factors.
   */
  async authenticateMember(projectId: string, environment: Environment, input: MemberSignInInput & { oauth_token: string; pkce_code_verifier?: string }): Promise<{ grant: MemberSignIn; row: OAuthTokenRow }> {
    const { members, organizations, sessions, clock } = this.#deps;
    const row = await this.#checkToken(projectId, input.oauth_token, 'b2b');
    checkPkce(row.pkce_code_challenge, input.pkce_code_verifier);
    const member = await members.findMember(projectId, row.member_id!);
    if (!member || member.status === 'deleted') throw new GatehouseError('oauth_account_gone');
    const organization = await organizations.requireOrganization(projectId, member.organization_id);
    const factor = oauthFactor(row.provider, row.registration_id!, row.provider_subject, member.member_id, clock.now());
    const { session_token, session_jwt, session_duration_minutes, session_custom_claims, intermediate_session_token, callerAttributes } = input;
    // The one place an OAuth sign-in grants a member session: the sign-in decision.
    const grant = await this.#spendThen(row, () => sessions.grantMember(projectId, environment, member, organization, factor, {
      session_token, session_jwt, session_duration_minutes, session_custom_claims, intermediate_session_token, callerAttributes,
    }));
    return { grant, row };
  }

  /** /v1/b2b/oauth/discovery/authenticate: the verified address becomes an intermediate session and the organizations it discovers. */
  async authenticateDiscovery(projectId: string, input: { discovery_oauth_token: string; pkce_code_verifier?: string }): Promise<{ intermediate: { token: string; expiresAt: Date }; discovered: DiscoveredOrganization[]; row: OAuthTokenRow }> {
    const { discovery, feed, clock } = this.#deps;
    const row = await this.#checkToken(projectId, input.discovery_oauth_token, 'discovery');
    checkPkce(row.pkce_code_challenge, input.pkce_code_verifier);
    const factor = oauthFactor(row.provider, '', row.provider_subject, '', clock.now());
    const result = await discovery.startIntermediateSession(projectId, row.email_address, factor, (issue) => feed.write(async (tx) => {
      await this.#spend(tx, row);
      return issue(tx);
    }));
    return { intermediate: result.intermediate, discovered: result.discovered, row };
  }

  /** The user's or member's registrations, for the `providers` / `oauth_registrations` of a response. */
  async registrationsOf(owner: { user_id: string } | { member_id: string }): Promise<OAuthRegistration[]> {
    const [column, id] = 'user_id' in owner ? ['user_id', owner.user_id] : ['member_id', owner.member_id];
    const { rows } = await this.#deps.db.query<OAuthRegistration>(
      `SELECT registration_id, provider, provider_subject FROM oauth_registrations WHERE ${column} = $1 ORDER BY created_at, registration_id`, [id]);
    return rows;
  }

  async #organizationOf(projectId: string, query: OAuthStartQuery): Promise<OrganizationRecord> {
    const { db, organizations } = this.#deps;
    if (query.organization_id) return organizations.requireOrganization(projectId, query.organization_id);
    if (!query.slug) throw new GatehouseError('oauth_organization_required');
    const { rows } = await db.query<{ organization_id: string }>('SELECT organization_id FROM organizations WHERE project_id = $1 AND organization_slug = $2', [projectId, query.slug]);
    if (!rows[0]) throw new GatehouseError('organization_not_found', { params: { organization_id: query.slug.slice(0, 128) } });
    return organizations.requireOrganization(projectId, rows[0].organization_id);
  }

  async #checkToken(projectId: string, token: string, kind: OAuthFlowKind): Promise<OAuthTokenRow> {
    const { rows } = await this.#deps.db.query<OAuthTokenRow & { expires_at: Date; used_at: Date | null }>(
      'SELECT * FROM oauth_tokens WHERE token_hash = $1 AND project_id = $2 AND kind = $3', [sha256(token), projectId, kind]);
    const row = rows[0];
    if (!row || row.used_at || row.expires_at.getTime() <= this.#deps.clock.now().getTime()) throw new GatehouseError('oauth_token_not_found');
    return row;
  }

  async #spend(tx: SqlExecutor, row: OAuthTokenRow): Promise<Date> {
    const now = this.#deps.clock.now();
    const { rowCount } = await tx.query('UPDATE oauth_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2', [row.token_hash, now]);
    if (rowCount === 0) throw new GatehouseError('oauth_token_not_found');
    return now;
  }

  /** Spends the token, then grants; a refused grant (a bad session field) puts the token back. */
  async #spendThen<T>(row: OAuthTokenRow, grant: () => Promise<T>): Promise<T> {
    const usedAt = await this.#spend(this.#deps.db, row);
    try {
      return await grant();
    } catch (error) {
      await this.#deps.db.query('UPDATE oauth_tokens SET used_at = NULL WHERE token_hash = $1 AND used_at = $2', [row.token_hash, usedAt]);
      throw error;
    }
  }

  /** The consumer user: by its registration; else by a verified address (linked); else a new user with a verified address. */
  async #userAccount(flow: FlowRow, identity: OAuthIdentity): Promise<Account> {
    const { db, feed, users, clock } = this.#deps;
    const projectId = flow.project_id;
    const { rows } = await db.query<{ registration_id: string; user_id: string }>(
      'SELECT registration_id, user_id FROM oauth_registrations WHERE project_id = $1 AND provider = $2 AND provider_subject = $3 AND user_id IS NOT NULL',
      [projectId, flow.provider, identity.provider_subject]);
    if (rows[0]) return { ...rows[0], member_id: null, created: false };
    if (!identity.email_verified) throw new GatehouseError('oauth_email_not_verified');
    const registrationId = `oauth-user-registration-${environmentOfProject(projectId)}-${randomUUID()}`;
    const register = (tx: SqlExecutor, userId: string) => tx.query(
      `INSERT INTO oauth_registrations (registration_id, project_id, provider, provider_subject, user_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
      [registrationId, projectId, flow.provider, identity.provider_subject, userId, clock.now()]);
    const link = async (owner: { user_id: string; email_id: string }) => {
      await feed.write(async (tx, emit) => {
        await register(tx, owner.user_id);
        // The provider proved the address: verified, and a pending user is active.
        await activateByVerifiedEmail(tx, owner.user_id, owner.email_id, clock.now());
        emit({ type: 'user', project_id: projectId, user_id: owner.user_id });
      });
      return { registration_id: registrationId, user_id: owner.user_id, member_id: null, created: false };
    };
    const owner = await findEmailOwner(db, projectId, identity.email);
    if (owner) return link(owner);
    try {
      const user = await users.createUser(projectId, environmentOfProject(projectId), { email: identity.email }, systemActor('oauth'), async (tx, userId) => {
        await markAllVerified(tx, userId, { emails: true, phoneNumbers: false });
        await register(tx, userId);
      });
      return { registration_id: registrationId, user_id: user.user_id, member_id: null, created: true };
    } catch (error) {
      if (!isGatehouseError(error, 'duplicate_email')) throw error;
      const created = await findEmailOwner(db, projectId, identity.email);
      if (!created) throw error;
      return link(created);
    }
  }

  /** The member of the flow's organization: by registration; else by a verified address (linked); else JIT by email domain with a verified address. */
  async #memberAccount(flow: FlowRow, identity: OAuthIdentity): Promise<Account> {
    const { db, members, organizations, clock } = this.#deps;
    const projectId = flow.project_id;
    const organization = await organizations.requireOrganization(projectId, flow.organization_id!);
    const { rows } = await db.query<{ registration_id: string; member_id: string }>(
      'SELECT registration_id, member_id FROM oauth_registrations WHERE organization_id = $1 AND provider = $2 AND provider_subject = $3 AND member_id IS NOT NULL',
      [organization.organization_id, flow.provider, identity.provider_subject]);
    if (rows[0]) return { ...rows[0], user_id: null, created: false };
    if (!identity.email_verified) throw new GatehouseError('oauth_email_not_verified');
    const registrationId = `oauth-member-registration-${environmentOfProject(projectId)}-${randomUUID()}`;
    const register = (tx: SqlExecutor, memberId: string) => tx.query(
      `INSERT INTO oauth_registrations (registration_id, project_id, provider, provider_subject, member_id, organization_id, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [registrationId, projectId, flow.provider, identity.provider_subject, memberId, organization.organization_id, clock.now()]);
    const existing = await members.findByEmail(projectId, organization.organization_id, identity.email);
    if (existing) return this.#linkMember(existing, organization, registrationId, register);
    checkJoinByEmail(organization, identity.email);
    try {
      const member = await members.createMember(projectId, environmentOfProject(projectId), organization.organization_id,
        { email_address: identity.email, name: identity.name.slice(0, 128), status: 'active', email_address_verified: true }, systemActor('oauth.jit'),
        async (tx, memberId) => { await register(tx, memberId); });
      return { registration_id: registrationId, member_id: member.member_id, user_id: null, created: true };
    } catch (error) {
      if (!isGatehouseError(error, 'duplicate_member_email')) throw error;
      const created = await members.findByEmail(projectId, organization.organization_id, identity.email);
      if (!created) throw error;
      return this.#linkMember(created, organization, registrationId, register);
    }
  }

  async #linkMember(member: MemberRecord, organization: OrganizationRecord, registrationId: string, register: (tx: SqlExecutor, memberId: string) => Promise<unknown>): Promise<Account> {
    const { feed, members, clock } = this.#deps;
    if (member.status === 'deleted') throw new GatehouseError('member_deleted');
    await feed.write(async (tx, emit) => {
      await register(tx, member.member_id);
      if (member.email_address_verified && member.status === 'active') return;
      // The provider proved the address: an invited or pending member accepts, its address verified.
      await acceptVerifiedEmailUnlessDeleted(tx, member.member_id, clock.now());
      await members.recordVerification(tx, { project_id: member.project_id, organization_id: organization.organization_id, member_id: member.member_id, email_verified: member.email_address_verified, status: member.status });
      emit({ type: 'member', project_id: member.project_id, organization_id: organization.organization_id, member_id: member.member_id });
    });
    return { registration_id: registrationId, member_id: member.member_id, user_id: null, created: false };
  }

  /** Discovery needs no account yet: only a verified address may discover organizations. */
  #discoveryProof(identity: OAuthIdentity): Account {
    if (!identity.email_verified) throw new GatehouseError('oauth_email_not_verified');
    return { registration_id: null, user_id: null, member_id: null, created: false };
  }
}

interface Account {
  registration_id: string | null;
  user_id: string | null;
  member_id: string | null;
  /** A new account: the signup redirect URL. */
  created: boolean;
}
