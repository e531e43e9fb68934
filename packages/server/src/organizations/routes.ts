import { environmentOfProject } from '@gatehouse/contracts';
import { Type } from '@sinclair/typebox';
import type { App } from '../http/app.ts';
import { ok } from '../http/app.ts';
import { MEMBER_SESSION_RULES, REFUSE } from '../authz/actions.ts';
import { requestActor } from '../authz/member-authorization.ts';
import type { ProjectService } from '../projects/service.ts';
import { SearchBodyFields, searchQuery } from '../search/schema.ts';
import { OrganizationBody, OrganizationParams, toOrganizationInput } from './schema.ts';
import type { OrganizationService } from './service.ts';
import { toWireOrganization } from './wire.ts';

export function registerOrganizationRoutes(
  app: App,
  deps: { organizations: OrganizationService },
) {
  const { organizations } = deps;

  app.post('/v1/b2b/organizations', { config: REFUSE, schema: { body: OrganizationBody } }, async (request) => {
    const organization = await organizations.createOrganization(request.projectId, environmentOfProject(request.projectId), toOrganizationInput(request.body ?? {}), request.actor);
    return ok(request, { organization: toWireOrganization(organization) });
  });

  app.get('/v1/b2b/organizations/:organization_id', { config: REFUSE, schema: { params: OrganizationParams } }, async (request) => {
    const organization = await organizations.requireOrganization(request.projectId, request.params.organization_id);
    return ok(request, { organization: toWireOrganization(organization) });
  });

  app.put('/v1/b2b/organizations/:organization_id', { config: { memberSession: MEMBER_SESSION_RULES.organizationUpdate }, schema: { params: OrganizationParams, body: OrganizationBody } }, async (request) => {
    const body = request.body ?? {};
    const { organization_id } = request.params;
    const organization = await organizations.updateOrganization(request.projectId, organization_id, toOrganizationInput(body), requestActor(request), request.member);
    return ok(request, { organization: toWireOrganization(organization) });
  });

  app.delete('/v1/b2b/organizations/:organization_id', { config: { memberSession: MEMBER_SESSION_RULES.organizationDelete }, schema: { params: OrganizationParams } }, async (request) => {
    const { organization_id } = request.params;
    await organizations.deleteOrganization(request.projectId, organization_id, requestActor(request));
    return ok(request, { organization_id });
  });

  app.post('/v1/b2b/organizations/search', { config: REFUSE, schema: { body: Type.Object(SearchBodyFields) } }, async (request) => {
    const body = request.body ?? {};
    const page = await organizations.searchOrganizations(request.projectId, { cursor: body.cursor, limit: body.limit, query: searchQuery(body) });
    return ok(request, {
      organizations: page.results.map(toWireOrganization),
      results_metadata: { total: page.total, next_cursor: page.next_cursor },
    });
  });

  app.get('/v1/b2b/organizations/:organization_id/metrics', { config: REFUSE, schema: { params: OrganizationParams } }, async (request) => {
    const organization = await organizations.requireOrganization(request.projectId, request.params.organization_id);
    return ok(request, { member_count: await organizations.memberCount(organization.organization_id) });
  });

  // Organization-scoped custom roles.
  app.get('/v1/b2b/rbac/organizations/:organization_id', { config: REFUSE, schema: { params: OrganizationParams } }, async (request) => {
    const roles = await organizations.getCustomRoles(request.projectId, request.params.organization_id);
    return ok(request, { org_policy: { roles } });
  });

  app.put(
    '/v1/b2b/rbac/organizations/:organization_id',
    { config: { memberSession: MEMBER_SESSION_RULES.customRolesSet }, schema: { params: OrganizationParams, body: Type.Object({ org_policy: Type.Unknown() }) } },
    async (request) => {
      const roles = await organizations.setCustomRoles(request.projectId, request.params.organization_id, request.body.org_policy, requestActor(request), request.member);
      return ok(request, { org_policy: { roles } });
    },
  );
}
