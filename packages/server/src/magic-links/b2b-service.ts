// B2B email magic links: login_or_signup (a login link for a member, a sign-up link for an address
// the organization lets join by email), invite (an invited member with roles), and authenticate,
// which activates and verifies the member and grants a member session. Tokens are the consumer's
// (tokens.ts), kept for members (MEMBER_TOKENS).
import type { MemberActor } from '../authz/member-authorization.ts';
import type { Actor } from '../projects/service.ts';
import type { Clock } from '../shared/clock.ts';
import type { Environment } from '../shared/config.ts';
import type { Mailer } from '../email/mailer.ts';
import { GatehouseError, isGatehouseError } from '../shared/errors.ts';
import { emailLinkFactor } from '../sessions/factors.ts';
import { normalizeMemberEmail, type MemberRecord, type MemberService } from '../members/service.ts';
import { emailDomain, type OrganizationRecord, type OrganizationService } from '../organizations/service.ts';
import { REDIRECT_URL_FIELDS, type RedirectUrlService } from '../redirect-urls/service.ts';
import { checkSessionInput, type MemberSignIn, type MemberSignInInput, type SessionService } from '../sessions/service.ts';
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

/** Stytch's start_email_update: the link to the new address works for 5 minutes. */
export const EMAIL_UPDATE_EXPIRATION_MINUTES = 5;

export interface EmailUpdateInput {
  organization_id: string;
  member_id: string;
  email_address: string;
  login_redirect_url?: string;
}

export interface MemberMagicLinkAuthenticateInput extends MemberSignInInput {
  magic_links_token: string;
  pkce_code_verifier?: string;
}

/**
 * Whether the organization lets an unknown address sign up by email (Stytch's email JIT provisioning:
 * RESTRICTED to the addresses of email_allowed_domains; NOT_ALLOWED); the error Stytch gives if not.
 */
export function checkJoinByEmail(organization: OrganizationRecord, email: string): void {
  if (organization.settings.email_jit_provisioning !== 'RESTRICTED') throw new GatehouseError('email_jit_provisioning_not_allowed');
  if (!organization.email_allowed_domains.includes(emailDomain(email))) throw new GatehouseError('invalid_email_for_jit_provisioning');
}

/**
 * Whether the organization lets this address be invited by email (email_invites: ALL_ALLOWED;
 * RESTRICTED to the addresses of email_allowed_domains; NOT_ALLOWED); the error Stytch gives if not.
 */
export function checkInviteByEmail(organization: OrganizationRecord, email: string): void {
  const { email_invites } = organization.settings;
  if (email_invites === 'NOT_ALLOWED') throw new GatehouseError('email_invites_not_allowed');
  if (email_invites === 'RESTRICTED' && !organization.email_allowed_domains.includes(emailDomain(email))) throw new GatehouseError('invalid_email_for_invites');
}

/**
 * The member an organization login by email is for (magic link or passcode login_or_signup): the
 * address's member, or — when the organization lets the address join by email — a new pending one.
 * `beforeCreate` runs before a member is written (settling what could still refuse the request).
 */
export async function memberForEmailLogin(
  members: MemberService, projectId: string, environment: Environment, organization: OrganizationRecord, email: string, actor: Actor,
  beforeCreate?: () => Promise<unknown>,
): Promise<{ member: MemberRecord; created: boolean }> {
  const found = await members.findByEmail(projectId, organization.organization_id, email);
  if (found) return { member: found, created: false };
  await beforeCreate?.();
  checkJoinByEmail(organization, email);
  try {
    return { member: await members.createMember(projectId, environment, organization.organization_id, { email_address: email, status: 'pending' }, actor), created: true };
  } catch (error) {
    // Another request signed the address up meanwhile: it is a member now.
    if (!isGatehouseError(error, 'duplicate_member_email')) throw error;
    const member = await members.findByEmail(projectId, organization.organization_id, email);
    if (!member) throw error;
    return { member, created: false };
  }
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
    // The sign-up link's URL is settled before a new member is written.
    const { member, created } = await memberForEmailLogin(members, projectId, environment, organization, email, actor, () => this.#linkUrl(projectId, input, false));
    const url = await this.#linkUrl(projectId, input, member.status === 'active');
    const [purpose, minutes] = member.status === 'active' ? (['login', login.minutes] as const) : (['signup', signup.minutes] as const);
    await this.#send(projectId, member, purpose, minutes, (token) => tokenLink(url, 'multi_tenant_magic_links', token), codeChallenge);
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
    checkInviteByEmail(organization, email);
    const minutes = checkExpiration(input.invite_expiration_minutes, MAGIC_LINK_DEFAULTS.inviteExpirationMinutes, 'invite_expiration_minutes');
    const url = await redirectUrls.resolve(projectId, 'INVITE', input.invite_redirect_url, REDIRECT_URL_FIELDS.invite_redirect_url);
    let member = await members.findByEmail(projectId, organization.organization_id, email);
    if (member?.status === 'active') {
      throw new GatehouseError('member_email_already_active');
    }
    if (!member) {
      const { name, trusted_metadata, untrusted_metadata, roles } = input;
      member = await members.createMember(projectId, environment, organization.organization_id, {
        email_address: email, name, trusted_metadata, untrusted_metadata, roles, status: 'invited',
      }, actor, undefined, grantor);
    }
    const link = (token: string) => tokenLink(url, 'multi_tenant_magic_links', token);
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

  /**
   * Starts a change of the member's address: mails a link to the new address (its token carries the
   * address) and changes nothing else. The member keeps its address — and signs in with it — until
   * the link is followed (authenticate); a newer request voids the older link. `grantor`: the member
   * session acting (its stytch.* actions are the route's rule); changing another member's address is
   * a grant, which checkEmailUpdate decides under the grant locks. Returns a `discard` that voids the
   * link, for a caller whose other writes fail after it.
   */
  async startEmailUpdate(projectId: string, input: EmailUpdateInput, grantor: MemberActor | null = null): Promise<{ member: MemberRecord; discard: () => Promise<void> }> {
    const { tokens, members, mailer, redirectUrls } = this.#deps;
    // The link signs the member in: a registered LOGIN URL (the one given, or the type's default), checked before anything is written.
    const url = await redirectUrls.resolve(projectId, 'LOGIN', input.login_redirect_url, REDIRECT_URL_FIELDS.login_redirect_url);
    // The older link is voided and the new token written in the transaction that checked the request.
    const { member, email, issued } = await members.checkEmailUpdate(projectId, input.organization_id, input.member_id, input.email_address, grantor, async (tx, address) => {
      await tokens.revoke(projectId, input.member_id, ['email_update'], tx);
      return tokens.issue({
        projectId, subject: { member_id: input.member_id }, purpose: 'email_update', expiresInMinutes: EMAIL_UPDATE_EXPIRATION_MINUTES, emailAddress: address,
      }, tx);
    });
    if (email === null || !issued) return { member, discard: async () => {} };
    const link = (token: string) => tokenLink(url, 'multi_tenant_magic_links', token);
    const { tokenHash } = await mailToken({ tokens, mailer }, {
      projectId, subject: { member_id: member.member_id }, to: email, purpose: 'email_update', minutes: EMAIL_UPDATE_EXPIRATION_MINUTES, link, issued,
    });
    return { member, discard: () => tokens.discard(tokenHash) };
  }

  /**
   * Spends the token (activating and verifying the member; for an email update, swapping the new
   * address in) and grants a member session.
   */
  async authenticate(projectId: string, environment: Environment, input: MemberMagicLinkAuthenticateInput): Promise<{ grant: MemberSignIn; method_id: string }> {
    const { tokens, members, organizations, sessions, clock } = this.#deps;
    const row = await tokens.check(projectId, input.magic_links_token, ['login', 'signup', 'invite', 'email_update'], MAGIC_LINK_ERRORS, input.pkce_code_verifier);
    if (row.purpose === 'email_update') return this.#confirmEmailUpdate(projectId, environment, row, input);
    // Checked before the spend: the verification it records in the audit log is not undone.
    checkSessionInput(input);
    const grant = await tokens.spendThen(row, MAGIC_LINK_ERRORS, async () => {
      const member = await members.findMember(projectId, row.member_id);
      if (!member) throw new GatehouseError(MAGIC_LINK_ERRORS.unusable);
      const organization = await organizations.requireOrganization(projectId, member.organization_id);
      const { session_token, session_jwt, session_duration_minutes, session_custom_claims, intermediate_session_token, callerAttributes } = input;
      return sessions.grantMember(projectId, environment, member, organization, emailLinkFactor(member.member_id, member.email_address, clock.now()), {
        session_token, session_jwt, session_duration_minutes, session_custom_claims, intermediate_session_token, callerAttributes,
      });
    }, (tx) => members.recordVerification(tx, row));
    return { grant, method_id: row.member_id };
  }

  /**
   * An email update's link: the address is swapped in as the token is spent, then a session is
   * granted for it. The session's input is checked first; if the grant still fails, the change
   * stands (the new address was proven) and the member signs in again as usual.
   */
  async #confirmEmailUpdate(projectId: string, environment: Environment, row: MemberTokenRow, input: MemberMagicLinkAuthenticateInput) {
    const { tokens, members, organizations, sessions, clock } = this.#deps;
    checkSessionInput(input);
    await tokens.spend(row, MAGIC_LINK_ERRORS, (tx) => members.confirmEmailUpdate(tx, row, row.new_email_address!, clock.now()));
    const member = await members.findMember(projectId, row.member_id);
    if (!member) throw new GatehouseError(MAGIC_LINK_ERRORS.unusable);
    const organization = await organizations.requireOrganization(projectId, member.organization_id);
    const { session_token, session_jwt, session_duration_minutes, session_custom_claims, intermediate_session_token, callerAttributes } = input;
    const grant = await sessions.grantMember(projectId, environment, member, organization, emailLinkFactor(member.member_id, member.email_address, clock.now()), {
      session_token, session_jwt, session_duration_minutes, session_custom_claims, intermediate_session_token, callerAttributes,
    });
    return { grant, method_id: row.member_id };
  }

  #send(projectId: string, member: MemberRecord, purpose: TokenPurpose, minutes: number, link: (token: string) => string, codeChallenge?: string) {
    const { tokens, mailer } = this.#deps;
    return mailToken({ tokens, mailer }, { projectId, subject: { member_id: member.member_id }, to: member.email_address, purpose, minutes, link, codeChallenge });
  }
}
