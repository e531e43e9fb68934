// A member's email update as the /v1 and SDK member routes both start it: the delivery check, the
// update that starts it, and the rate limit on the links it sends.
import type { FastifyRequest } from 'fastify';
import { requestActor, type MemberActor } from '../authz/member-authorization.ts';
import { GatehouseError } from '../shared/errors.ts';
import type { MemberMagicLinkService } from '../magic-links/b2b-service.ts';
import type { RateLimiter } from '../rate-limit/limiter.ts';
import type { UpdateMemberBodyType } from './schema.ts';
import type { MemberRecord, MemberService, UpdateMemberInput } from './service.ts';

/** Only Stytch's email magic link proves a new address here (Gatehouse sends no email OTPs). */
export function checkEmailUpdateDelivery(deliveryMethod: string | undefined): void {
  if (deliveryMethod !== undefined && deliveryMethod !== 'EMAIL_MAGIC_LINK') {
    throw new GatehouseError('unsupported_delivery_method');
  }
}

/**
 * A member update: a new email_address is not written but starts an email update (a link to the
 * new address, see startEmailUpdate); the other fields are written at once. If they fail, the
 * link is voided, so the request changes nothing. `grantor`: the member session acting, if any
 * (the member-session rule has checked update.info.email; changing another member's address is a
 * grant, which the member service decides under the grant locks).
 */
export async function updateMemberAndStartEmailUpdate(
  deps: { members: MemberService; memberMagicLinks: MemberMagicLinkService },
  request: FastifyRequest,
  grantor: MemberActor | null,
  organizationId: string,
  memberId: string,
  body: UpdateMemberBodyType,
): Promise<MemberRecord> {
  const { email_address, unlink_email: _unlink, preserve_existing_sessions: _preserve, ...fields } = body;
  // As Stytch has it: a member changes its own address with start_email_update, not here.
  if (email_address !== undefined && grantor?.member.member_id === memberId) {
    throw new GatehouseError('own_email_update_not_allowed');
  }
  const emailUpdate = email_address === undefined
    ? null
    : await deps.memberMagicLinks.startEmailUpdate(request.projectId, { organization_id: organizationId, member_id: memberId, email_address }, grantor);
  const input: UpdateMemberInput = fields;
  if (emailUpdate && Object.values(input).every((value) => value === undefined)) return emailUpdate.member;
  try {
    return await deps.members.updateMember(request.projectId, organizationId, memberId, input, requestActor(request), grantor);
  } catch (error) {
    await emailUpdate?.discard();
    throw error;
  }
}

/** Rate limits a request that sends a link to a new address (by that address and by IP); others pass. */
export function limitEmailUpdateSends(limiter: RateLimiter) {
  const byNewAddress = limiter.credentialEndpoint((body: { email_address?: unknown }) => body.email_address);
  return async (request: FastifyRequest, reply: Parameters<typeof byNewAddress>[1]) => {
    if ((request.body as { email_address?: unknown } | undefined)?.email_address !== undefined) await byNewAddress(request, reply);
  };
}
