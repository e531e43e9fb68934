// B2B email magic links: login_or_signup (a login link for a member, a sign-up link for an address
// the organization lets join by email), invite (an invited member with roles), and authenticate,
// which activates and verifies the member and grants a member session. Tokens are the consumer's
// (tokens.ts), kept for members (MEMBER_TOKENS).
import type { MemberActor } from '../authz/member-authorization.ts';
import type { Actor } from '../projects/service.ts';
import type { Clock } from '../clock.ts';
import type { EmailConfig, Environment } from '../config.ts';
import type { Mailer } from '../email/mailer.ts';
import { GatehouseError, isGatehouseError } from '../errors.ts';
import { emailLinkFactor } from '../factors.ts';
import { normalizeMemberEmail, type MemberRecord, type MemberService } from '../members/service.ts';
import { emailDomain, type OrganizationRecord, type OrganizationService } from '../organizations/service.ts';
import type { MemberSessionGrant, SessionInput, SessionService } from '../sessions/service.ts';
import { MAGIC_LINK_DEFAULTS, mailToken } from './service.ts';
import { checkCodeChallenge, checkExpiration, checkRedirectUrl, tokenLink, type EmailTokens, type MemberTokenRow, type TokenErrors, type TokenPurpose } from './tokens.ts';

const MAGIC_LINK_ERRORS: TokenErrors = { notFound: 'magic_link_not_found', unusable: 'unable_to_auth_magic_link' };

export type MemberTokens = EmailTokens<MemberTokenRow, { member_id: string }>;

export interface LoginOrSignupInput {
  organization_id: string;
  email_address: string;
  login_redirect_url?: string;
  signup_redirect_url?: string;
  login_expiration_minutes?: number;
  signup_expiration_minutes?: number;
  pkce_code_challenge?: string;
}

export interface MemberInviteInput {
  organization_id: string;
  email_address: string;
  invite_redirect_url?: string;
  invite_expiration_minutes?: number;
  name?: string;
  trusted_metadata?: unknown;
  untrusted_metadata?: unknown;
  roles?: string[];
}

export interface MemberMagicLinkAuthenticateInput extends SessionInput {
  magic_links_token: string;
  pkce_code_verifier?: string;
}

/** Whether the organization lets an unknown address sign up by email (Stytch's email JIT provisioning). */
export function mayJoinByEmail(organization: OrganizationRecord, email: string): boolean {
  return organization.settings.email_jit_provisioning === 'RESTRICTED' && organization.email_allowed_domains.includes(emailDomain(email));
}

export interface MemberMagicLinkDeps {
  tokens: MemberTokens;
  members: MemberService;
  organizations: OrganizationService;
  sessions: SessionService;
  mailer: Mailer;
  config: EmailConfig;
  clock: Clock;
}

export class MemberMagicLinkService {
  readonly #deps: MemberMagicLinkDeps;

  constructor(deps: MemberMagicLinkDeps) {
    this.#deps = deps;
  }

  /** A member gets a login link (a pending or invited one the sign-up link); a new address may sign up. */
  async loginOrSignup(projectId: string, environment: Environment, input: LoginOrSignupInput, actor: Actor) {
    const { members, organizations, config } = this.#deps;
    const organization = await organizations.requireOrganization(projectId, input.organization_id);
    const email = normalizeMemberEmail(input.email_address);
    const login = { minutes: checkExpiration(input.login_expiration_minutes, MAGIC_LINK_DEFAULTS.loginExpirationMinutes, 'login_expiration_minutes') };
    const signup = { minutes: checkExpiration(input.signup_expiration_minutes, MAGIC_LINK_DEFAULTS.signupExpirationMinutes, 'signup_expiration_minutes') };
    checkRedirectUrl(input.login_redirect_url, 'invalid_login_redirect_url', 'login_redirect_url');
    checkRedirectUrl(input.signup_redirect_url, 'invalid_signup_redirect_url', 'signup_redirect_url');
    const codeChallenge = checkCodeChallenge(input.pkce_code_challenge);
    let member = await members.findByEmail(projectId, organization.organization_id, email);
    let created = false;
    if (!member) {
      if (!mayJoinByEmail(organization, email)) throw new GatehouseError('invalid_email_for_jit_provisioning');
      try {
        member = await members.createMember(projectId, environment, organization.organization_id, { email_address: email, status: 'pending' }, actor);
        created = true;
      } catch (error) {
        // Another request signed the address up meanwhile: it is a member now.
        if (!isGatehouseError(error, 'duplicate_member_email')) throw error;
        member = await members.findByEmail(projectId, organization.organization_id, email);
        if (!member) throw error;
      }
    }
    const [purpose, minutes, url, errorType, field] =
      member.status === 'active'
        ? (['login', login.minutes, input.login_redirect_url, 'invalid_login_redirect_url', 'login_redirect_url'] as const)
        : (['signup', signup.minutes, input.signup_redirect_url, 'invalid_signup_redirect_url', 'signup_redirect_url'] as const);
    await this.#send(projectId, member, purpose, minutes, (token) => tokenLink(url, config.redirectUrl, 'magic_links', token, errorType, field), codeChallenge);
    return { member, organization, member_created: created };
  }

  /**
   * Creates an invited member with the given roles (validated as on member create) and mails the
   * invite; an invited or pending member is invited again (its fields unchanged); an active one is
   * refused. A member-session caller (`grantor`) passed the route's gate; the roles it grants are
   * checked for escalation in the write transaction.
   */
  async invite(projectId: string, environment: Environment, input: MemberInviteInput, actor: Actor, grantor: MemberActor | null = null) {
    const { members, organizations, config } = this.#deps;
    const organization = await organizations.requireOrganization(projectId, input.organization_id);
    const email = normalizeMemberEmail(input.email_address);
    const minutes = checkExpiration(input.invite_expiration_minutes, MAGIC_LINK_DEFAULTS.inviteExpirationMinutes, 'invite_expiration_minutes');
    checkRedirectUrl(input.invite_redirect_url, 'invalid_invite_redirect_url', 'invite_redirect_url');
    let member = await members.findByEmail(projectId, organization.organization_id, email);
    if (member?.status === 'active') {
      throw new GatehouseError('duplicate_member_email', { message: 'An active member of the organization has this email address; send a login link instead.' });
    }
    if (!member) {
      const { name, trusted_metadata, untrusted_metadata, roles } = input;
      member = await members.createMember(projectId, environment, organization.organization_id, {
        email_address: email, name, trusted_metadata, untrusted_metadata, roles, status: 'invited',
      }, actor, undefined, grantor);
    }
    const link = (token: string) => tokenLink(input.invite_redirect_url, config.redirectUrl, 'magic_links', token, 'invalid_invite_redirect_url', 'invite_redirect_url');
    await this.#send(projectId, member, 'invite', minutes, link);
    return { member, organization };
  }

  /** Spends the token (activating and verifying the member) and grants a member session. */
  async authenticate(projectId: string, environment: Environment, input: MemberMagicLinkAuthenticateInput): Promise<{ grant: MemberSessionGrant; method_id: string }> {
    const { tokens, members, organizations, sessions, clock } = this.#deps;
    const row = await tokens.check(projectId, input.magic_links_token, ['login', 'signup', 'invite'], MAGIC_LINK_ERRORS, input.pkce_code_verifier);
    const grant = await tokens.spendThen(row, MAGIC_LINK_ERRORS, async () => {
      const member = await members.findMember(projectId, row.member_id);
      if (!member) throw new GatehouseError(MAGIC_LINK_ERRORS.unusable);
      const organization = await organizations.requireOrganization(projectId, member.organization_id);
      const { session_token, session_jwt, session_duration_minutes, session_custom_claims } = input;
      return sessions.grantMember(projectId, environment, member, organization, emailLinkFactor(member.member_id, member.email_address, clock.now()), {
        session_token, session_jwt, session_duration_minutes, session_custom_claims,
      });
    });
    return { grant, method_id: row.member_id };
  }

  #send(projectId: string, member: MemberRecord, purpose: TokenPurpose, minutes: number, link: (token: string) => string, codeChallenge?: string) {
    const { tokens, mailer } = this.#deps;
    return mailToken({ tokens, mailer }, { projectId, subject: { member_id: member.member_id }, to: member.email_address, purpose, minutes, link, codeChallenge });
  }
}
