import { Type } from '@sinclair/typebox';
import type { AuthorizationVerdict } from '@gatehouse/policy';
import { environmentOfProject } from '@gatehouse/contracts';
import type { App } from '../http/app.ts';
import { ok } from '../http/app.ts';
import { compactJwsJson, serializeWithImmutableWires } from '../http/json.ts';
import type { ProjectService } from '../projects/service.ts';
import { toWireUser } from '../users/routes.ts';
import type { UserService } from '../users/service.ts';
import type { SigningKeys } from './keys.ts';
import type { SessionGrant, SessionService } from './service.ts';
import { REFUSE } from '../authz/actions.ts';
import { TAKES_NO_BODY } from '../http/openapi.ts';

export const SessionFields = {
  session_token: Type.Optional(Type.String({ maxLength: 4096 })),
  session_jwt: Type.Optional(Type.String({ maxLength: 16384 })),
  session_duration_minutes: Type.Optional(Type.Integer()),
  session_custom_claims: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
};

const AuthenticateBody = Type.Object({
  ...SessionFields,
  authorization_check: Type.Optional(Type.Object({ resource_id: Type.String(), action: Type.String() })),
});

const RevokeBody = Type.Object({
  session_id: Type.Optional(Type.String()),
  session_token: Type.Optional(Type.String()),
  session_jwt: Type.Optional(Type.String()),
});

const JSON_TYPE = 'application/json; charset=utf-8';

/** sessions/authenticate's JSON after `{"request_id":…,"status_code":200,`, per session wire form, with what it was made from. */
const authenticateTails = new WeakMap<object, { token: string; jwt: string; user: object; verdict: AuthorizationVerdict | undefined; text: string }>();

/**
 * sessions/authenticate's response as JSON text: exactly serializeWithImmutableWires(ok(...)). All
 * but the request id stays the same while the session's wire form (kept per second of last access),
 * token, JWT, user and verdict do, so that part is made once and reused.
 */
function authenticateText(requestId: string, result: SessionGrant & { verdict?: AuthorizationVerdict }, sessions: SessionService, users: UserService): string {
  const session = sessions.toWire(result.session!, result.roles);
  const user = toWireUser(result.user, users);
  let tail = authenticateTails.get(session);
  if (tail?.token !== result.session_token || tail.jwt !== result.session_jwt || tail.user !== user || tail.verdict !== result.verdict) {
    const wire = { session_token: result.session_token, session_jwt: compactJwsJson(result.session_jwt), session, user };
    const text = serializeWithImmutableWires(result.verdict ? { ...wire, verdict: result.verdict } : wire);
    tail = { token: result.session_token, jwt: result.session_jwt, user, verdict: result.verdict, text: text.slice(1) };
    authenticateTails.set(session, tail);
  }
  return `{"request_id":${JSON.stringify(requestId)},"status_code":200,${tail.text}`;
}

/** The session part of every authenticate-style response (passwords, magic links, sessions). */
export function sessionResponse(grant: SessionGrant, sessions: SessionService, users: UserService) {
  return {
    user_id: grant.user.user_id,
    session_token: grant.session_token,
    session_jwt: grant.session_jwt,
    session: grant.session ? sessions.toWire(grant.session, grant.roles) : null,
    user: toWireUser(grant.user, users),
  };
}

export function registerSessionRoutes(app: App, deps: { sessions: SessionService; users: UserService; projects: ProjectService; keys: SigningKeys }) {
  const { sessions, users, projects, keys } = deps;

  // The hot path: answered without waiting when the session, user and policy are in memory, and
  // sent as text made mostly once (authenticateText).
  app.post('/v1/sessions/authenticate', { config: REFUSE, schema: { body: AuthenticateBody } }, (request, reply) => {
    const input = request.body ?? {};
    const result = sessions.authenticateInMemory(request.projectId, input);
    void reply.type(JSON_TYPE);
    if (result) return void reply.send(authenticateText(request.id, result, sessions, users));
    return sessions.authenticate(request.projectId, environmentOfProject(request.projectId), input).then((result) => authenticateText(request.id, result, sessions, users));
  });

  app.get('/v1/sessions', { config: REFUSE, schema: { querystring: Type.Object({ user_id: Type.String() }) } }, async (request) => {
    const user = await users.requireUser(request.projectId, request.query.user_id);
    const roles = users.effectiveRoles(user);
    const list = await sessions.listSessions(request.projectId, user.user_id);
    return ok(request, { sessions: list.map((session) => sessions.toWire(session, roles)) });
  });

  app.post('/v1/sessions/revoke', { config: REFUSE, schema: { body: RevokeBody } }, async (request) => {
    await sessions.revoke(request.projectId, request.body ?? {});
    return ok(request, {});
  });

  registerJwksRoute(app, '/v1/sessions/jwks/:project_id', { projects, keys });

  // Gatehouse addition: start signing with a new key (`gatehouse keys rotate`).
  app.post('/v1/project/signing_keys/rotate', { config: REFUSE, schema: TAKES_NO_BODY }, async (request) => {
    const rotated = await keys.rotate(request.projectId, environmentOfProject(request.projectId));
    return ok(request, { kid: rotated.kid, retired_kids: rotated.retired });
  });
}

/** The project's public signing keys. Public, as jose's remote key set fetches it without credentials. */
export function registerJwksRoute(app: App, path: string, deps: { projects: ProjectService; keys: SigningKeys }) {
  const { projects, keys } = deps;
  app.get(path, { config: { auth: 'public', memberSession: 'refuse' }, schema: { params: Type.Object({ project_id: Type.String() }) } }, async (request) => {
    const { project_id } = request.params as { project_id: string };
    const project = await projects.findProject(project_id);
    if (!project) return ok(request, { keys: [] });
    const projectKeys = await keys.forProject(project.project_id, project.environment);
    return ok(request, { keys: projectKeys.published() });
  });
}
