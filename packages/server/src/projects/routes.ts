// Gatehouse addition: rotating the project's API secrets. Several may be active at once, so a new
// one can be rolled out before the old one is revoked.
import { Type } from '@sinclair/typebox';
import { formatTimestamp } from '../shared/clock.ts';
import type { App } from '../http/app.ts';
import { ok } from '../http/app.ts';
import type { ProjectService, SecretSummary } from './service.ts';
import { REFUSE } from '../authz/actions.ts';
import { TAKES_NO_BODY } from '../http/openapi.ts';

const wireSecret = (secret: SecretSummary) => ({ ...secret, created_at: formatTimestamp(secret.created_at) });

export function registerProjectRoutes(app: App, deps: { projects: ProjectService }) {
  const { projects } = deps;

  app.get('/v1/project/secrets', { config: REFUSE }, async (request) =>
    ok(request, { project_id: request.projectId, secrets: (await projects.listSecrets(request.projectId)).map(wireSecret) }),
  );

  app.post('/v1/project/secrets', { config: REFUSE, schema: TAKES_NO_BODY }, async (request) => {
    const created = await projects.createSecret(request.projectId, request.actor);
    return ok(request, { project_id: request.projectId, secret: wireSecret(created) });
  });

  app.delete('/v1/project/secrets/:secret_id', { config: REFUSE, schema: { params: Type.Object({ secret_id: Type.String() }) } }, async (request) => {
    await projects.revokeSecret(request.projectId, request.params.secret_id, request.actor);
    return ok(request, { project_id: request.projectId, secret_id: request.params.secret_id });
  });
}
