// B2B password reset answers, in Stytch's shapes. A member's one address has no id of its own:
// member_email_id is the member id (as the member's factors name it).
import type { MemberRecord, MemberService } from '../members/service.ts';
import { memberResponse } from '../members/wire.ts';
import type { OrganizationRecord } from '../organizations/service.ts';
import type { MemberSignIn, SessionService } from '../sessions/service.ts';
import { memberSessionResponse } from '../sessions/wire.ts';

export function toWireMemberResetStart(result: { member: MemberRecord; organization: OrganizationRecord }, members: MemberService) {
  return { ...memberResponse(result.member, result.organization, members), member_email_id: result.member.member_id };
}

export function toWireMemberReset(grant: MemberSignIn, sessions: SessionService, members: MemberService) {
  return { ...memberSessionResponse(grant, sessions, members), member_email_id: grant.member.member_id, member_device: null };
}
