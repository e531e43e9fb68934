// Discovery's response shapes, as Stytch's API returns them.
import { formatTimestamp } from '../shared/clock.ts';
import { toWireMember } from '../members/wire.ts';
import type { MemberService } from '../members/service.ts';
import { toWireOrganization } from '../organizations/wire.ts';
import { memberSignInResponse } from '../sessions/wire.ts';
import type { SessionService } from '../sessions/service.ts';
import type { DiscoveredOrganization, DiscoveryAuthentication, DiscoveryGrant, IntermediateSession } from './service.ts';

/** Stytch's DiscoveredOrganization: the organization, the membership, and whether the proof so far signs the member in. */
export function toWireDiscoveredOrganization(discovered: DiscoveredOrganization, members: MemberService) {
  const { organization, member, type, details, primaryRequired, mfaRequired } = discovered;
  return {
    member_authenticated: primaryRequired === null && mfaRequired === null,
    organization: toWireOrganization(organization),
    membership: {
      type,
      details,
      member: member ? toWireMember(member, organization, members) : null,
    },
    primary_required: primaryRequired === null ? null : { allowed_auth_methods: primaryRequired },
    mfa_required: mfaRequired,
  };
}

export function toWireIntermediateSession(intermediate: IntermediateSession) {
  return { intermediate_session_token: intermediate.token, intermediate_session_token_expires_at: formatTimestamp(intermediate.expiresAt) };
}

/** An exchange's or a creation's answer: the member session, or the intermediate session back with what the organization requires. */
export function toWireDiscoveryGrant(result: DiscoveryGrant, sessions: SessionService, members: MemberService) {
  if (result.kind === 'session') return memberSignInResponse(result.grant, sessions, members);
  const { organization, member } = result;
  return {
    member_id: member?.member_id ?? '',
    organization_id: organization.organization_id,
    member: member ? toWireMember(member, organization, members) : null,
    organization: toWireOrganization(organization),
    session_token: '',
    session_jwt: '',
    member_session: null,
    ...toWireIntermediateSession(result.intermediate),
    member_authenticated: false,
    mfa_required: null,
    primary_required: { allowed_auth_methods: result.allowedAuthMethods },
    member_device: null,
  };
}

/** A discovery authenticate's answer (a link or a passcode): the intermediate session, the address, what it discovers. */
export function toWireDiscoveryAuthentication(result: DiscoveryAuthentication, members: MemberService) {
  return {
    ...toWireIntermediateSession(result.intermediate),
    email_address: result.email_address,
    discovered_organizations: result.discovered.map((entry) => toWireDiscoveredOrganization(entry, members)),
  };
}
