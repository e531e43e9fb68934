// SSO sign-in: start (send the browser to the IdP with a state we can check), finish (the SAML ACS
// or the OIDC callback verifies the IdP's answer, finds or creates the member, records its groups
// and hands the browser a one-time token), and authenticate (the application exchanges that token
// for a member session). Every refusal happens before anything is written.
import { environmentOfProject } from '@gatehouse/contracts';
import { systemActor, type AuditLog } from '../audit/log.ts';
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../shared/clock.ts';
import type { ServerConfig } from '../shared/config.ts';
import { GatehouseError } from '../shared/errors.ts';
import { ssoFactor } from '../sessions/factors.ts';
import { checkCodeChallenge, checkPkce, tokenLink } from '../magic-links/tokens.ts';
import { REDIRECT_URL_FIELDS, type RedirectUrlService } from '../redirect-urls/service.ts';
import type { MemberRecord, MemberService } from '../members/service.ts';
import { acceptSsoSignIn } from '../members/repository.ts';
import { emailDomain, type OrganizationRecord, type OrganizationService } from '../organizations/service.ts';
import type { ProjectService } from '../projects/service.ts';
import type { MemberSignIn, MemberSignInInput, SessionService } from '../sessions/service.ts';
import type { OutboundFetch } from '../shared/outbound-fetch.ts';
import type { ChangeFeed } from '../store/change-feed.ts';
import type { SqlExecutor } from '../store/database.ts';
import { isComplete, type ExternalSettings, type OidcSettings, type ProtocolKind, type SamlSettings, type SsoConnectionRecord, type SsoConnectionService } from './connections.ts';
import { isVerifiedDomain, type SsoMemberLinks } from './member-links.ts';
import { completeOidcCallback, oidcAuthorizationUrl } from './oidc.ts';
import { samlLoginRedirect, validateSamlResponse } from './saml.ts';

const FLOW_MINUTES = 10;
const TOKEN_MINUTES = 10;
/** Expired flows deleted per start: more than a start can add, so the table cannot grow past what is live. */
const PURGE_BATCH = 100;

/** Who the IdP says signed in. */
export interface SsoIdentity {
  external_id: string;
  email: string;
  /** Whether the IdP vouches for the address: OIDC's email_verified claim; a SAML assertion's address counts as the IdP's word. */
  email_verified: boolean;
  name: string;
  groups: string[];
  attributes: Record<string, unknown>;
}

interface FlowRow {
  connection_id: string;
  project_id: string;
  request_id: string | null;
  nonce: string | null;
  code_verifier: string | null;
  login_redirect_url: string;
  signup_redirect_url: string;
  pkce_code_challenge: string | null;
}

export interface StartInput {
  connection_id: string;
  public_token: string;
  login_redirect_url?: string;
  signup_redirect_url?: string;
  pkce_code_challenge?: string;
}

const sha256 = (value: string) => createHash('sha256').update(value).digest();
const random = () => randomBytes(32).toString('base64url');

export class SsoFlows {
  readonly #db: SqlExecutor;
  readonly #feed: ChangeFeed;
  readonly #connections: SsoConnectionService;
  readonly #organizations: OrganizationService;
  readonly #members: MemberService;
  readonly #sessions: SessionService;
  readonly #projects: ProjectService;
  readonly #config: ServerConfig;
  readonly #clock: Clock;
  readonly #audit: AuditLog;
  readonly #outbound: OutboundFetch;
  readonly #links: SsoMemberLinks;
  readonly #redirectUrls: RedirectUrlService;

  constructor(deps: {
    db: SqlExecutor;
    feed: ChangeFeed;
    connections: SsoConnectionService;
    organizations: OrganizationService;
    members: MemberService;
    sessions: SessionService;
    projects: ProjectService;
    config: ServerConfig;
    clock: Clock;
    audit: AuditLog;
    outbound: OutboundFetch;
    links: SsoMemberLinks;
    redirectUrls: RedirectUrlService;
  }) {
    this.#db = deps.db;
    this.#feed = deps.feed;
    this.#connections = deps.connections;
    this.#organizations = deps.organizations;
    this.#members = deps.members;
    this.#sessions = deps.sessions;
    this.#projects = deps.projects;
    this.#config = deps.config;
    this.#clock = deps.clock;
    this.#audit = deps.audit;
    this.#outbound = deps.outbound;
    this.#links = deps.links;
    this.#redirectUrls = deps.redirectUrls;
  }

  /** Where to send the browser to sign in through the connection. */
  async start(input: StartInput): Promise<string> {
    const connection = await this.#connections.find(input.connection_id);
    const project = connection ? await this.#projects.findProject(connection.project_id) : null;
    // An unknown connection and another project's public token look the same.
    if (!connection || !project || project.public_token !== input.public_token) {
      throw new GatehouseError('sso_connection_not_found_for_public_token');
    }
    // An external connection signs in through its source's IdP (and lands the person in its own organization).
    const protocol = await this.#protocol(connection);
    if (!protocol || connection.status !== 'active' || protocol.status !== 'active' || !isComplete(protocol)) {
      throw new GatehouseError('sso_connection_not_active');
    }
    // Registered URLs only (the given ones, or the project's defaults), settled before the IdP is involved.
    const loginRedirectUrl = await this.#redirectUrls.resolve(connection.project_id, 'LOGIN', input.login_redirect_url, REDIRECT_URL_FIELDS.sso_login_redirect_url);
    const signupRedirectUrl = await this.#redirectUrls.resolve(connection.project_id, 'SIGNUP', input.signup_redirect_url, REDIRECT_URL_FIELDS.sso_signup_redirect_url);
    const pkceChallenge = checkCodeChallenge(input.pkce_code_challenge);

    const state = random();
    const publicUrl = this.#config.publicUrl;
    let url: string;
    let requestId: string | null = null;
    let nonce: string | null = null;
    let codeVerifier: string | null = null;
    if (protocol.kind === 'saml') {
      const redirect = await samlLoginRedirect({ connection_id: protocol.connection_id, ...(protocol.config as SamlSettings) }, publicUrl, state);
      url = redirect.url;
      requestId = redirect.request_id;
    } else {
      nonce = random();
      codeVerifier = random();
      const codeChallenge = createHash('sha256').update(codeVerifier).digest('base64url');
      url = await oidcAuthorizationUrl({ connection_id: protocol.connection_id, ...(protocol.config as OidcSettings) }, publicUrl, { state, nonce, code_challenge: codeChallenge }, this.#outbound);
    }
    const now = this.#clock.now();
    // Flows nobody finished would stay forever: each start deletes a bounded batch of expired ones.
    await this.#db.query(
      'DELETE FROM sso_flows WHERE state_hash IN (SELECT state_hash FROM sso_flows WHERE expires_at <= $1 LIMIT $2)', [now, PURGE_BATCH]);
    await this.#db.query(
      `INSERT INTO sso_flows (state_hash, connection_id, project_id, request_id, nonce, code_verifier, login_redirect_url,
                              signup_redirect_url, pkce_code_challenge, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [sha256(state), connection.connection_id, connection.project_id, requestId, nonce, codeVerifier, loginRedirectUrl,
        signupRedirectUrl, pkceChallenge ?? null, now, new Date(now.getTime() + FLOW_MINUTES * 60_000)],
    );
    return url;
  }

  /** The SAML ACS: verifies the response to a request we made, then finishes the sign-in. */
  async finishSaml(connectionId: string, samlResponse: string | undefined, relayState: string | undefined): Promise<string> {
    if (!samlResponse || !relayState) {
      throw new GatehouseError('saml_post_incomplete');
    }
    const { flow, connection, protocol } = await this.#flow(connectionId, relayState, 'saml');
    const config = { connection_id: connectionId, ...(protocol.config as SamlSettings) };
    const identity = await validateSamlResponse(config, this.#config.publicUrl, samlResponse, flow.request_id ?? '', this.#clock.now());
    return this.#finish(connection, flow, { ...identity, email_verified: true }, async (tx) => {
      // An assertion is good once: kept until it expires, a second use is refused.
      await tx.query('DELETE FROM saml_assertions_seen WHERE expires_at < $1', [this.#clock.now()]);
      const { rowCount } = await tx.query(
        'INSERT INTO saml_assertions_seen (connection_id, assertion_id, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
        [connectionId, identity.assertion_id, identity.expires_at],
      );
      if (rowCount === 0) throw new GatehouseError('saml_assertion_replayed');
    });
  }

  /** The OIDC callback: exchanges the code (state, nonce and PKCE checked), then finishes the sign-in. */
  async finishOidc(callbackUrl: URL): Promise<string> {
    const state = callbackUrl.searchParams.get('state');
    if (!state) throw new GatehouseError('oidc_state_missing');
    const { flow, connection, protocol } = await this.#flow(null, state, 'oidc');
    const config = { connection_id: protocol.connection_id, ...(protocol.config as OidcSettings) };
    const identity = await completeOidcCallback(config, this.#config.publicUrl, callbackUrl, {
      state,
      nonce: flow.nonce ?? '',
      code_verifier: flow.code_verifier ?? '',
    }, { outbound: this.#outbound });
    return this.#finish(connection, flow, { ...identity, attributes: identity.claims });
  }

  /** /v1/b2b/sso/authenticate: spends the one-time token and starts (or adds to) a member session. */
  async authenticate(projectId: string, environment: 'test' | 'live', input: MemberSignInInput & { sso_token: string; pkce_code_verifier?: string }): Promise<MemberSignIn> {
    const { rows } = await this.#db.query<{ member_id: string; connection_id: string; external_id: string; pkce_code_challenge: string | null; expires_at: Date; used_at: Date | null }>(
      'SELECT member_id, connection_id, external_id, pkce_code_challenge, expires_at, used_at FROM sso_tokens WHERE token_hash = $1 AND project_id = $2',
      [sha256(input.sso_token), projectId],
    );
    const token = rows[0];
    const now = this.#clock.now();
    if (!token || token.used_at || token.expires_at.getTime() <= now.getTime()) {
      throw new GatehouseError('sso_token_not_found');
    }
    checkPkce(token.pkce_code_challenge, input.pkce_code_verifier);
    const member = await this.#members.findMember(projectId, token.member_id);
    const connection = await this.#connections.find(token.connection_id);
    if (!member || member.status === 'deleted' || !connection) throw new GatehouseError('sso_token_not_found');
    const registration = member.sso_registrations.find((r) => r.connection_id === connection.connection_id);
    if (!registration) throw new GatehouseError('sso_member_registration_gone');
    // Spent atomically: of two requests with one token, one wins.
    const spent = await this.#db.query('UPDATE sso_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL', [sha256(input.sso_token), now]);
    if (spent.rowCount === 0) throw new GatehouseError('sso_token_not_found');
    const organization = await this.#organizations.requireOrganization(projectId, member.organization_id);
    const protocol = await this.#protocol(connection);
    if (!protocol) throw new GatehouseError('sso_token_not_found');
    const factor = ssoFactor(protocol.kind as ProtocolKind, registration.registration_id, connection.connection_id, token.external_id, now);
    try {
      return await this.#sessions.grantMember(projectId, environment, member, organization, factor, input);
    } catch (error) {
      // Refused (a wrong intermediate session, say): the token is good again until it expires.
      await this.#db.query('UPDATE sso_tokens SET used_at = NULL WHERE token_hash = $1 AND used_at = $2', [sha256(input.sso_token), now]);
      throw error;
    }
  }

  /** Takes the flow a state names (once), with its connection. */
  async #flow(connectionId: string | null, state: string, kind: 'saml' | 'oidc') {
    const now = this.#clock.now();
    const { rows } = await this.#db.query<FlowRow>(
      `UPDATE sso_flows SET used_at = $2 WHERE state_hash = $1 AND used_at IS NULL AND expires_at > $2
       RETURNING connection_id, project_id, request_id, nonce, code_verifier, login_redirect_url, signup_redirect_url, pkce_code_challenge`,
      [sha256(state), now],
    );
    const flow = rows[0];
    const connection = flow ? await this.#connections.find(flow.connection_id) : null;
    const protocol = connection ? await this.#protocol(connection) : null;
    if (!flow || !connection || !protocol || protocol.kind !== kind || (connectionId !== null && protocol.connection_id !== connectionId)) {
      throw new GatehouseError(kind === 'saml' ? 'sso_flow_not_found_saml' : 'sso_flow_not_found_oidc');
    }
    return { flow, connection, protocol };
  }

  /** The connection whose IdP a sign-in talks to: the connection itself, or an external connection's source. */
  async #protocol(connection: SsoConnectionRecord): Promise<SsoConnectionRecord | null> {
    if (connection.kind !== 'external') return connection;
    const source = await this.#connections.find((connection.config as ExternalSettings).external_connection_id);
    return source && source.project_id === connection.project_id && source.kind !== 'external' ? source : null;
  }

  /**
   * Finds the member (by registration, then by email in the organization — only where the
   * connection may link it, see #memberByEmail) or creates it just in time when the organization
   * allows it, records the groups of this sign-in, and returns where to
   * send the browser with a one-time token — all in one transaction.
   */
  async #finish(connection: SsoConnectionRecord, flow: FlowRow, identity: SsoIdentity, within?: (tx: SqlExecutor) => Promise<void>): Promise<string> {
    const projectId = connection.project_id;
    const organization = await this.#organizations.requireOrganization(projectId, connection.organization_id);
    const environment = environmentOfProject(projectId);
    const email = identity.email.trim();
    const existing = (await this.#registeredMember(connection, identity.external_id)) ?? (await this.#memberByEmail(connection, identity, email));
    if (!existing && !jitAllowed(organization, connection.connection_id, email, identity.email_verified)) {
      throw new GatehouseError('sso_jit_provisioning_not_allowed');
    }
    if (existing?.status === 'deleted') throw new GatehouseError('member_deleted');
    // The address counts as verified only where the organization vouches for the domain at this connection.
    const emailVerified = identity.email_verified && isVerifiedDomain(connection, email);

    const token = random();
    const now = this.#clock.now();
    const register = async (tx: SqlExecutor, memberId: string) => {
      await within?.(tx);
      // The IdP's groups drive group role rules: a sign-in that changes them is in the audit log.
      const { rows: previous } = await tx.query<{ groups: string[] }>(
        'SELECT groups FROM sso_registrations WHERE member_id = $1 AND connection_id = $2 FOR UPDATE', [memberId, connection.connection_id]);
      const before = previous[0] ? { connection_id: connection.connection_id, groups: previous[0].groups } : null;
      if (!before || before.groups.join('\n') !== identity.groups.join('\n')) {
        await this.#audit.record(tx, {
          project_id: projectId, actor: systemActor(`sso.${connection.kind}`), action: 'member.sso_groups.updated', target_type: 'member',
          target_id: memberId, organization_id: organization.organization_id, before, after: { connection_id: connection.connection_id, groups: identity.groups },
        });
      }
      await tx.query(
        `INSERT INTO sso_registrations (registration_id, member_id, connection_id, organization_id, project_id, external_id, groups, sso_attributes, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
         ON CONFLICT (member_id, connection_id) DO UPDATE SET external_id = EXCLUDED.external_id, groups = EXCLUDED.groups,
                                                              sso_attributes = EXCLUDED.sso_attributes, updated_at = EXCLUDED.updated_at`,
        [`registration-${environment}-${randomBytes(16).toString('hex')}`, memberId, connection.connection_id, organization.organization_id, projectId,
          identity.external_id, identity.groups, JSON.stringify(identity.attributes), now],
      );
      // Tokens nobody exchanged would stay forever: each sign-in deletes a bounded batch of expired ones.
      await tx.query('DELETE FROM sso_tokens WHERE token_hash IN (SELECT token_hash FROM sso_tokens WHERE expires_at <= $1 LIMIT $2)', [now, PURGE_BATCH]);
      await tx.query(
        `INSERT INTO sso_tokens (token_hash, project_id, member_id, connection_id, external_id, pkce_code_challenge, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [sha256(token), projectId, memberId, connection.connection_id, identity.external_id, flow.pkce_code_challenge, now,
          new Date(now.getTime() + TOKEN_MINUTES * 60_000)],
      );
    };
    if (existing) {
      await this.#feed.write(async (tx, emit) => {
        await register(tx, existing.member_id);
        // Signing in through the IdP accepts an invitation: an invited or pending member becomes active.
        await acceptSsoSignIn(tx, existing.member_id, now, emailVerified);
        emit({ type: 'member', project_id: projectId, organization_id: organization.organization_id, member_id: existing.member_id });
      });
    } else {
      await this.#members.createMember(projectId, environment, organization.organization_id,
        { email_address: email, name: identity.name, email_address_verified: emailVerified }, systemActor('sso.jit'), async (tx, memberId) => {
          await this.#links.recordProvisioned(tx, connection, memberId);
          await register(tx, memberId);
        });
    }
    return tokenLink(existing ? flow.login_redirect_url : flow.signup_redirect_url, 'sso', token);
  }

  /**
   * The member with the IdP's email address in the connection's organization, when the connection may
   * sign it in by email (member-links.ts); null when there is none. An address the IdP does not vouch
   * for, or a connection with no claim on the member, is refused: never a silent takeover.
   */
  async #memberByEmail(connection: SsoConnectionRecord, identity: SsoIdentity, email: string): Promise<MemberRecord | null> {
    const member = await this.#members.findByEmail(connection.project_id, connection.organization_id, email);
    if (!member) return null;
    if (!identity.email_verified) throw new GatehouseError('sso_email_not_verified');
    if ((await this.#links.reason(connection, member)) === null) throw new GatehouseError('sso_member_link_not_allowed');
    return member;
  }

  async #registeredMember(connection: SsoConnectionRecord, externalId: string): Promise<MemberRecord | null> {
    const { rows } = await this.#db.query<{ member_id: string }>(
      'SELECT member_id FROM sso_registrations WHERE connection_id = $1 AND external_id = $2', [connection.connection_id, externalId],
    );
    return rows[0] ? this.#members.findMember(connection.project_id, rows[0].member_id) : null;
  }
}

/**
 * Just-in-time membership through SSO: by the organization's sso_jit_provisioning (everyone, or
 * only through the listed connections), or — with email_jit_provisioning RESTRICTED — when the
 * IdP vouches for the address and its domain is one of the organization's allowed domains, as
 * email sign-ups are.
 */
export function jitAllowed(organization: OrganizationRecord, connectionId: string, email: string, emailVerified: boolean): boolean {
  const { sso_jit_provisioning, sso_jit_provisioning_allowed_connections, email_jit_provisioning } = organization.settings;
  if (sso_jit_provisioning === 'ALL_ALLOWED') return true;
  if (sso_jit_provisioning === 'RESTRICTED' && sso_jit_provisioning_allowed_connections.includes(connectionId)) return true;
  // As Stytch's email JIT: only verified addresses in the allowed domains.
  return emailVerified && email_jit_provisioning === 'RESTRICTED' && organization.email_allowed_domains.includes(emailDomain(email));
}
