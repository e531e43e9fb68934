// B2B email magic links for the browser SDK (/sdk/v1/b2b/magic_links/…) beyond sign-in: the invite,
// sent as the signed-in member (its session is the Basic credentials) into its own organization and
// checked with the /v1 invite's member-session rule — stytch.member create, and the roles it hands
// out no more than the member could grant (checked by the member service in the write transaction).
// trusted_metadata is the project secret's alone.
import { MEMBER_SESSION_RULES } from '../authz/actions.ts';
import { requestActor, type MemberAuthorization } from '../authz/member-authorization.ts';
import type { App } from '../http/app.ts';
import type { MemberService } from '../members/service.ts';
import { memberResponse } from '../members/wire.ts';
import type { RateLimiter } from '../rate-limit/limiter.ts';
import { browserMembers, data, PUBLIC, refuseBrowserWrites, SDK_PREFIX, type SdkHooks } from '../sdk/browser-api.ts';
import type { SessionService } from '../sessions/service.ts';
import type { MemberMagicLinkService } from './b2b-service.ts';
import { BrowserMemberInviteBody } from './schema.ts';

/** The /v1 invite's rule, with the organization the signed-in member's own (the browser names none). */
const INVITE_RULE = { ...MEMBER_SESSION_RULES.memberInvite, organization: { param: 'organization_id' } } as const;

export function registerSdkMagicLinkRoutes(
  app: App,
  deps: { hooks: SdkHooks; memberMagicLinks: MemberMagicLinkService; members: MemberService; sessions: SessionService; memberAuthorization: MemberAuthorization; limiter: RateLimiter },
) {
  const { hooks, memberMagicLinks, members, sessions, memberAuthorization, limiter } = deps;
  const caller = { config: PUBLIC, onRequest: hooks.caller };
  const byEmail = limiter.credentialEndpoint((body: { email_address?: unknown }) => body.email_address);
  const { authorizedMember } = browserMembers({ sessions, memberAuthorization });

  app.post(`${SDK_PREFIX}/b2b/magic_links/email/invite`, { ...caller, schema: { body: BrowserMemberInviteBody }, preHandler: byEmail }, async (request) => {
    const body = request.body;
    refuseBrowserWrites({ trusted_metadata: body.trusted_metadata }, []);
    const actor = await authorizedMember(request, INVITE_RULE);
    const organization_id = actor.organization.organization_id;
    const result = await memberMagicLinks.invite(request.projectId, request.sdk.project.environment, { ...body, organization_id }, requestActor(request), actor);
    return data(request, memberResponse(result.member, result.organization, members));
  });
}
