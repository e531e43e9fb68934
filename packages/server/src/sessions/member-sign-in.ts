// The one decision every B2B primary authentication ends in (magic link, password, SSO, discovery,
// email OTP, session exchange, …): given the member, its organization and the factors proven — the
// one just proven, those an intermediate session presented with it holds, those of a session it is
// added to — the organization's rules say whether a member session starts:
//   * auth_methods RESTRICTED and no proven method among allowed_auth_methods → primary_required;
//   * mfa_policy REQUIRED_FOR_ALL, or the member enrolled in MFA, and no MFA factor → mfa_required;
//   * otherwise the session.
// Short of a session the caller gets an intermediate session (discovery/tokens.ts: hashed, 10 minutes,
// used once) bound to the member and organization and holding every factor proven so far; the next
// primary authentication (or, with issue 18, the MFA step) presents it and completes the sign-in.
// The MFA step — an SMS one-time passcode (otps/sms-service.ts), TOTP or a recovery code (totps/) —
// first asks checkMfaStep: the organization's mfa_methods allow the method, and a primary
// authentication of this member is presented (its intermediate session or a session), or Stytch's
// action_available_only_once_primary_authentication_is_met.
// Session exchange (b2b/sessions/exchange) lives here too: it is a sign-in into another organization
// with the factors that carry over.
import type { Clock } from '../shared/clock.ts';
import type { Environment } from '../shared/config.ts';
import { GatehouseError } from '../shared/errors.ts';
import { provenFactors, type DiscoveryTokenRow, type DiscoveryTokens } from '../discovery/tokens.ts';
import type { TokenErrors } from '../magic-links/tokens.ts';
import { acceptVerifiedEmailUnlessDeleted } from '../members/repository.ts';
import type { MemberRecord, MemberService } from '../members/service.ts';
import type { OrganizationRecord, OrganizationService } from '../organizations/service.ts';
import type { ChangeFeed } from '../store/change-feed.ts';
import { authMethodOf, forMember, isMfaFactor, isPortableFactor } from './factors.ts';
import { checkSessionInput, mergeFactor, type SessionInput } from './input.ts';
import type { MemberSessionGrant, MemberSessions } from './member-sessions.ts';
import type { AuthenticationFactor } from './store.ts';


/** Stytch's intermediate session lifetime. */
export const INTERMEDIATE_SESSION_MINUTES = 10;

const INTERMEDIATE_SESSION_ERRORS: TokenErrors = { notFound: 'intermediate_session_not_found', unusable: 'intermediate_session_not_found' };

/** Stytch's mfa_required: what the member can complete MFA with. */
export interface MfaRequired {
  member_options: { mfa_phone_number: string; totp_registration_id: string };
  secondary_auth_initiated: string | null;
}

/** A sign-in's input: the session fields, and the intermediate session of an earlier step. */
export interface MemberSignInInput extends SessionInput {
  intermediate_session_token?: string;
}

/**
 * What a B2B sign-in gives: a member session (member_authenticated), or — the organization asking for
 * more — no session (member_session null, empty token and JWT) and an intermediate session with what
 * is required.
 */
export interface MemberSignIn extends MemberSessionGrant {
  member_authenticated: boolean;
  intermediate: { token: string; expiresAt: Date } | null;
  primary_required: { allowed_auth_methods: string[] } | null;
  mfa_required: MfaRequired | null;
}

export interface SignInOptions {
  /** Discovery's organization creation: the creator's methods chose the organization's rules, so primary_required does not apply. */
  primaryMet?: boolean;
  /**
   * The factor is a second factor of this method (an SMS code): checkMfaStep first — the method
   * allowed, and an intermediate session or a session whose factors meet the organization's primary
   * rule — before anything is written.
   */
  secondFactor?: MfaMethod;
}

/** The primary methods (allowed_auth_methods' names) the factors prove. */
export function authMethods(factors: readonly AuthenticationFactor[]): string[] {
  return [...new Set(factors.map(authMethodOf).filter((method): method is string => method !== null))];
}

/** The organization's allowed primary methods when none of `proven` is among them; else null. */
export function primaryRequired(organization: OrganizationRecord, proven: readonly string[]): string[] | null {
  const { auth_methods, allowed_auth_methods } = organization.settings;
  if (auth_methods !== 'RESTRICTED' || proven.some((method) => allowed_auth_methods.includes(method))) return null;
  return allowed_auth_methods;
}

/** mfa_required when the organization requires MFA of everyone or the member enrolled, and no MFA factor is proven; else null. */
export function mfaRequired(member: MemberRecord, organization: OrganizationRecord, factors: readonly AuthenticationFactor[]): MfaRequired | null {
  if (organization.settings.mfa_policy !== 'REQUIRED_FOR_ALL' && !member.mfa_enrolled) return null;
  if (factors.some(isMfaFactor)) return null;
  return { member_options: { mfa_phone_number: member.mfa_phone_number, totp_registration_id: member.totp_registration_id }, secondary_auth_initiated: null };
}

/** The MFA methods (allowed_mfa_methods' names) a second factor is: recovery codes belong to TOTP. */
export type MfaMethod = 'totp' | 'sms_otp';

/** mfa_method_not_allowed unless the organization's mfa_methods allow `method`. */
export function checkMfaMethodAllowed(organization: OrganizationRecord, method: MfaMethod): void {
  const { mfa_methods, allowed_mfa_methods } = organization.settings;
  if (mfa_methods === 'RESTRICTED' && !allowed_mfa_methods.includes(method)) throw new GatehouseError('mfa_method_not_allowed', { params: { method } });
}

/**
 * Enrolling a new second factor with only an intermediate session (a primary authentication) is for a
 * member without another one: else whoever holds its password could enrol their own phone or
 * authenticator app and complete MFA with it. With a session (MFA done) it is the member's choice.
 */
export function checkNewMfaFactor(member: MemberRecord, input: MemberSignInInput, method: MfaMethod): void {
  if (!input.intermediate_session_token) return;
  const other = method === 'sms_otp' ? member.totp_registration_id !== '' : member.mfa_phone_number !== '' && member.mfa_phone_number_verified;
  if (other) throw new GatehouseError('mfa_factor_already_enrolled');
}

/** An intermediate session is for this member and organization (discovery's, for its address); else invalid_intermediate_session_token_for_organization. */
function checkBoundTo(row: DiscoveryTokenRow, member: MemberRecord, organization: OrganizationRecord): void {
  const forOther = row.member_id !== null
    ? row.member_id !== member.member_id || row.organization_id !== organization.organization_id
    : row.email_address.toLowerCase() !== member.email_address.toLowerCase();
  if (forOther) throw new GatehouseError('invalid_intermediate_session_token_for_organization');
}

export interface MemberSignInDeps {
  memberSessions: MemberSessions;
  intermediateSessions: DiscoveryTokens;
  members: MemberService;
  organizations: OrganizationService;
  feed: ChangeFeed;
  clock: Clock;
}

/** Texts the member an SMS code (otps/sms-service.ts), for mfa_required's automatic send. */
export type MfaSmsSender = (projectId: string, member: MemberRecord) => Promise<void>;

export class MemberSignIns {
  readonly #deps: MemberSignInDeps;
  #mfaSms: MfaSmsSender | null = null;

  /** Set once at start (otps/ is built after sessions/). */
  setMfaSmsSender(send: MfaSmsSender): void {
    this.#mfaSms = send;
  }

  /**
   * Stytch's automatic send: a member whose default MFA method is sms_otp and whose mfa_phone_number
   * is verified is texted a code when mfa_required is answered (secondary_auth_initiated: 'sms_otp').
   * A failed delivery leaves it null (the sign-in's step stands; the client can call sms/send).
   */
  async #initiateSecondary(projectId: string, member: MemberRecord, mfa: MfaRequired): Promise<MfaRequired> {
    if (!this.#mfaSms || member.default_mfa_method !== 'sms_otp' || !member.mfa_phone_number || !member.mfa_phone_number_verified) return mfa;
    try {
      await this.#mfaSms(projectId, member);
      return { ...mfa, secondary_auth_initiated: 'sms_otp' };
    } catch {
      return mfa;
    }
  }

  constructor(deps: MemberSignInDeps) {
    this.#deps = deps;
  }

  /**
   * The sign-in decision. `factors`: what this authentication proved. A presented intermediate session
   * must be for this member and organization (or, discovery's, for its address); its factors join the
   * new ones, and it is spent when a session starts — else it is bound to the member and returned. A
   * presented session is added to when the rules are met.
   */
  async signIn(
    projectId: string,
    environment: Environment,
    member: MemberRecord,
    organization: OrganizationRecord,
    factors: AuthenticationFactor | readonly AuthenticationFactor[],
    input: MemberSignInInput,
    options: SignInOptions = {},
  ): Promise<MemberSignIn> {
    const { memberSessions, intermediateSessions: tokens } = this.#deps;
    checkSessionInput(input);
    let proven = (Array.isArray(factors) ? factors : [factors]) as readonly AuthenticationFactor[];
    const row = input.intermediate_session_token ? await tokens.check(projectId, input.intermediate_session_token, 'intermediate_session', INTERMEDIATE_SESSION_ERRORS) : null;
    if (row) {
      checkBoundTo(row, member, organization);
      // Discovery's factors name no member yet: they name this one now.
      const earlier = provenFactors(row).map((factor) => forMember(factor, member));
      proven = [...earlier, ...proven].reduce(mergeFactor, [] as AuthenticationFactor[]);
    }
    if (options.secondFactor) await this.checkMfaStep(projectId, member, organization, input, options.secondFactor);
    const held = await memberSessions.presentedFactors(projectId, input, member.member_id);
    const all = [...held, ...proven];
    const primary = options.primaryMet ? null : primaryRequired(organization, authMethods(all));
    const mfa = primary ? null : mfaRequired(member, organization, all);
    if (primary || mfa) {
      // Short of a session: the presented intermediate session (Stytch returns the same one) or a new
      // one, bound to the member and organization, with every factor so far.
      const binding = { factors: [...proven], member_id: member.member_id, organization_id: organization.organization_id };
      let intermediate: { token: string; expiresAt: Date };
      if (row) {
        await tokens.bind(row, binding, INTERMEDIATE_SESSION_ERRORS);
        intermediate = { token: input.intermediate_session_token!, expiresAt: row.expires_at };
      } else {
        const issued = await tokens.issue({ projectId, kind: 'intermediate_session', email: member.email_address, minutes: INTERMEDIATE_SESSION_MINUTES, binding });
        intermediate = { token: issued.token, expiresAt: issued.expiresAt };
      }
      return {
        member_session: null, session_token: '', session_jwt: '', member, organization, roles: [],
        member_authenticated: false,
        intermediate,
        primary_required: primary ? { allowed_auth_methods: primary } : null,
        mfa_required: mfa && await this.#initiateSecondary(projectId, member, mfa),
      };
    }
    // The rules are met: the intermediate session is spent (live again if the grant fails).
    const spent = row ? await tokens.spend(row, INTERMEDIATE_SESSION_ERRORS) : null;
    try {
      const { session_token, session_jwt, session_duration_minutes, session_custom_claims, callerAttributes } = input;
      const grant = await memberSessions.grant(projectId, environment, member, organization, proven, { session_token, session_jwt, session_duration_minutes, session_custom_claims, callerAttributes });
      return { ...grant, member_authenticated: true, intermediate: null, primary_required: null, mfa_required: null };
    } catch (error) {
      if (row && spent) await tokens.unspend(row, spent.usedAt);
      throw error;
    }
  }

  /**
   * Before a second factor is tried (it costs no code when refused): the organization allows the
   * method, and the input presents a primary authentication of this member — an intermediate session
   * bound to it (or discovery's, for its address) whose factors meet the primary rule, or a session of
   * the member. Otherwise action_available_only_once_primary_authentication_is_met.
   */
  async checkMfaStep(projectId: string, member: MemberRecord, organization: OrganizationRecord, input: MemberSignInInput, method: MfaMethod): Promise<void> {
    checkMfaMethodAllowed(organization, method);
    checkSessionInput(input);
    let primary: AuthenticationFactor[] = [];
    if (input.intermediate_session_token) {
      const row = await this.#deps.intermediateSessions.check(projectId, input.intermediate_session_token, 'intermediate_session', INTERMEDIATE_SESSION_ERRORS);
      checkBoundTo(row, member, organization);
      primary = provenFactors(row).filter((factor) => !isMfaFactor(factor));
      if (primary.length > 0 && primaryRequired(organization, authMethods(primary))) primary = [];
    } else {
      primary = await this.#deps.memberSessions.presentedFactors(projectId, input, member.member_id);
    }
    if (primary.length === 0) throw new GatehouseError('action_available_only_once_primary_authentication_is_met');
  }

  /**
   * b2b/sessions/exchange: the session's member signs in to another organization where its address
   * is a member (an invited or pending one accepts: the address is verified), with the factors that
   * carry over (isPortableFactor). The target's rules decide as for any sign-in; the old session stays.
   */
  async exchange(projectId: string, environment: Environment, input: SessionInput & { organization_id: string }): Promise<MemberSignIn> {
    const { memberSessions, members, organizations, feed, clock } = this.#deps;
    checkSessionInput(input);
    const record = await memberSessions.presentedSession(projectId, input);
    const source = await members.findMember(projectId, record.member_id!);
    if (!source || source.status === 'deleted') throw new GatehouseError('session_not_found');
    const organization = await organizations.requireOrganization(projectId, input.organization_id);
    if (!source.email_address_verified) throw new GatehouseError('exchange_email_unverified');
    let target = await members.findByEmail(projectId, organization.organization_id, source.email_address);
    if (!target || target.status === 'deleted') throw new GatehouseError('exchange_member_not_found');
    const carried = record.authentication_factors.filter(isPortableFactor).map((factor) => forMember(factor, target!));
    if (carried.length === 0) throw new GatehouseError('insufficient_factors_for_session_exchange');
    if (!primaryRequired(organization, authMethods(carried)) && (target.status !== 'active' || !target.email_address_verified)) {
      // The address is proven (the session's member has it verified): an invitation is accepted.
      const accepting = target;
      await feed.write(async (tx, emit) => {
        await acceptVerifiedEmailUnlessDeleted(tx, accepting.member_id, clock.now());
        await members.recordVerification(tx, { project_id: projectId, organization_id: organization.organization_id, member_id: accepting.member_id, email_verified: accepting.email_address_verified, status: accepting.status });
        emit({ type: 'member', project_id: projectId, organization_id: organization.organization_id, member_id: accepting.member_id });
      });
      target = await members.findMember(projectId, target.member_id);
      if (!target || target.status === 'deleted') throw new GatehouseError('exchange_member_not_found');
    }
    const { session_duration_minutes, session_custom_claims, callerAttributes } = input;
    return this.signIn(projectId, environment, target, organization, carried, { session_duration_minutes, session_custom_claims, callerAttributes });
  }
}
