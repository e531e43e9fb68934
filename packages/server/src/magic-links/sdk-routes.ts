// Email magic links for the browser SDKs (/sdk/v1/…), called with the public token: the consumer
// SDK's login_or_create and send (send/primary signed out; send/secondary signed in, for the signed-in
// user's own address), the B2B SDK's login_or_signup, and the B2B invite. Each is the /v1 flow of
// service.ts / b2b-service.ts — redirect URLs resolved against the registered ones there, rate
// limited per IP and per address here — with what a browser may not choose left out (custom claims,
// pending users), PKCE required when the project's bootstrap asks the SDK for it (a send without a
// code challenge is then refused), and the users and members a browser signs up created by the
// system actor (the person proved nothing yet; no caller holds a secret).
//
// The invite is sent as the signed-in member (its session is the Basic credentials) into its own
// organization and checked with the /v1 invite's member-session rule — stytch.member create, and the
// roles it hands out no more than the member could grant (checked by the member service in the write
// transaction). trusted_metadata is the project secret's alone.
import { systemActor } from '../audit/log.ts';
import { MEMBER_SESSION_RULES } from '../authz/actions.ts';
import { requestActor, type MemberAuthorization } from '../authz/member-authorization.ts';
import type { App } from '../http/app.ts';
import type { MemberService } from '../members/service.ts';
import { memberResponse } from '../members/wire.ts';
import type { RateLimiter } from '../rate-limit/limiter.ts';
import { browserMembers, data, PUBLIC, refuseBrowserWrites, requireSessionToken, SDK_PREFIX, type SdkHooks } from '../sdk/browser-api.ts';
import type { SessionService } from '../sessions/service.ts';
import type { ServerConfig } from '../shared/config.ts';
import { GatehouseError } from '../shared/errors.ts';
import type { MemberMagicLinkService } from './b2b-service.ts';
import { BrowserMemberInviteBody, LoginOrCreateBody, MemberLoginOrSignupBody, SendBody } from './schema.ts';
import type { MagicLinkService, SendInput } from './service.ts';

/** The /v1 invite's rule, with the organization the signed-in member's own (the browser names none). */
const INVITE_RULE = { ...MEMBER_SESSION_RULES.memberInvite, organization: { param: 'organization_id' } } as const;
const BROWSER_SIGN_UP = systemActor('sdk.magic_links');

export function registerSdkMagicLinkRoutes(
  app: App,
  deps: {
    hooks: SdkHooks;
    magicLinks: MagicLinkService;
    memberMagicLinks: MemberMagicLinkService;
    members: MemberService;
    sessions: SessionService;
    memberAuthorization: MemberAuthorization;
    limiter: RateLimiter;
    pkce: ServerConfig['sdk'];
  },
) {
  const { hooks, magicLinks, memberMagicLinks, members, sessions, memberAuthorization, limiter, pkce } = deps;
  const caller = { config: PUBLIC, onRequest: hooks.caller };
  const byEmail = limiter.credentialEndpoint((body: { email?: unknown }) => body.email);
  const byEmailAddress = limiter.credentialEndpoint((body: { email_address?: unknown }) => body.email_address);
  const { authorizedMember } = browserMembers({ sessions, memberAuthorization });

  /** The bootstrap told the SDK to use PKCE: a send without a challenge did not come from it. */
  const checkPkce = (challenge: string | undefined) => {
    if (pkce.pkceRequiredForEmailMagicLinks && challenge === undefined) throw new GatehouseError('sdk_pkce_code_challenge_required');
  };
  /** What the consumer SDK may ask of a send: the /v1 fields but pending users, sessions and user ids. */
  const sendInput = (body: SendInput): SendInput => {
    const { email, login_magic_link_url, signup_magic_link_url, login_expiration_minutes, signup_expiration_minutes, code_challenge } = body;
    checkPkce(code_challenge);
    return { email, login_magic_link_url, signup_magic_link_url, login_expiration_minutes, signup_expiration_minutes, code_challenge };
  };

  // ---- Consumer

  app.post(`${SDK_PREFIX}/magic_links/email/login_or_create`, { ...caller, schema: { body: LoginOrCreateBody }, preHandler: byEmail }, async (request) => {
    await magicLinks.loginOrCreate(request.projectId, request.sdk.project.environment, sendInput(request.body), BROWSER_SIGN_UP);
    // Anyone may ask with a guessed address: no user id, nor whether the user existed (Stytch's browser answer).
    return data(request, {});
  });

  // Signed out: a login link to an existing address.
  app.post(`${SDK_PREFIX}/magic_links/email/send/primary`, { ...caller, schema: { body: SendBody }, preHandler: byEmail }, async (request) => {
    await magicLinks.send(request.projectId, request.sdk.project.environment, sendInput(request.body));
    return data(request, {});
  });

  // Signed in (the session is the Basic credentials): the address must be the signed-in user's own —
  // attaching a new address is not supported, as on /v1 (email_not_owned_by_user).
  app.post(`${SDK_PREFIX}/magic_links/email/send/secondary`, { ...caller, schema: { body: SendBody }, preHandler: byEmail }, async (request) => {
    const session_token = requireSessionToken(request);
    return data(request, await magicLinks.send(request.projectId, request.sdk.project.environment, { ...sendInput(request.body), session_token }));
  });

  // ---- B2B

  app.post(`${SDK_PREFIX}/b2b/magic_links/email/login_or_signup`, { ...caller, schema: { body: MemberLoginOrSignupBody }, preHandler: byEmailAddress }, async (request) => {
    const { organization_id, email_address, login_redirect_url, signup_redirect_url, login_expiration_minutes, signup_expiration_minutes, pkce_code_challenge } = request.body;
    checkPkce(pkce_code_challenge);
    await memberMagicLinks.loginOrSignup(request.projectId, request.sdk.project.environment, {
      organization_id, email_address, login_redirect_url, signup_redirect_url, login_expiration_minutes, signup_expiration_minutes, pkce_code_challenge,
    }, BROWSER_SIGN_UP);
    // Anyone may ask with a guessed address: the answer says nothing of the member (Stytch's browser answer).
    return data(request, {});
  });

  app.post(`${SDK_PREFIX}/b2b/magic_links/email/invite`, { ...caller, schema: { body: BrowserMemberInviteBody }, preHandler: byEmailAddress }, async (request) => {
    const body = request.body;
    refuseBrowserWrites({ trusted_metadata: body.trusted_metadata }, []);
    const actor = await authorizedMember(request, INVITE_RULE);
    const organization_id = actor.organization.organization_id;
    const result = await memberMagicLinks.invite(request.projectId, request.sdk.project.environment, { ...body, organization_id }, requestActor(request), actor);
    return data(request, memberResponse(result.member, result.organization, members));
  });
}
