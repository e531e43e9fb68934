// The OTP answers, in Stytch's shapes. B2B: login_or_signup names the member (and whether it was
// created), authenticate is a member-session answer with the method id. Consumer: sends name the user
// and the phone_id / email_id, authenticate is a session answer with the method id.
import type { MemberService } from '../members/service.ts';
import { memberResponse } from '../members/wire.ts';
import type { OrganizationRecord } from '../organizations/service.ts';
import type { MemberRecord } from '../members/service.ts';
import type { MemberSignIn, SessionGrant, SessionService } from '../sessions/service.ts';
import { memberSessionResponse, sessionResponse } from '../sessions/wire.ts';
import type { UserService } from '../users/service.ts';

export function toWireOtpLoginOrSignup(result: { member: MemberRecord; organization: OrganizationRecord; member_created: boolean }, members: MemberService) {
  return { ...memberResponse(result.member, result.organization, members), member_created: result.member_created };
}

export function toWireOtpAuthenticate(result: { grant: MemberSignIn; method_id: string }, sessions: SessionService, members: MemberService) {
  return { ...memberSessionResponse(result.grant, sessions, members), method_id: result.method_id, member_device: null };
}

/** A consumer send or login_or_create: the user and the method id (phone_id or email_id). */
export function toWireUserOtpSend(channel: 'sms' | 'email', owner: { user_id: string; method_id: string }, userCreated?: boolean) {
  return {
    user_id: owner.user_id,
    [channel === 'sms' ? 'phone_id' : 'email_id']: owner.method_id,
    ...(userCreated === undefined ? {} : { user_created: userCreated }),
  };
}

/** The browser's send or login_or_create: the method id alone, as Stytch's SDK API answers. */
export function toWireBrowserOtpSend(owner: { method_id: string }) {
  return { method_id: owner.method_id };
}

/** A consumer authenticate: a session answer with the method id. */
export function toWireUserOtpAuthenticate(result: { grant: SessionGrant; method_id: string }, sessions: SessionService, users: UserService) {
  return { ...sessionResponse(result.grant, sessions, users), method_id: result.method_id, reset_sessions: false };
}
