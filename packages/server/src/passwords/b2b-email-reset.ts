// B2B password reset by email (Stytch's /v1/b2b/passwords/email/reset/start and /reset): a one-time
// link (stytch_token_type=multi_tenant_passwords, to a registered RESET_PASSWORD URL, PKCE optional)
// to a member of an organization; then the token and a new password replace the member's password,
// verify its address (an invited or pending member is active), end its other sessions and start a
// session. The consumer's reset (email-reset.ts) settles the same options the same way.
import type { Clock } from '../shared/clock.ts';
import type { Environment } from '../shared/config.ts';
import type { Mailer } from '../email/mailer.ts';
import { GatehouseError } from '../shared/errors.ts';
import { mailToken } from '../magic-links/service.ts';
import type { MemberTokens } from '../magic-links/b2b-service.ts';
import { tokenLink } from '../magic-links/tokens.ts';
import { normalizeMemberEmail, type MemberRecord, type MemberService } from '../members/service.ts';
import type { OrganizationRecord, OrganizationService } from '../organizations/service.ts';
import type { RedirectUrlService } from '../redirect-urls/service.ts';
import { checkSessionInput, type MemberSignIn, type MemberSignInInput, type SessionService } from '../sessions/service.ts';
import { memberPasswordFactor, type MemberPasswordService } from './b2b-service.ts';
import { RESET_ERRORS, settleResetStart } from './email-reset.ts';
import type { PasswordService } from './service.ts';

export interface MemberResetStartInput {
  organization_id: string;
  email_address: string;
  reset_password_redirect_url?: string;
  reset_password_expiration_minutes?: number;
  code_challenge?: string;
  login_redirect_url?: string;
}

export interface MemberResetInput extends MemberSignInInput {
  password_reset_token: string;
  password: string;
  code_verifier?: string;
}

export interface MemberPasswordResetDeps {
  tokens: MemberTokens;
  members: MemberService;
  organizations: OrganizationService;
  sessions: SessionService;
  passwords: PasswordService;
  memberPasswords: MemberPasswordService;
  mailer: Mailer;
  redirectUrls: RedirectUrlService;
  clock: Clock;
}

export class MemberPasswordResetService {
  readonly #deps: MemberPasswordResetDeps;

  constructor(deps: MemberPasswordResetDeps) {
    this.#deps = deps;
  }

  /** Mails the reset link to the organization's member with this address (member_not_found otherwise, as Stytch answers). */
  async start(projectId: string, input: MemberResetStartInput): Promise<{ member: MemberRecord; organization: OrganizationRecord }> {
    const { tokens, members, organizations, mailer, redirectUrls } = this.#deps;
    const organization = await organizations.requireOrganization(projectId, input.organization_id);
    const email = normalizeMemberEmail(input.email_address);
    const { minutes, codeChallenge, url } = await settleResetStart(redirectUrls, projectId, input);
    const member = await members.findByEmail(projectId, organization.organization_id, email);
    if (!member || member.status === 'deleted') throw new GatehouseError('member_email_not_found');
    await mailToken({ tokens, mailer }, {
      projectId, subject: { member_id: member.member_id }, to: member.email_address, purpose: 'reset_password', minutes,
      link: (token) => tokenLink(url, 'multi_tenant_passwords', token), codeChallenge,
    });
    return { member, organization };
  }

  /**
   * The browser's start (/sdk/v1, the public token alone): the same answer for a member and a
   * stranger. One read for both; the token and the message are made after the answer (as the
   * consumer's start does), so neither the answer nor its timing tells who is a member.
   */
  async startQuietly(projectId: string, input: MemberResetStartInput): Promise<void> {
    const { tokens, members, organizations, mailer, redirectUrls } = this.#deps;
    const organization = await organizations.requireOrganization(projectId, input.organization_id);
    const email = normalizeMemberEmail(input.email_address);
    const { minutes, codeChallenge, url } = await settleResetStart(redirectUrls, projectId, input);
    const member = await members.findByEmail(projectId, organization.organization_id, email);
    if (!member || member.status === 'deleted') return;
    mailer.inBackground('member password reset email', async () => {
      await mailToken({ tokens, mailer }, {
        projectId, subject: { member_id: member.member_id }, to: member.email_address, purpose: 'reset_password', minutes,
        link: (token) => tokenLink(url, 'multi_tenant_passwords', token), codeChallenge,
      });
    });
  }

  /**
   * Everything that can be refused is checked first (the token, PKCE, the password's strength, the
   * session fields). Then one transaction spends the token, verifies the address (activating the
   * member) and replaces the password; the member's sessions end and a new one is granted.
   */
  async reset(projectId: string, environment: Environment, input: MemberResetInput): Promise<MemberSignIn> {
    const { tokens, members, organizations, sessions, passwords, memberPasswords } = this.#deps;
    const row = await tokens.check(projectId, input.password_reset_token, ['reset_password'], RESET_ERRORS, input.code_verifier);
    const stored = await passwords.prepareNewPassword(input.password, row.email);
    checkSessionInput(input);
    await tokens.spend(row, RESET_ERRORS, async (tx) => {
      await memberPasswords.storePassword(tx, projectId, environment, row.member_id, stored);
      await members.recordVerification(tx, row, 'passwords.email.reset');
    });
    // A new password ends every session the member had (as Stytch's consumer reset does).
    await sessions.revokeMember(projectId, { member_id: row.member_id }, async () => {});
    const member = await members.findMember(projectId, row.member_id);
    if (!member) throw new GatehouseError(RESET_ERRORS.unusable);
    const organization = await organizations.requireOrganization(projectId, member.organization_id);
    return this.#grant(projectId, environment, member, organization, input);
  }

  /** The one place a password reset signs a member in, through the sign-in decision (the organization's rules may ask for more). */
  #grant(projectId: string, environment: Environment, member: MemberRecord, organization: OrganizationRecord, input: MemberSignInInput) {
    const { session_duration_minutes, session_custom_claims, intermediate_session_token, callerAttributes } = input;
    return this.#deps.sessions.grantMember(projectId, environment, member, organization, memberPasswordFactor(member, this.#deps.clock.now()), {
      session_duration_minutes, session_custom_claims, intermediate_session_token, callerAttributes,
    });
  }
}
