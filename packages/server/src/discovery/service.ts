// B2B discovery: a person proves an email address before choosing an organization (a discovery
// magic link), holds that proof as an intermediate session for 10 minutes, sees the organizations
// the address belongs to or may join, and then either exchanges the intermediate session for a
// member session in one of them or creates a new organization (and becomes its stytch_admin). The
// intermediate session is used once.
//
// Only a proven address ever counts: intermediate sessions come only from a spent link, and a member
// session lists other organizations only when its member's address is verified. Joining by email
// domain follows the organization's email JIT provisioning, and — as Stytch does, against phishing —
// only where a member with a verified address of that domain already is.
import type { Clock } from '../shared/clock.ts';
import type { Environment } from '../shared/config.ts';
import type { Mailer } from '../email/mailer.ts';
import { composeMessage } from '../email/messages.ts';
import { GatehouseError, isGatehouseError } from '../shared/errors.ts';
import { emailLinkFactor } from '../sessions/factors.ts';
import { checkJoinByEmail } from '../magic-links/b2b-service.ts';
import { MAGIC_LINK_DEFAULTS } from '../magic-links/service.ts';
import { checkCodeChallenge, checkExpiration, checkPkce, tokenLink, type TokenErrors } from '../magic-links/tokens.ts';
import { SELECT_MEMBERS } from '../members/sql.ts';
import { normalizeMemberEmail, type MemberRecord, type MemberService } from '../members/service.ts';
import { emailDomain, isCommonEmailDomain, type OrganizationInput, type OrganizationRecord, type OrganizationService } from '../organizations/service.ts';
import type { Actor } from '../projects/service.ts';
import { STYTCH_ADMIN } from '@gatehouse/policy';
import { REDIRECT_URL_FIELDS, type RedirectUrlService } from '../redirect-urls/service.ts';
import { checkSessionInput, type AuthenticationFactor, type MemberSignIn, type SessionService } from '../sessions/service.ts';
import { authMethods, INTERMEDIATE_SESSION_MINUTES, mfaRequired, primaryRequired, type MfaRequired } from '../sessions/member-sign-in.ts';
import { forMember, isPortableFactor } from '../sessions/factors.ts';
import type { SqlExecutor } from '../store/database.ts';
import type { SessionAttributes } from '../sessions/attributes.ts';
import { factorsFor, provenFactors, type DiscoveryTokenRow, type DiscoveryTokens, type IssuedToken } from './tokens.ts';

const MAGIC_LINK_ERRORS: TokenErrors = { notFound: 'magic_link_not_found', unusable: 'unable_to_auth_magic_link' };
const INTERMEDIATE_SESSION_ERRORS: TokenErrors = { notFound: 'intermediate_session_not_found', unusable: 'intermediate_session_not_found' };

/** Stytch's membership types (eligible_to_join_by_oauth_tenant, OAuth tenant JIT, is not supported). */
export type MembershipType = 'active_member' | 'pending_member' | 'invited_member' | 'eligible_to_join_by_email_domain';

export interface DiscoveredOrganization {
  organization: OrganizationRecord;
  type: MembershipType;
  /** The member the address is in the organization; null when it may join. */
  member: MemberRecord | null;
  /** Joining by email domain: the domain (Stytch's membership details); else null. */
  details: { domain: string } | null;
  /** The organization's allowed primary methods, when the ones proven are not among them; else null. */
  primaryRequired: string[] | null;
  /** What MFA the member must complete there (only once primary authentication is met); else null. */
  mfaRequired: MfaRequired | null;
}

export interface IntermediateSession {
  token: string;
  expiresAt: Date;
}

/** A proven address: its intermediate session and the organizations it discovers. */
export interface DiscoveryAuthentication {
  intermediate: IntermediateSession;
  email_address: string;
  discovered: DiscoveredOrganization[];
}

export interface DiscoverySendInput {
  email_address: string;
  discovery_redirect_url?: string;
  pkce_code_challenge?: string;
  discovery_expiration_minutes?: number;
}

export interface DiscoverySessionInput {
  intermediate_session_token: string;
  session_duration_minutes?: number;
  session_custom_claims?: Record<string, unknown>;
  callerAttributes?: SessionAttributes;
}

/** What an exchange or creation gives: a member session, or — the organization asking for another primary method — the intermediate session back. */
export type DiscoveryGrant =
  | { kind: 'session'; grant: MemberSignIn }
  | { kind: 'primary_required'; organization: OrganizationRecord; member: MemberRecord | null; intermediate: IntermediateSession; allowedAuthMethods: string[] };

export interface DiscoveryDeps {
  db: SqlExecutor;
  tokens: DiscoveryTokens;
  members: MemberService;
  organizations: OrganizationService;
  sessions: SessionService;
  mailer: Mailer;
  redirectUrls: RedirectUrlService;
  clock: Clock;
}

const MEMBERSHIP_OF_STATUS = { active: 'active_member', pending: 'pending_member', invited: 'invited_member' } as const;

/** Stytch's default name of an organization created through discovery: the mailbox's name at a public provider, else the domain's. */
export function defaultOrganizationName(email: string): string {
  const domain = emailDomain(email);
  if (isCommonEmailDomain(domain) || domain.endsWith('.edu')) return email.slice(0, email.lastIndexOf('@')).slice(0, 128);
  return domain.split('.')[0]!;
}

export class DiscoveryService {
  readonly #deps: DiscoveryDeps;

  constructor(deps: DiscoveryDeps) {
    this.#deps = deps;
  }

  /** Mails a discovery link (stytch_token_type=discovery) to any address: it names no organization and reveals nothing. */
  async send(projectId: string, input: DiscoverySendInput): Promise<void> {
    const { tokens, mailer, redirectUrls } = this.#deps;
    const email = normalizeMemberEmail(input.email_address);
    const minutes = checkExpiration(input.discovery_expiration_minutes, MAGIC_LINK_DEFAULTS.loginExpirationMinutes, 'discovery_expiration_minutes');
    const codeChallenge = checkCodeChallenge(input.pkce_code_challenge);
    const url = await redirectUrls.resolve(projectId, 'DISCOVERY', input.discovery_redirect_url, REDIRECT_URL_FIELDS.discovery_redirect_url);
    const { token, tokenHash } = await tokens.issue({ projectId, kind: 'magic_link', email, minutes, codeChallenge });
    try {
      await mailer.send(composeMessage({ projectId, to: email, kind: 'login', link: tokenLink(url, 'discovery', token), expiresInMinutes: minutes }));
    } catch (error) {
      await tokens.discard(tokenHash);
      throw error;
    }
  }

  /** Spends a discovery link: the address is proven; an intermediate session starts, issued in the same transaction. */
  async authenticateMagicLink(projectId: string, input: { discovery_magic_links_token: string; pkce_code_verifier?: string }): Promise<DiscoveryAuthentication> {
    const { tokens, clock } = this.#deps;
    const row = await tokens.check(projectId, input.discovery_magic_links_token, 'magic_link', MAGIC_LINK_ERRORS);
    checkPkce(row.code_challenge, input.pkce_code_verifier);
    const email = row.email_address;
    // The member the factor names is known only at the exchange; it is filled in then.
    return this.startIntermediateSession(projectId, email, emailLinkFactor('', email, clock.now()), async (issue) => (await tokens.spend(row, MAGIC_LINK_ERRORS, issue)).inside!);
  }

  /**
   * An address just proven by `factor` (a discovery link, an email passcode): `spend` spends the proof
   * and runs `issue` in its transaction, which starts the intermediate session; then the
   * organizations the address discovers, judged by the method the factor proves (magic_link, email_otp).
   */
  async startIntermediateSession(
    projectId: string,
    email: string,
    factor: AuthenticationFactor,
    spend: (issue: (tx: SqlExecutor) => Promise<IssuedToken>) => Promise<IssuedToken>,
  ): Promise<DiscoveryAuthentication> {
    const { tokens } = this.#deps;
    const issued = await spend((tx) => tokens.issue({ projectId, kind: 'intermediate_session', email, minutes: INTERMEDIATE_SESSION_MINUTES, factor }, tx));
    const discovered = await this.#discover(projectId, email, [factor], true);
    return { intermediate: { token: issued.token, expiresAt: issued.expiresAt }, email_address: email, discovered };
  }

  /**
   * The organizations of an intermediate session's address (every membership type), or of a member
   * session's (active, pending and invited memberships; only its own when its address is unverified).
   * Spends nothing.
   */
  async listOrganizations(projectId: string, environment: Environment, input: { intermediate_session_token?: string; session_token?: string; session_jwt?: string }) {
    const { tokens, sessions } = this.#deps;
    const given = [input.intermediate_session_token, input.session_token, input.session_jwt].filter((value) => value !== undefined && value !== '');
    if (given.length !== 1) throw new GatehouseError('invalid_discovery_organizations_arguments');
    if (input.intermediate_session_token) {
      const row = await this.#intermediateSession(projectId, input.intermediate_session_token);
      const discovered = await this.#discover(projectId, row.email_address, (organizationId) => factorsFor(row, organizationId), true);
      return { email_address: row.email_address, discovered, organization_id_hint: null };
    }
    const { member, organization, member_session } = await sessions.authenticateMember(projectId, environment, {
      session_token: input.session_token || undefined, session_jwt: input.session_jwt || undefined,
    });
    const factors = member_session?.authentication_factors ?? [];
    const discovered = member.email_address_verified
      ? await this.#discover(projectId, member.email_address, (organizationId) => organizationId === organization.organization_id ? factors : factors.filter(isPortableFactor), false)
      : [discoveredMembership(organization, member, factors)];
    return { email_address: member.email_address, discovered, organization_id_hint: organization.organization_id };
  }

  /**
   * The intermediate session becomes a member session in the organization: as the member the address
   * is there (an invited or pending one accepts and is active, its address verified), or as a new
   * member when the organization lets the address join by email domain. The intermediate session is
   * spent; if the grant fails it is live again (an acceptance stands: the address was proven).
   */
  async exchange(projectId: string, environment: Environment, input: DiscoverySessionInput & { organization_id: string }, actor: Actor): Promise<DiscoveryGrant> {
    const { tokens, members, organizations } = this.#deps;
    checkSessionInput(input);
    const row = await this.#intermediateSession(projectId, input.intermediate_session_token);
    const organization = await organizations.requireOrganization(projectId, input.organization_id);
    const email = row.email_address;
    const member = await members.findByEmail(projectId, organization.organization_id, email);
    if (!member) await this.#checkJoinByDomain(projectId, organization, email);
    const required = primaryRequired(organization, authMethods(factorsFor(row, organization.organization_id)));
    if (required) return { kind: 'primary_required', organization, member, intermediate: { token: input.intermediate_session_token, expiresAt: row.expires_at }, allowedAuthMethods: required };
    const { usedAt } = await tokens.spend(row, INTERMEDIATE_SESSION_ERRORS, async (tx, emit) => {
      // The address is proven: an invited or pending member accepts, and its address is verified.
      const changed = member && await members.acceptProvenEmail(tx, member, this.#deps.clock.now());
      if (changed) emit(changed);
    });
    try {
      const joined = member ? await members.findMember(projectId, member.member_id) : await this.#join(projectId, environment, organization, email, actor);
      if (!joined || joined.status === 'deleted') throw new GatehouseError(INTERMEDIATE_SESSION_ERRORS.unusable);
      return { kind: 'session', grant: await this.#grant(projectId, environment, joined, organization, row, input) };
    } catch (error) {
      await tokens.unspend(row, usedAt);
      throw error;
    }
  }

  /**
   * A new organization with the intermediate session's address as its first member, holding
   * stytch_admin, signed in. The intermediate session is spent; if anything after fails, the
   * organization is deleted again and the intermediate session is live again.
   */
  async createOrganization(projectId: string, environment: Environment, input: DiscoverySessionInput & { organization: OrganizationInput }, actor: Actor): Promise<DiscoveryGrant> {
    const { tokens, members, organizations } = this.#deps;
    checkSessionInput(input);
    const row = await this.#intermediateSession(projectId, input.intermediate_session_token);
    const email = row.email_address;
    const organizationInput = { ...input.organization, organization_name: input.organization.organization_name || defaultOrganizationName(email) };
    const { usedAt } = await tokens.spend(row, INTERMEDIATE_SESSION_ERRORS);
    let organization: OrganizationRecord | null = null;
    try {
      organization = await organizations.createOrganization(projectId, environment, organizationInput, actor);
      const member = await members.createMember(projectId, environment, organization.organization_id, {
        email_address: email, status: 'active', email_address_verified: true, roles: [STYTCH_ADMIN],
      }, actor);
      // The creator's primary authentication counts whatever methods it chose for the organization: they
      // rule later sign-ins (an organization restricted to SSO has no connection yet to sign its creator
      // in with). Its MFA policy applies at once.
      return { kind: 'session', grant: await this.#grant(projectId, environment, member, organization, row, input, true) };
    } catch (error) {
      if (organization) await organizations.deleteOrganization(projectId, organization.organization_id, actor);
      await tokens.unspend(row, usedAt);
      throw error;
    }
  }

  /**
   * The sign-in decision (sessions/member-sign-in.ts) with the factors the intermediate session proved
   * (now naming the member): a member session, or a new intermediate session bound to the member.
   */
  #grant(projectId: string, environment: Environment, member: MemberRecord, organization: OrganizationRecord, row: DiscoveryTokenRow, input: DiscoverySessionInput, primaryMet = false) {
    const factors = factorsFor(row, organization.organization_id).map((factor) => forMember(factor, member));
    const { session_duration_minutes, session_custom_claims, callerAttributes } = input;
    return this.#deps.sessions.grantMember(projectId, environment, member, organization, factors, { session_duration_minutes, session_custom_claims, callerAttributes }, { primaryMet });
  }

  /**
   * A live intermediate session that proves its address: discovery's always do; one a sign-in handed
   * out (bound to a member) only when it holds a factor proven through the address — a password
   * alone proves no address, so it discovers and joins nothing.
   */
  async #intermediateSession(projectId: string, token: string): Promise<DiscoveryTokenRow> {
    const row = await this.#deps.tokens.check(projectId, token, 'intermediate_session', INTERMEDIATE_SESSION_ERRORS);
    if (row.member_id !== null && !provenFactors(row).some(isPortableFactor)) throw new GatehouseError(INTERMEDIATE_SESSION_ERRORS.notFound);
    return row;
  }

  /** A new active member with the proven address (email JIT provisioning); one created meanwhile by another request is that one. */
  async #join(projectId: string, environment: Environment, organization: OrganizationRecord, email: string, actor: Actor): Promise<MemberRecord | null> {
    const { members } = this.#deps;
    try {
      return await members.createMember(projectId, environment, organization.organization_id, { email_address: email, status: 'active', email_address_verified: true }, actor);
    } catch (error) {
      if (!isGatehouseError(error, 'duplicate_member_email')) throw error;
      return members.findByEmail(projectId, organization.organization_id, email);
    }
  }

  /** Email JIT provisioning for this address, where a verified member of its domain already is; else the error Stytch gives. */
  async #checkJoinByDomain(projectId: string, organization: OrganizationRecord, email: string): Promise<void> {
    checkJoinByEmail(organization, email);
    const { rowCount } = await this.#deps.db.query(
      `SELECT 1 FROM members WHERE project_id = $1 AND organization_id = $2 AND email_domain = $3 AND email_address_verified AND status = 'active' LIMIT 1`,
      [projectId, organization.organization_id, emailDomain(email)],
    );
    if (rowCount === 0) throw new GatehouseError('invalid_email_for_jit_provisioning');
  }

  /** The address's memberships (not deleted), then — when `eligible` — the organizations it may join by email domain. */
  async #discover(projectId: string, email: string, factors: readonly AuthenticationFactor[] | ((organizationId: string) => readonly AuthenticationFactor[]), eligible: boolean): Promise<DiscoveredOrganization[]> {
    // The factors that count in each organization (another organization's password, SSO or MFA do not).
    const factorsIn = (organizationId: string) => (typeof factors === 'function' ? factors(organizationId) : factors);
    const { db, organizations } = this.#deps;
    const domain = emailDomain(email);
    const { rows: found } = await db.query<MemberRecord>(
      `${SELECT_MEMBERS} WHERE m.project_id = $1 AND m.email_normalized = $2 AND m.status <> 'deleted' ORDER BY m.created_at, m.member_id`,
      [projectId, email.toLowerCase()],
    );
    const joinable = eligible
      ? (await db.query<{ organization_id: string }>(
          `SELECT o.organization_id FROM organizations o
            WHERE o.project_id = $1 AND o.settings->>'email_jit_provisioning' = 'RESTRICTED' AND $2 = ANY(o.email_allowed_domains)
              AND NOT EXISTS (SELECT 1 FROM members m WHERE m.organization_id = o.organization_id AND m.email_normalized = $3 AND m.status <> 'deleted')
              AND EXISTS (SELECT 1 FROM members m WHERE m.organization_id = o.organization_id AND m.email_domain = $2
                                                    AND m.email_address_verified AND m.status = 'active')
            ORDER BY o.created_at, o.organization_id`,
          [projectId, domain, email.toLowerCase()],
        )).rows.map((row) => row.organization_id)
      : [];
    const records = await organizations.requireOrganizations(projectId, [...found.map((member) => member.organization_id), ...joinable]);
    const byId = new Map(records.map((organization) => [organization.organization_id, organization]));
    const discovered: DiscoveredOrganization[] = found.map((member) => discoveredMembership(byId.get(member.organization_id)!, member, factorsIn(member.organization_id)));
    for (const id of joinable) {
      const organization = byId.get(id)!;
      const required = primaryRequired(organization, authMethods(factorsIn(id)));
      // A new member is not enrolled in MFA: only the organization's policy can require it.
      const mfa = required || organization.settings.mfa_policy !== 'REQUIRED_FOR_ALL' ? null : { member_options: { mfa_phone_number: '', totp_registration_id: '' }, secondary_auth_initiated: null };
      discovered.push({ organization, member: null, details: { domain }, type: 'eligible_to_join_by_email_domain', primaryRequired: required, mfaRequired: mfa });
    }
    return discovered;
  }
}

/** A membership as discovery lists it, with what the organization's rules still require of these factors. */
function discoveredMembership(organization: OrganizationRecord, member: MemberRecord, factors: readonly AuthenticationFactor[]): DiscoveredOrganization {
  const required = primaryRequired(organization, authMethods(factors));
  return { organization, member, details: null, type: membershipOf(member), primaryRequired: required, mfaRequired: required ? null : mfaRequired(member, organization, factors) };
}

function membershipOf(member: MemberRecord): MembershipType {
  return MEMBERSHIP_OF_STATUS[member.status as keyof typeof MEMBERSHIP_OF_STATUS];
}
