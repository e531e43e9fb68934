// What every /sdk/v1 route shares, whichever feature registers it: the caller (public token, origin,
// session token) put on the request by the hooks, CORS for allowed origins, the `{data: …}` success
// shape, and the fields a browser may never write.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseError } from '../shared/errors.ts';
import { ok } from '../http/app.ts';
import { parseBasicAuth, type Project } from '../projects/service.ts';
import type { SdkService, SdkVertical } from './service.ts';
import { authorizeByRule, type MemberSessionRule } from '../authz/gate.ts';
import type { MemberActor, MemberAuthorization } from '../authz/member-authorization.ts';
import type { SessionService } from '../sessions/service.ts';
import { sessionAttributesOf, type SessionAttributes } from '../sessions/attributes.ts';
import type { App } from '../http/app.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** On /sdk/v1 routes: the project the public token named, and the session token the caller sent (if any). */
    sdk: SdkCaller;
  }
}

export interface SdkCaller {
  project: Project;
  /** The password half of the Basic credentials when it is not the public token again. */
  sessionToken: string | undefined;
  /** The vertical the request's origin is registered for; null without an Origin header. */
  vertical: SdkVertical | null;
  /** The caller's IP and User-Agent: sign-in routes pass them in the session input (sessions/attributes.ts). */
  attributes: SessionAttributes;
}

export const SDK_PREFIX = '/sdk/v1';
export const ALLOWED_METHODS = 'GET, POST, PUT, DELETE, OPTIONS';
export const ALLOWED_HEADERS = 'Authorization, Content-Type, X-SDK-Client, X-SDK-Parent-Host';
/** Route config of /sdk/v1 routes that take no session: public-token callers, member sessions refused. */
export const PUBLIC = { auth: 'public' as const, memberSession: 'refuse' as const };

/** A success as the browser SDK reads it: the usual body (request_id, status_code, …) inside `data`. */
export function data<T extends object>(request: FastifyRequest, body: T) {
  return { data: ok(request, body) };
}

export function allowCors(reply: FastifyReply, origin: string): void {
  void reply.header('access-control-allow-origin', origin);
  void reply.header('access-control-allow-credentials', 'true');
  void reply.header('vary', 'Origin');
}

export function originOf(request: FastifyRequest): string | undefined {
  const origin = request.headers.origin;
  return typeof origin === 'string' && origin !== '' ? origin : undefined;
}

export interface SdkHooks {
  /** onRequest of every authenticated /sdk/v1 route: public token, then origin, then the caller. */
  caller: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  /** The bootstrap's: the public token is in the path, and any Basic password is accepted. */
  bootstrapCaller: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  /** Routes that name no project (preflight, telemetry, unknown paths): CORS for an origin some project allows. */
  anyProjectCors: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
}

export function sdkHooks(sdk: SdkService): SdkHooks {
  const authenticate = async (request: FastifyRequest, reply: FastifyReply, publicToken: string | undefined, sessionToken: string | undefined) => {
    const origin = originOf(request);
    const project = publicToken ? await sdk.projectByPublicToken(publicToken) : null;
    let vertical: SdkVertical | null = null;
    if (origin !== undefined) {
      vertical = project ? await sdk.originVertical(project.project_id, origin) : null;
      if (project && vertical === null) {
        throw new GatehouseError('origin_not_allowed', { params: { origin } });
      }
      // An unknown token from an origin some project allows: let the page read the 401.
      if (vertical !== null || (await sdk.allowedAnywhere(origin))) allowCors(reply, origin);
    }
    if (!project) {
      throw new GatehouseError('sdk_secret_credentials');
    }
    request.projectId = project.project_id;
    request.sdk = { project, sessionToken: sessionToken || undefined, vertical, attributes: sessionAttributesOf(request) };
  };

  return {
    async caller(request, reply) {
      const credentials = parseBasicAuth(request.headers.authorization);
      const sessionToken = credentials && credentials.password !== credentials.user ? credentials.password : undefined;
      await authenticate(request, reply, credentials?.user, sessionToken);
    },
    async bootstrapCaller(request, reply) {
      const { public_token } = request.params as { public_token: string };
      await authenticate(request, reply, public_token, undefined);
    },
    async anyProjectCors(request, reply) {
      const origin = originOf(request);
      if (origin === undefined) return;
      if (!(await sdk.allowedAnywhere(origin))) throw new GatehouseError('origin_not_allowed', { params: { origin } });
      allowCors(reply, origin);
    },
  };
}

/** The session token a browser call must carry (the Basic password), or 404 session_not_found. */
export function requireSessionToken(request: FastifyRequest): string {
  const token = request.sdk.sessionToken;
  if (token === undefined) throw new GatehouseError('sdk_session_missing');
  return token;
}

/**
 * Fields of a browser write that only the project secret may set: trusted_metadata (trusted because
 * no browser can write it) and roles each have their own error; anything else listed is refused too.
 */
export function refuseBrowserWrites(body: Record<string, unknown>, otherFields: readonly string[]): void {
  if (body.trusted_metadata !== undefined) {
    throw new GatehouseError('sdk_trusted_metadata_not_writable');
  }
  if (body.roles !== undefined) {
    throw new GatehouseError('sdk_roles_not_writable');
  }
  for (const field of otherFields) {
    if (body[field] !== undefined) {
      throw new GatehouseError('field_not_writable_from_browser', { params: { field } });
    }
  }
}


/**
 * The signed-in member of a B2B browser call (the session in its Basic credentials): `actorOf` gives
 * it or 404 session_not_found; `authorizedMember` also checks it against a /v1 route's member-session
 * rule in its own organization, grants included. Either way the request then acts as that member.
 */
export function browserMembers(deps: { sessions: SessionService; memberAuthorization: MemberAuthorization }) {
  const { sessions, memberAuthorization } = deps;
  const actorOf = async (request: FastifyRequest): Promise<MemberActor> => {
    const actor = await sessions.authenticateActor(request.projectId, { session_token: requireSessionToken(request) });
    request.member = actor;
    return actor;
  };
  const authorizedMember = async (request: FastifyRequest, rule: MemberSessionRule, params: Record<string, unknown> = {}): Promise<MemberActor> => {
    const actor = await actorOf(request);
    await authorizeByRule(memberAuthorization, rule, request.projectId, actor, { organization_id: actor.organization.organization_id, ...params }, request.body);
    return actor;
  };
  return { actorOf, authorizedMember };
}
