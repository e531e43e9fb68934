// B2B email magic links: login_or_signup (a login link for a member, a sign-up link for an address
// the organization lets join by email), invite (an invited member with roles), and authenticate,
// which activates and verifies the member and grants a member session. Tokens are the consumer's
// (tokens.ts), kept for members (MEMBER_TOKENS).
import type { MemberActor } from '../authz/member-authorization.ts';
import type { Actor } from '../projects/service.ts';
import type { Clock } from '../clock.ts';
import type { Environment } from '../config.ts';
import type { Mailer } from '../email/mailer.ts';
import { GatehouseError, isGatehouseError } from '../errors.ts';
import { emailLinkFactor } from '../factors.ts';
import { normalizeMemberEmail, type MemberRecord, type MemberService } from '../members/service.ts';
import { emailDomain, type OrganizationRecord, type OrganizationService } from '../organizations/service.ts';
import { REDIRECT_URL_FIELDS, type RedirectUrlService } from '../redirect-urls/service.ts';
import type { MemberSessionGrant, SessionInput, SessionService } from '../sessions/service.ts';
import { MAGIC_LINK_DEFAULTS, mailToken } from './service.ts';
import { checkCodeChallenge, checkExpiration, tokenLink, type EmailTokens, type MemberTokenRow, type TokenErrors, type TokenPurpose } from './tokens.ts';

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
  redirectUrls: RedirectUrlService;
  clock: Clock;
}

export class MemberMagicLinkService {
  readonly #deps: MemberMagicLinkDeps;

  constructor(deps: MemberMagicLinkDeps) {
    this.#deps = deps;
  }

  /** A member gets a login link (a pending or invited one the sign-up link); a new address may sign up. */
  async loginOrSignup(projectId: string, environment: Environment, input: LoginOrSignupInput, actor: Actor) {
    const { members, organizations } = this.#deps;
    const organization = await organizations.requireOrganization(projectId, input.organization_id);
    const email = normalizeMemberEmail(input.email_address);
    const login = { minutes: checkExpiration(input.login_expiration_minutes, MAGIC_LINK_DEFAULTS.loginExpirationMinutes, 'login_expiration_minutes') };
    const signup = { minutes: checkExpiration(input.signup_expiration_minutes, MAGIC_LINK_DEFAULTS.signupExpirationMinutes, 'signup_expiration_minutes') };
    const codeChallenge = checkCodeChallenge(input.pkce_code_challenge);
    // Both given URLs are checked, whichever flow follows; the flow's own is settled before any write.
    if (input.login_redirect_url) await this.#linkUrl(projectId, input, true);
    if (input.signup_redirect_url) await this.#linkUrl(projectId, input, false);
    let member = await members.findByEmail(projectId, organization.organization_id, email);
    let url = await this.#linkUrl(projectId, input, member?.status === 'active');
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
        url = await this.#linkUrl(projectId, input, member.status === 'active');
      }
    }
    const [purpose, minutes] = member.status === 'active' ? (['login', login.minutes] as const) : (['signup', signup.minutes] as const);
    await this.#send(projectId, member, purpose, minutes, (token) => tokenLink(url, 'magic_links', token), codeChallenge);
    return { member, organization, member_created: created };
  }

  /**
   * Creates an invited member with the given roles (validated as on member create) and mails the
   * invite; an invited or pending member is invited again (its fields unchanged); an active one is
   * refused. A member-session caller (`grantor`) passed the route's gate; the roles it grants are
   * checked for escalation in the write transaction.
   */
  async invite(projectId: string, environment: Environment, input: MemberInviteInput, actor: Actor, grantor: MemberActor | null = null) {
    const { members, organizations, redirectUrls } = this.#deps;
    const organization = await organizations.requireOrganization(projectId, input.organization_id);
    const email = normalizeMemberEmail(input.email_address);
    const minutes = checkExpiration(input.invite_expiration_minutes, MAGIC_LINK_DEFAULTS.inviteExpirationMinutes, 'invite_expiration_minutes');
    const url = await redirectUrls.resolve(projectId, 'INVITE', input.invite_redirect_url, REDIRECT_URL_FIELDS.invite_redirect_url);
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
    const link = (token: string) => tokenLink(url, 'magic_links', token);
    await this.#send(projectId, member, 'invite', minutes, link);
    return { member, organization };
  }

  /** The registered URL of a login (active member) or sign-up link: the one given, or the type's default. */
  #linkUrl(projectId: string, input: LoginOrSignupInput, login: boolean): Promise<string> {
    const { redirectUrls } = this.#deps;
    return login
      ? redirectUrls.resolve(projectId, 'LOGIN', input.login_redirect_url, REDIRECT_URL_FIELDS.login_redirect_url)
      : redirectUrls.resolve(projectId, 'SIGNUP', input.signup_redirect_url, REDIRECT_URL_FIELDS.signup_redirect_url);
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
