// requirePermission(resource, action) for Fastify (a preHandler) and Express (a middleware): the
// session JWT from `Authorization: Bearer …` or a cookie, authenticated and checked by
// authenticateJwt (locally when it can). 401 without a valid session, 403 when not allowed, both in
// Stytch's error envelope. Typed structurally: the SDK imports neither framework.
import { randomUUID } from 'node:crypto';
import { ORGANIZATION_CLAIM, type ErrorEnvelope } from '@gatehouse/contracts';
import type { PolicyKind } from '@gatehouse/policy';
import { decodeJwt } from 'jose';
import type { GatehouseClient } from './client.ts';
import { GatehouseApiError } from './request.ts';
import type { AuthenticateJwtResult } from './sessions.ts';
import type { MemberSession, Session } from './types.ts';

type Headers = Record<string, string | string[] | undefined>;

export interface GuardOptions<Request> {
  /** Also read the JWT from this cookie (Stytch's browser SDK uses `stytch_session_jwt`). */
  cookieName?: string;
  /** `b2b`: member sessions, checked in an organization. Default `consumer`. */
  kind?: PolicyKind;
  /** B2B: the organization the request acts in (default: the session's own). */
  organizationId?: (request: Request) => string | undefined;
}

/** What a passed guard leaves on the request, as `request.gatehouse`. */
export type GuardResult = AuthenticateJwtResult<Session> | AuthenticateJwtResult<MemberSession>;

export type { ErrorEnvelope };

function envelope(status: number, errorType: string, message: string, requestId = `request-id-local-${randomUUID()}`): ErrorEnvelope {
  return { status_code: status, request_id: requestId, error_type: errorType, error_message: message, error_url: `https://stytch.com/docs/api/errors/${status}#${errorType}` };
}

function sessionJwtOf(headers: Headers, cookieName: string | undefined): string | undefined {
  const authorization = headers.authorization;
  if (typeof authorization === 'string' && /^bearer /i.test(authorization)) return authorization.slice(7).trim() || undefined;
  if (cookieName === undefined || typeof headers.cookie !== 'string') return undefined;
  for (const pair of headers.cookie.split(';')) {
    const at = pair.indexOf('=');
    if (at > 0 && pair.slice(0, at).trim() === cookieName) return decodeURIComponent(pair.slice(at + 1).trim()) || undefined;
  }
  return undefined;
}

/** The guard's decision for one request: the session, or the error to answer with. */
async function decide<Request extends { headers: Headers }>(
  client: GatehouseClient,
  options: GuardOptions<Request>,
  request: Request,
  resource_id: string,
  action: string,
): Promise<{ ok: true; result: GuardResult } | { ok: false; status: number; body: ErrorEnvelope }> {
  const session_jwt = sessionJwtOf(request.headers, options.cookieName);
  if (session_jwt === undefined) return { ok: false, status: 401, body: envelope(401, 'unauthorized_credentials', 'No session JWT in the request.') };
  try {
    if (options.kind === 'b2b') {
      let organization_id = options.organizationId?.(request);
      if (organization_id === undefined) {
        // The session's own organization: read unverified here, verified with the token below.
        try {
          organization_id = (decodeJwt(session_jwt)[ORGANIZATION_CLAIM] as { organization_id?: string } | undefined)?.organization_id;
        } catch {
          organization_id = undefined;
        }
      }
      const result = await client.b2b.sessions.authenticateJwt({ session_jwt, authorization_check: { organization_id: organization_id ?? '', resource_id, action } });
      return { ok: true, result };
    }
    return { ok: true, result: await client.sessions.authenticateJwt({ session_jwt, authorization_check: { resource_id, action } }) };
  } catch (error) {
    if (!(error instanceof GatehouseApiError) || error.status_code >= 500) throw error;
    // 403: the server's authorization errors as they are; any other refusal: no valid session.
    if (error.status_code === 403) return { ok: false, status: 403, body: envelope(403, error.error_type, error.error_message, error.request_id) };
    return { ok: false, status: 401, body: envelope(401, 'session_not_found', 'The session is not valid.', error.request_id) };
  }
}

interface FastifyLikeRequest {
  headers: Headers;
}
interface FastifyLikeReply {
  code(status: number): FastifyLikeReply;
  send(body: unknown): unknown;
}

/** Fastify: `app.get('/docs', { preHandler: guard.requirePermission('documents', 'read') }, handler)`. */
export function fastifyGuard<Request extends FastifyLikeRequest = FastifyLikeRequest>(client: GatehouseClient, options: GuardOptions<Request> = {}) {
  return {
    requirePermission(resource_id: string, action: string) {
      return async function requirePermission(request: Request, reply: FastifyLikeReply): Promise<void> {
        const decision = await decide(client, options, request, resource_id, action);
        if (decision.ok) (request as Request & { gatehouse: GuardResult }).gatehouse = decision.result;
        else await reply.code(decision.status).send(decision.body);
      };
    },
  };
}

interface ExpressLikeRequest {
  headers: Headers;
}
interface ExpressLikeResponse {
  status(status: number): { json(body: unknown): unknown };
}

/** Express: `app.get('/docs', guard.requirePermission('documents', 'read'), handler)`. */
export function expressGuard<Request extends ExpressLikeRequest = ExpressLikeRequest>(client: GatehouseClient, options: GuardOptions<Request> = {}) {
  return {
    requirePermission(resource_id: string, action: string) {
      return function requirePermission(request: Request, response: ExpressLikeResponse, next: (error?: unknown) => void): void {
        decide(client, options, request, resource_id, action).then((decision) => {
          if (!decision.ok) return void response.status(decision.status).json(decision.body);
          (request as Request & { gatehouse: GuardResult }).gatehouse = decision.result;
          next();
        }, next);
      };
    },
  };
}

/** The session a guard let through (undefined before any guard ran). */
export function guardResult(request: object): GuardResult | undefined {
  return (request as { gatehouse?: GuardResult }).gatehouse;
}
