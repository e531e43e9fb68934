// The member-session gate. Every route declares in its options `config.memberSession`: 'refuse', or
// a MemberSessionRule saying what a member session needs there. src/http/app.ts refuses to register a
// route without a declaration and installs the gate the declaration asks for:
//
// - 'refuse': a request carrying X-Stytch-Member-Session or X-Stytch-Member-SessionJWT gets 403
//   member_session_not_accepted (an empty or repeated header 400), before the handler runs. The check
//   is two header reads folded into the caller's authentication hook: no extra hook on hot routes.
// - a rule: before validation, the session is authenticated (both headers must name one session), the
//   organization the call names must be the member's, and the member must hold the route's actions and
//   those of every body field sent. The member is then `request.member` (null with the secret alone),
//   the actor the audit log records. What depends on what the call touches (the target of a session
//   revoke, the roles a write grants) the handler or its service checks with the same module.
//
// On /sdk/v1 the browser's session is its Basic credentials, not these headers: SDK routes declare
// 'refuse' (a header there is refused like anywhere else), and check the signed-in member's stytch.*
// permissions with the tables in actions.ts.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseError } from '../shared/errors.ts';
import {
  authorizationError,
  cannotUpdateTrustedMetadata,
  readMemberSessionHeaders,
  secretOnlyFieldError,
  tenancyError,
  type MemberActor,
  type MemberAuthorization,
  type RequiredAction,
} from './member-authorization.ts';

/** What a body field needs with a member session: an action, nothing beyond the route's ('route'), or the project secret. */
export type FieldRule = RequiredAction | 'route' | 'secret';

export interface MemberSessionRule {
  /**
   * Where the call names the organization it acts in (the member's must be it): a path parameter, a
   * body field, a body list (every entry), or 'target' when only the handler knows (it looks up what
   * the call touches, then checks tenancy itself).
   */
  organization: { param: string } | { body: string } | { bodyList: string } | 'target';
  /** Actions every call needs. */
  actions: readonly RequiredAction[];
  /**
   * The member acted on, for `self` actions (stytch.self grants them when it is the caller): a path
   * parameter, or 'handler' when the handler finds it (the gate then lets stytch.self through and the
   * handler checks again with the target known).
   */
  targetMember?: { param: string } | 'handler';
  /**
   * Every body field of the route's schema, and what it needs (registration fails if one is missing,
   * so a new field cannot slip through unjudged).
   */
  fields?: Readonly<Record<string, FieldRule>>;
  /** What the handler or its service checks beyond this rule, for readers of the route table. */
  handlerChecks?: string;
}

export type MemberSessionDeclaration = 'refuse' | MemberSessionRule;

function notAccepted(): GatehouseError {
  return new GatehouseError('member_session_not_accepted');
}

/** For 'refuse' routes: a member-session header is never ignored. Returns the error to answer with, if any. */
export function refusal(headers: FastifyRequest['headers']): GatehouseError | undefined {
  try {
    return readMemberSessionHeaders(headers) === undefined ? undefined : notAccepted();
  } catch (error) {
    return error as GatehouseError;
  }
}

/** An onRequest hook for 'refuse' routes that have no caller authentication to fold the check into. */
export function refuseMemberSession(request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void): void {
  done(refusal(request.headers));
}

/**
 * Checks a declaration when its route is registered: a rule's `fields` must cover every property of
 * the body schema, and its parameters must exist. Throws (the server does not start) otherwise.
 */
export function checkDeclaration(method: string, url: string, declaration: MemberSessionDeclaration | undefined, bodySchema: unknown): void {
  const where = `${method} ${url}`;
  if (declaration === undefined) {
    throw new Error(`${where} declares no config.memberSession: say what a member session needs there, or 'refuse' (see src/authz/gate.ts).`);
  }
  if (declaration === 'refuse') return;
  const params = new Set([...url.matchAll(/:([A-Za-z_]+)/g)].map((match) => match[1]));
  const org = declaration.organization;
  if (typeof org === 'object' && 'param' in org && !params.has(org.param)) throw new Error(`${where}: no path parameter ${org.param}`);
  const target = declaration.targetMember;
  if (typeof target === 'object' && !params.has(target.param)) throw new Error(`${where}: no path parameter ${target.param}`);
  const properties = Object.keys((bodySchema as { properties?: object } | undefined)?.properties ?? {});
  const unjudged = properties.filter((field) => !(field in (declaration.fields ?? {})));
  if (unjudged.length > 0) throw new Error(`${where}: the member-session rule does not say what body field(s) ${unjudged.join(', ')} need`);
}

/**
 * The preValidation hook for a route that accepts member sessions: authenticates the session, checks
 * tenancy and the declared actions, and leaves the member on `request.member`.
 */
export function memberSessionGate(rule: MemberSessionRule, authorization: MemberAuthorization) {
  return async (request: FastifyRequest): Promise<void> => {
    request.member = null;
    const actor = await authorization.authenticate(request);
    if (!actor) return;
    request.member = actor;
    await authorizeByRule(authorization, rule, request.projectId, actor, (request.params ?? {}) as Record<string, unknown>, request.body);
  };
}

/**
 * What `rule` asks of `actor` for a call with these path parameters and body: its organization, the
 * route's actions, and each sent field's. The gate's check; the browser SDK's routes make it too, for
 * the signed-in member (passing the member's organization as the organization_id parameter).
 */
export async function authorizeByRule(
  authorization: MemberAuthorization,
  rule: MemberSessionRule,
  projectId: string,
  actor: MemberActor,
  params: Record<string, unknown>,
  sentBody: unknown,
): Promise<void> {
  const body = isObject(sentBody) ? sentBody : {};
  const own = actor.organization.organization_id;
  const org = rule.organization;
  if (org !== 'target') {
    const named = 'param' in org ? [params[org.param]] : 'body' in org ? [body[org.body]] : asList(body[org.bodyList]);
    if (named.length === 0 || named.some((id) => id !== own)) throw tenancyError();
  }

  const required: RequiredAction[] = [...rule.actions];
  for (const [field, need] of Object.entries(rule.fields ?? {})) {
    if (body[field] === undefined || need === 'route') continue;
    if (need === 'secret') throw field === 'trusted_metadata' ? cannotUpdateTrustedMetadata() : secretOnlyFieldError(field);
    required.push(need);
  }
  const targetParam = rule.targetMember;
  const target = typeof targetParam === 'object' ? params[targetParam.param] : undefined;
  for (const need of required) {
    if (await authorization.allowed(projectId, actor, need.resource_id, need.action)) continue;
    // stytch.self answers for a `self` action when the target is the member itself, or (target not
    // known yet: the handler checks again once it is) when it may be.
    const selfMayDo = need.self && (target === actor.member.member_id || targetParam === 'handler');
    if (selfMayDo && (await authorization.allowed(projectId, actor, 'stytch.self', need.action))) continue;
    throw authorizationError();
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

