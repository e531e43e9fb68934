// Gatehouse's management of the registered redirect URLs, with the project secret (or the
// dashboard's admin session). Shapes follow Stytch's management API for Redirect URLs: a URL with
// `valid_types: [{type, is_default}]`; Update and Delete name the URL in the query (`?url=`).
import { Type } from '@sinclair/typebox';
import { environmentOfProject } from '@gatehouse/contracts';
import type { App } from '../http/app.ts';
import { ok } from '../http/app.ts';
import { GatehouseError } from '../shared/errors.ts';
import type { ProjectService } from '../projects/service.ts';
import type { RedirectUrlService } from './service.ts';
import { toWireRedirectUrl } from './wire.ts';

const ValidTypes = Type.Array(
  Type.Object({ type: Type.String({ maxLength: 32 }), is_default: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
  { maxItems: 10 },
);
const UrlQuery = Type.Object({ url: Type.Optional(Type.String({ maxLength: 4096 })), do_not_promote_defaults: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])) });

// A member session has no business here: the list decides where every member's tokens may go.
const config = { memberSession: 'refuse' as const };

export function registerRedirectUrlRoutes(app: App, deps: { redirectUrls: RedirectUrlService }) {
  const { redirectUrls } = deps;
  const path = '/v1/project/redirect_urls';
  const requireUrl = (url: string | undefined) => {
    if (url === undefined || url === '') throw new GatehouseError('redirect_url_query_missing');
    return url;
  };

  app.get(path, { config }, async (request) => ok(request, { redirect_urls: (await redirectUrls.list(request.projectId)).map(toWireRedirectUrl) }));

  app.post(
    path,
    { config, schema: { body: Type.Object({ url: Type.String({ maxLength: 4096 }), valid_types: Type.Optional(ValidTypes), do_not_promote_defaults: Type.Optional(Type.Boolean()) }, { additionalProperties: false }) } },
    async (request) => {
      const created = await redirectUrls.create(request.projectId, environmentOfProject(request.projectId), request.body, request.actor);
      return ok(request, { redirect_url: toWireRedirectUrl(created) });
    },
  );

  app.put(
    path,
    { config, schema: { querystring: UrlQuery, body: Type.Object({ valid_types: ValidTypes, do_not_promote_defaults: Type.Optional(Type.Boolean()) }, { additionalProperties: false }) } },
    async (request) => {
      const updated = await redirectUrls.update(request.projectId, requireUrl(request.query.url), request.body, request.actor);
      return ok(request, { redirect_url: toWireRedirectUrl(updated) });
    },
  );

  app.delete(path, { config, schema: { querystring: UrlQuery } }, async (request) => {
    const url = await redirectUrls.remove(request.projectId, requireUrl(request.query.url), { do_not_promote_defaults: request.query.do_not_promote_defaults === 'true' }, request.actor);
    return ok(request, { url, redirect_urls: (await redirectUrls.list(request.projectId)).map(toWireRedirectUrl) });
  });
}
