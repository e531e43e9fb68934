// B2B TOTP and recovery codes, as Stytch has them: create a member's registration (secret, QR code,
// recovery codes), authenticate a code, recover with a recovery code, get and rotate the codes.
// Authenticate and recover are the MFA step of a sign-in: the sign-in decision first checks the
// organization allows TOTP and that a primary authentication of the member is presented (its
// intermediate session, or a session), then — the code right — grants the member session with the
// factors so far and this one (sessions/member-sign-in.ts).
import type { Actor } from '../projects/service.ts';
import { GatehouseError } from '../shared/errors.ts';
import type { Clock } from '../shared/clock.ts';
import type { Environment } from '../shared/config.ts';
import { checkExpiration } from '../magic-links/tokens.ts';
import type { MemberRecord, MemberService } from '../members/service.ts';
import type { OrganizationRecord, OrganizationService } from '../organizations/service.ts';
import { recoveryCodeFactor, totpFactor } from '../sessions/factors.ts';
import { checkNewMfaFactor } from '../sessions/member-sign-in.ts';
import type { MemberSignIn, MemberSignInInput, SessionService } from '../sessions/service.ts';
import { TOTP_EXPIRATION_MINUTES, type TotpOwner, type TotpRegistrations } from './registrations.ts';
import { totpQrCode } from './totp.ts';

export interface B2BTotpDeps {
  registrations: TotpRegistrations;
  members: MemberService;
  organizations: OrganizationService;
  sessions: SessionService;
  clock: Clock;
}

interface MemberRef {
  organization_id: string;
  member_id: string;
}

export interface B2BTotpAuthenticateInput extends MemberRef, MemberSignInInput {
  code: string;
  set_mfa_enrollment?: 'enroll' | 'unenroll';
  set_default_mfa?: boolean;
}

export interface B2BRecoverInput extends MemberRef, MemberSignInInput {
  recovery_code: string;
}

const ownerOf = (member: MemberRecord): TotpOwner => ({ organizationId: member.organization_id, memberId: member.member_id });

export class B2BTotpService {
  readonly #deps: B2BTotpDeps;

  constructor(deps: B2BTotpDeps) {
    this.#deps = deps;
  }

  async #member(projectId: string, ref: MemberRef): Promise<{ member: MemberRecord; organization: OrganizationRecord }> {
    const organization = await this.#deps.organizations.requireOrganization(projectId, ref.organization_id);
    const member = await this.#deps.members.getMember(projectId, organization.organization_id, { member_id: ref.member_id });
    return { member, organization };
  }

  /** A pending registration (`proof`: what a browser presents for the member) (active after its first right code): secret, QR code and recovery codes, shown this once. */
  async create(projectId: string, environment: Environment, input: MemberRef & { expiration_minutes?: number }, proof?: MemberSignInInput) {
    const { member, organization } = await this.#member(projectId, input);
    // A browser enrols the member it proves: its session, or an intermediate session bound to it with the primary rule met.
    if (proof) await this.#deps.sessions.checkMfaStep(projectId, member, organization, proof, 'totp');
    if (proof) checkNewMfaFactor(member, proof, 'totp');
    const minutes = checkExpiration(input.expiration_minutes, TOTP_EXPIRATION_MINUTES.fallback, 'expiration_minutes', TOTP_EXPIRATION_MINUTES);
    const created = await this.#deps.registrations.create(projectId, environment, ownerOf(member), minutes);
    const qr_code = await totpQrCode(created.secret, organization.organization_name, member.email_address);
    return { member, organization, totp_registration_id: created.totp_id, secret: created.secret, qr_code, recovery_codes: created.recovery_codes };
  }

  /** The MFA step with a TOTP code; optionally enrols the member in MFA and makes TOTP its default. */
  async authenticate(projectId: string, environment: Environment, input: B2BTotpAuthenticateInput, actor: Actor): Promise<MemberSignIn> {
    const { registrations, sessions, members, clock } = this.#deps;
    let { member, organization } = await this.#member(projectId, input);
    await sessions.checkMfaStep(projectId, member, organization, input, 'totp');
    // A pending registration (one created earlier) activated by an intermediate session is a new second factor too.
    if (member.totp_registration_id === '') checkNewMfaFactor(member, input, 'totp');
    const totpId = await registrations.authenticate(projectId, ownerOf(member), input.code);
    if (input.set_mfa_enrollment !== undefined || input.set_default_mfa) {
      member = await members.updateMember(projectId, organization.organization_id, member.member_id, {
        ...(input.set_mfa_enrollment !== undefined ? { mfa_enrolled: input.set_mfa_enrollment === 'enroll' } : {}),
        ...(input.set_default_mfa ? { default_mfa_method: 'totp' } : {}),
      }, actor);
    } else {
      // Its totp_registration_id may have just become active.
      member = await members.getMember(projectId, organization.organization_id, { member_id: member.member_id });
    }
    return this.#grant(projectId, environment, member, organization, totpFactor(totpId, clock.now()), input);
  }

  /** The MFA step with a recovery code (spent); answers how many remain. */
  async recover(projectId: string, environment: Environment, input: B2BRecoverInput): Promise<{ grant: MemberSignIn; remaining: number }> {
    const { registrations, sessions, clock } = this.#deps;
    const { member, organization } = await this.#member(projectId, input);
    await sessions.checkMfaStep(projectId, member, organization, input, 'totp');
    const { totp_id, remaining } = await registrations.recover(projectId, ownerOf(member), input.recovery_code);
    return { grant: await this.#grant(projectId, environment, member, organization, recoveryCodeFactor(totp_id, clock.now()), input), remaining };
  }

  async recoveryCodes(projectId: string, input: MemberRef) {
    const { member, organization } = await this.#member(projectId, input);
    const { recovery_codes } = await this.#deps.registrations.recoveryCodes(projectId, ownerOf(member));
    return { member, organization, recovery_codes };
  }

  async rotate(projectId: string, input: MemberRef) {
    const { member, organization } = await this.#member(projectId, input);
    const { recovery_codes } = await this.#deps.registrations.rotate(projectId, ownerOf(member));
    return { member, organization, recovery_codes };
  }

  /** organizations.members.deleteTOTP: the member's registration goes; its sessions stay (as Stytch). */
  async remove(projectId: string, input: MemberRef) {
    const { member } = await this.#member(projectId, input);
    if (!(await this.#deps.registrations.remove(projectId, ownerOf(member)))) throw new GatehouseError('totp_not_found');
    return this.#member(projectId, input);
  }

  #grant(projectId: string, environment: Environment, member: MemberRecord, organization: OrganizationRecord, factor: ReturnType<typeof totpFactor>, input: MemberSignInInput) {
    const { session_token, session_jwt, session_duration_minutes, session_custom_claims, intermediate_session_token, callerAttributes } = input;
    return this.#deps.sessions.grantMember(projectId, environment, member, organization, factor, {
      session_token, session_jwt, session_duration_minutes, session_custom_claims, intermediate_session_token, callerAttributes,
    });
  }
}
