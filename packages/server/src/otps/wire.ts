// The B2B email OTP answers, in Stytch's shapes: login_or_signup names the member (and whether it
// was created), authenticate is a member-session answer with the method id.
import type { MemberService } from '../members/service.ts';
import { memberResponse } from '../members/wire.ts';
import type { OrganizationRecord } from '../organizations/service.ts';
import type { MemberRecord } from '../members/service.ts';
import type { MemberSignIn, SessionService } from '../sessions/service.ts';
import { memberSessionResponse } from '../sessions/wire.ts';

export function toWireOtpLoginOrSignup(result: { member: MemberRecord; organization: OrganizationRecord; member_created: boolean }, members: MemberService) {
  return { ...memberResponse(result.member, result.organization, members), member_created: result.member_created };
}

export function toWireOtpAuthenticate(result: { grant: MemberSignIn; method_id: string }, sessions: SessionService, members: MemberService) {
  return { ...memberSessionResponse(result.grant, sessions, members), method_id: result.method_id, member_device: null };
}
