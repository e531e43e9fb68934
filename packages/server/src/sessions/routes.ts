import { environmentOfProject } from '@gatehouse/contracts';
import { Type } from '@sinclair/typebox';
import type { App } from '../http/app.ts';
import { ok } from '../http/app.ts';
import type { ProjectService } from '../projects/service.ts';
import type { UserService } from '../users/service.ts';
import type { SigningKeys } from './keys.ts';
import { SessionAuthenticateBody, SessionRevokeBody } from './schema.ts';
import type { SessionService } from './service.ts';
import { authenticateText, toWireSession } from './wire.ts';
import { REFUSE } from '../authz/actions.ts';
import { TAKES_NO_BODY } from '../http/openapi.ts';

const JSON_TYPE = 'application/json; charset=utf-8';

export function registerSessionRoutes(app: App, deps: { sessions: SessionService; users: UserService; projects: ProjectService; keys: SigningKeys }) {
  const { sessions, users, projects, keys } = deps;

  // The hot path: answered without waiting when the session, user and policy are in memory, and
  // sent as text made mostly once (authenticateText).
  app.post('/v1/sessions/authenticate', { config: REFUSE, schema: { body: SessionAuthenticateBody } }, (request, reply) => {
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
    return ok(request, { sessions: list.map((session) => toWireSession(session, roles)) });
  });

  app.post('/v1/sessions/revoke', { config: REFUSE, schema: { body: SessionRevokeBody } }, async (request) => {
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
