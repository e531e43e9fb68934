// The TOTP and recovery-code answers in Stytch's shapes.
import type { MemberRecord, MemberService } from '../members/service.ts';
import { memberResponse } from '../members/wire.ts';
import type { OrganizationRecord } from '../organizations/service.ts';
import type { MemberSignIn, SessionService } from '../sessions/service.ts';
import { memberSessionResponse } from '../sessions/wire.ts';

type WithMember = { member: MemberRecord; organization: OrganizationRecord };

export function toWireB2BTotpCreate(result: WithMember & { totp_registration_id: string; secret: string; qr_code: string; recovery_codes: string[] }, members: MemberService) {
  const { totp_registration_id, secret, qr_code, recovery_codes } = result;
  return { ...memberResponse(result.member, result.organization, members), totp_registration_id, secret, qr_code, recovery_codes };
}

export function toWireB2BTotpAuthenticate(grant: MemberSignIn, sessions: SessionService, members: MemberService) {
  return { ...memberSessionResponse(grant, sessions, members), member_device: null };
}

export function toWireB2BRecover(result: { grant: MemberSignIn; remaining: number }, sessions: SessionService, members: MemberService) {
  return { ...memberSessionResponse(result.grant, sessions, members), recovery_codes_remaining: result.remaining, member_device: null };
}

export function toWireB2BRecoveryCodes(result: WithMember & { recovery_codes: string[] }, members: MemberService) {
  return { ...memberResponse(result.member, result.organization, members), recovery_codes: result.recovery_codes };
}
