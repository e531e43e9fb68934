// The TOTP and recovery-code answers in Stytch's shapes.
import type { MemberRecord, MemberService } from '../members/service.ts';
import { memberResponse } from '../members/wire.ts';
import type { OrganizationRecord } from '../organizations/service.ts';
import type { MemberSignIn, SessionGrant, SessionService } from '../sessions/service.ts';
import { memberSessionResponse, sessionResponse } from '../sessions/wire.ts';
import type { UserRecord, UserService } from '../users/service.ts';
import { toWireUser } from '../users/wire.ts';

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

export function toWireTotpCreate(result: { user: UserRecord; totp_id: string; secret: string; qr_code: string; recovery_codes: string[] }, users: UserService) {
  const { totp_id, secret, qr_code, recovery_codes } = result;
  return { user_id: result.user.user_id, user: toWireUser(result.user, users), totp_id, secret, qr_code, recovery_codes };
}

export function toWireTotpSession(result: { grant: SessionGrant; totp_id: string }, sessions: SessionService, users: UserService) {
  return { ...sessionResponse(result.grant, sessions, users), totp_id: result.totp_id, user_device: null };
}

export function toWireTotpRecoveryCodes(result: { user: UserRecord; totps: { totp_id: string; verified: boolean; recovery_codes: string[] }[] }) {
  return { user_id: result.user.user_id, totps: result.totps };
}
