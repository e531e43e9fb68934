// B2B SMS one-time passcodes, Stytch's MFA factor: send texts a 6-digit code to the member's
// mfa_phone_number (a member without one gets the number given, unverified until a code sent to it
// is authenticated); authenticate turns the code into the `otp`/`sms` factor and hands it to the
// sign-in decision (sessions/member-sign-in.ts) as a second factor: with an intermediate session
// (mfa_required answered after a primary authentication) it completes the sign-in, with a session it
// adds the factor. Either must already meet the organization's primary rule, else
// action_available_only_once_primary_authentication_is_met. The codes are otps/codes.ts' (kind 'mfa',
// channel 'sms'); the texts go through email/sms.ts (the outbox or the signed webhook).
import type { Clock } from '../shared/clock.ts';
import type { Environment } from '../shared/config.ts';
import { GatehouseError } from '../shared/errors.ts';
import { checkPhone } from '../shared/fields.ts';
import { composeCodeSms, type SmsSender } from '../email/sms.ts';
import { setUnverifiedMfaPhone, verifyMfaPhone } from '../members/repository.ts';
import type { MemberRecord, MemberService } from '../members/service.ts';
import type { OrganizationRecord, OrganizationService } from '../organizations/service.ts';
import { smsOtpFactor } from '../sessions/factors.ts';
import { checkNewMfaFactor } from '../sessions/member-sign-in.ts';
import type { MemberSignIn, MemberSignInInput, SessionService } from '../sessions/service.ts';
import type { ChangeFeed } from '../store/change-feed.ts';
import { OTP_EXPIRATION_MINUTES, type OtpCodes } from './codes.ts';

export interface SmsSendInput {
  organization_id: string;
  member_id: string;
  mfa_phone_number?: string;
  intermediate_session_token?: string;
  session_token?: string;
  session_jwt?: string;
}

export interface SmsAuthenticateInput extends MemberSignInInput {
  organization_id: string;
  member_id: string;
  code: string;
  set_mfa_enrollment?: string;
  set_default_mfa?: boolean;
}

export interface MemberSmsDeps {
  codes: OtpCodes;
  members: MemberService;
  organizations: OrganizationService;
  sessions: SessionService;
  sms: SmsSender;
  feed: ChangeFeed;
  clock: Clock;
}

export class MemberSmsOtps {
  readonly #deps: MemberSmsDeps;

  constructor(deps: MemberSmsDeps) {
    this.#deps = deps;
  }

  /**
   * Texts the member a code. `requirePrimary` (the browser): only for the member its intermediate
   * session or session names, once the primary rule is met. A verified number is the only one codes go to.
   */
  async send(projectId: string, input: SmsSendInput, options: { requirePrimary: boolean }): Promise<{ member: MemberRecord; organization: OrganizationRecord }> {
    const { members, organizations, sessions, feed, clock } = this.#deps;
    const organization = await organizations.requireOrganization(projectId, input.organization_id);
    let member = await this.#member(projectId, organization, input.member_id);
    if (options.requirePrimary) await sessions.checkMfaStep(projectId, member, organization, input, 'sms_otp');
    const given = input.mfa_phone_number ? checkPhone(input.mfa_phone_number) : undefined;
    // A code to a number not yet verified (a new one, or one set earlier) enrols a new second factor.
    if ((given && given !== member.mfa_phone_number) || !member.mfa_phone_number_verified) checkNewMfaFactor(member, input, 'sms_otp');
    if (given && given !== member.mfa_phone_number) {
      if (member.mfa_phone_number && member.mfa_phone_number_verified) throw new GatehouseError('mfa_phone_number_already_verified');
      await feed.write(async (tx, emit) => {
        await setUnverifiedMfaPhone(tx, member.member_id, given, clock.now());
        emit({ type: 'member', project_id: projectId, organization_id: organization.organization_id, member_id: member.member_id });
      });
      member = await this.#member(projectId, organization, member.member_id);
    }
    if (!member.mfa_phone_number) throw new GatehouseError('member_phone_number_not_found');
    await this.sendTo(projectId, member);
    return { member, organization };
  }

  /** Issues a code for the member's number and texts it; a text that cannot be sent voids its code. */
  async sendTo(projectId: string, member: MemberRecord): Promise<void> {
    const { codes, sms } = this.#deps;
    const minutes = OTP_EXPIRATION_MINUTES.fallback;
    const to = member.mfa_phone_number;
    const { code, otpId } = await codes.issue({ projectId, kind: 'mfa', channel: 'sms', address: to, organizationId: member.organization_id, memberId: member.member_id, minutes });
    try {
      await sms.send(composeCodeSms({ projectId, to, code, expiresInMinutes: minutes }));
    } catch (error) {
      await codes.discard(otpId);
      throw error;
    }
  }

  /**
   * The member's code: checked (a try), the second-factor precondition checked before it is spent,
   * spent, the sign-in decided with the otp/sms factor (the code live again if that fails), then the
   * number marked verified (and enrollment / default method set when asked).
   */
  async authenticate(projectId: string, environment: Environment, input: SmsAuthenticateInput): Promise<{ grant: MemberSignIn; method_id: string }> {
    const { codes, members, organizations, sessions, feed, clock } = this.#deps;
    const organization = await organizations.requireOrganization(projectId, input.organization_id);
    const member = await this.#member(projectId, organization, input.member_id);
    if (input.set_mfa_enrollment !== undefined && input.set_mfa_enrollment !== 'enroll' && input.set_mfa_enrollment !== 'unenroll') {
      throw new GatehouseError('invalid_set_mfa_enrollment');
    }
    await sessions.checkMfaStep(projectId, member, organization, input, 'sms_otp');
    if (!member.mfa_phone_number) throw new GatehouseError('otp_code_not_found');
    if (!member.mfa_phone_number_verified) checkNewMfaFactor(member, input, 'sms_otp');
    const row = await codes.check({ projectId, kind: 'mfa', channel: 'sms', address: member.mfa_phone_number, organizationId: organization.organization_id }, input.code);
    if (row.member_id !== member.member_id) throw new GatehouseError('unable_to_auth_otp_code');
    const { usedAt } = await codes.spend(row);
    let grant: MemberSignIn;
    try {
      const { session_token, session_jwt, session_duration_minutes, session_custom_claims, intermediate_session_token, callerAttributes } = input;
      grant = await sessions.grantMember(projectId, environment, member, organization, smsOtpFactor(member.member_id, row.address, clock.now()), {
        session_token, session_jwt, session_duration_minutes, session_custom_claims, intermediate_session_token, callerAttributes,
      }, { secondFactor: 'sms_otp' });
    } catch (error) {
      await codes.unspend(row, usedAt);
      throw error;
    }
    const enroll = input.set_mfa_enrollment === undefined ? undefined : input.set_mfa_enrollment === 'enroll';
    await feed.write(async (tx, emit) => {
      if (await verifyMfaPhone(tx, member.member_id, row.address, clock.now(), enroll, input.set_default_mfa ? 'sms_otp' : undefined)) {
        emit({ type: 'member', project_id: projectId, organization_id: organization.organization_id, member_id: member.member_id });
      }
    });
    const updated = await members.findMember(projectId, member.member_id);
    return { grant: { ...grant, member: updated ?? grant.member }, method_id: member.member_id };
  }

  async #member(projectId: string, organization: OrganizationRecord, memberId: string): Promise<MemberRecord> {
    const member = await this.#deps.members.getMember(projectId, organization.organization_id, { member_id: memberId });
    if (member.status === 'deleted') throw new GatehouseError('member_deleted');
    return member;
  }
}
