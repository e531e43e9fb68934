// B2B email one-time passcodes, as Stytch has them: login_or_signup mails a 6-digit code to a
// member of an organization (or to an address the organization lets join by email, which becomes a
// pending member — the same rules as the B2B magic link's login_or_signup), and authenticate turns
// the code into a member session, activating the member and verifying its address. Discovery sends
// a code to any address; authenticating it proves the address and starts an intermediate session,
// exactly as a discovery magic link does (discovery/service.ts startIntermediateSession), the
// intermediate session recording the method as email_otp.
import type { Actor } from '../projects/service.ts';
import type { Clock } from '../shared/clock.ts';
import type { Environment } from '../shared/config.ts';
import type { Mailer } from '../email/mailer.ts';
import { composeCodeMessage } from '../email/messages.ts';
import { GatehouseError } from '../shared/errors.ts';
import { emailOtpFactor } from '../sessions/factors.ts';
import { memberForEmailLogin } from '../magic-links/b2b-service.ts';
import { checkExpiration } from '../magic-links/tokens.ts';
import { normalizeMemberEmail, type MemberRecord, type MemberService } from '../members/service.ts';
import type { OrganizationRecord, OrganizationService } from '../organizations/service.ts';
import type { DiscoveryAuthentication, DiscoveryService } from '../discovery/service.ts';
import { checkSessionInput, type MemberSignIn, type MemberSignInInput, type SessionService } from '../sessions/service.ts';
import { OTP_EXPIRATION_MINUTES, type OtpCodes, type OtpKind } from './codes.ts';

export interface OtpLoginOrSignupInput {
  organization_id: string;
  email_address: string;
  login_expiration_minutes?: number;
  signup_expiration_minutes?: number;
}

export interface OtpAuthenticateInput extends MemberSignInInput {
  organization_id: string;
  email_address: string;
  code: string;
}

export interface OtpDeps {
  codes: OtpCodes;
  members: MemberService;
  organizations: OrganizationService;
  sessions: SessionService;
  discovery: DiscoveryService;
  mailer: Mailer;
  clock: Clock;
}

const minutesOf = (minutes: number | undefined, field: string) => checkExpiration(minutes, OTP_EXPIRATION_MINUTES.fallback, field, OTP_EXPIRATION_MINUTES);

export class OtpService {
  readonly #deps: OtpDeps;

  constructor(deps: OtpDeps) {
    this.#deps = deps;
  }

  /** A member gets a login code (a pending or invited one the sign-up lifetime); a new address may sign up as a pending member. */
  async loginOrSignup(projectId: string, environment: Environment, input: OtpLoginOrSignupInput, actor: Actor) {
    const { members, organizations } = this.#deps;
    const organization = await organizations.requireOrganization(projectId, input.organization_id);
    const email = normalizeMemberEmail(input.email_address);
    const login = minutesOf(input.login_expiration_minutes, 'login_expiration_minutes');
    const signup = minutesOf(input.signup_expiration_minutes, 'signup_expiration_minutes');
    const { member, created } = await memberForEmailLogin(members, projectId, environment, organization, email, actor);
    const minutes = member.status === 'active' ? login : signup;
    await this.#mail(projectId, 'login', member.email_address, organization.organization_id, member.member_id, minutes);
    return { member, organization, member_created: created };
  }

  /**
   * The code for this organization and address: spent, the member accepted and its address verified
   * in the same transaction, then a member session granted (if that fails, the code is live again;
   * the acceptance stands — the address was proven).
   */
  async authenticate(projectId: string, environment: Environment, input: OtpAuthenticateInput): Promise<{ grant: MemberSignIn; method_id: string }> {
    const { codes, members, organizations, clock } = this.#deps;
    const organization = await organizations.requireOrganization(projectId, input.organization_id);
    const email = normalizeMemberEmail(input.email_address);
    // Checked before the code is tried: a refused session field costs no try.
    checkSessionInput(input);
    const row = await codes.check({ projectId, kind: 'login', channel: 'email', address: email, organizationId: organization.organization_id }, input.code);
    const member = await members.findMember(projectId, row.member_id!);
    // The code proves the address it was sent to: a member deleted, or whose address changed since, is not signed in by it.
    if (!member || member.status === 'deleted' || member.email_address.toLowerCase() !== row.address) throw new GatehouseError('unable_to_auth_otp_code');
    const { usedAt } = await codes.spend(row, async (tx, emit) => {
      const changed = await members.acceptProvenEmail(tx, member, clock.now(), 'otps.email.authenticate');
      if (changed) emit(changed);
    });
    try {
      const signedIn = await members.findMember(projectId, member.member_id);
      if (!signedIn || signedIn.status === 'deleted') throw new GatehouseError('unable_to_auth_otp_code');
      return { grant: await this.#grant(projectId, environment, signedIn, organization, input), method_id: member.member_id };
    } catch (error) {
      await codes.unspend(row, usedAt);
      throw error;
    }
  }

  /** Mails a discovery code to any address: it names no organization and reveals nothing. */
  async discoverySend(projectId: string, input: { email_address: string; discovery_expiration_minutes?: number }): Promise<void> {
    const email = normalizeMemberEmail(input.email_address);
    const minutes = minutesOf(input.discovery_expiration_minutes, 'discovery_expiration_minutes');
    await this.#mail(projectId, 'discovery', email, null, null, minutes);
  }

  /** The address's discovery code: spent, and an intermediate session started in the same transaction (discovery's). */
  async discoveryAuthenticate(projectId: string, input: { email_address: string; code: string }): Promise<DiscoveryAuthentication> {
    const { codes, discovery, clock } = this.#deps;
    const email = normalizeMemberEmail(input.email_address);
    const row = await codes.check({ projectId, kind: 'discovery', channel: 'email', address: email, organizationId: null }, input.code);
    // The member the factor names is known only at the exchange; it is filled in then.
    return discovery.startIntermediateSession(projectId, email, emailOtpFactor('', email, clock.now()), async (issue) => (await codes.spend(row, issue)).inside!);
  }

  /**
   * The one place an email passcode signs a member in (the lead's sign-in decision — allowed auth
   * methods, MFA — wraps this call).
   */
  #grant(projectId: string, environment: Environment, member: MemberRecord, organization: OrganizationRecord, input: MemberSignInInput) {
    const { sessions, clock } = this.#deps;
    const { session_token, session_jwt, session_duration_minutes, session_custom_claims, intermediate_session_token, callerAttributes } = input;
    return sessions.grantMember(projectId, environment, member, organization, emailOtpFactor(member.member_id, member.email_address, clock.now()), {
      session_token, session_jwt, session_duration_minutes, session_custom_claims, intermediate_session_token, callerAttributes,
    });
  }

  /** Issues a code and mails it; a message that cannot be sent voids its code. */
  async #mail(projectId: string, kind: OtpKind, to: string, organizationId: string | null, memberId: string | null, minutes: number): Promise<void> {
    const { codes, mailer } = this.#deps;
    const { code, otpId } = await codes.issue({ projectId, kind, channel: 'email', address: to, organizationId, memberId, minutes });
    try {
      await mailer.send(composeCodeMessage({ projectId, to, code, expiresInMinutes: minutes }));
    } catch (error) {
      await codes.discard(otpId);
      throw error;
    }
  }
}
