// Gatehouse's form of Stytch's JWT template API for sessions (Stytch sets it in its management API,
// PUT …/jwt_templates/SESSION): GET, PUT and DELETE /v1/project/jwt_templates/session with the
// project secret. The template is rendered into every session JWT minted after it is set.
import type { App } from '../http/app.ts';
import { ok } from '../http/app.ts';
import { REFUSE } from '../authz/actions.ts';
import { SetTemplateBody } from './schema.ts';
import type { ClaimTemplates } from './service.ts';
import { toWireClaimTemplate } from './wire.ts';

const PATH = '/v1/project/jwt_templates/session';

export function registerClaimTemplateRoutes(app: App, deps: { claims: ClaimTemplates }) {
  const { claims } = deps;

  app.get(PATH, { config: REFUSE }, async (request) => ok(request, { jwt_template: toWireClaimTemplate(await claims.get(request.projectId)) }));

  app.put(PATH, { config: REFUSE, schema: { body: SetTemplateBody } }, async (request) => {
    const saved = await claims.set(request.projectId, request.body.template_content, request.actor);
    return ok(request, { jwt_template: toWireClaimTemplate(saved) });
  });

  app.delete(PATH, { config: REFUSE }, async (request) => {
    await claims.delete(request.projectId, request.actor);
    return ok(request, {});
  });
}
