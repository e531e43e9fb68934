// Gatehouse additions, for one kind of policy under `prefix` (`/v1/rbac` or `/v1/b2b/rbac`): the
// policy's versions, one version, the diff of two, a rollback (history.ts); the impact preview of a
// replacement (impact.ts) and "who can do X" (who-can.ts).
import { diffPolicies, groupPolicyChanges, type PolicyKind } from '@gatehouse/policy';
import { Type } from '@sinclair/typebox';
import { LIMITS } from '../shared/config.ts';
import { GatehouseError } from '../shared/errors.ts';
import type { App } from '../http/app.ts';
import { ok } from '../http/app.ts';
import type { SqlExecutor } from '../store/database.ts';
import { listPolicyVersions, parseVersion, requirePolicyVersion, VERSIONS_DEFAULT_LIMIT, VERSIONS_MAX_LIMIT } from './history.ts';
import { IMPACT_SUBJECT_LIMIT, type ImpactPreview } from './impact.ts';
import { PolicyBody, writeOptions, WriteOptionsQuery } from './schema.ts';
import type { RbacService } from './service.ts';
import { describeChanges, writtenResponse } from './wire.ts';
import type { WhoCan } from './who-can.ts';
import { REFUSE } from '../authz/actions.ts';
import { bodyDocumentedAs, TAKES_NO_BODY } from '../http/openapi.ts';

const VersionParams = Type.Object({ version: Type.String() });
// Numbers arrive as strings and are checked below, with messages that name the parameter.
const VersionsQuery = Type.Object({ limit: Type.Optional(Type.String()), cursor: Type.Optional(Type.String()) });
const DiffQuery = Type.Object({ from: Type.String(), to: Type.Optional(Type.String()) });
const ImpactQuery = Type.Object({
  cascade: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
  limit: Type.Optional(Type.String()),
});
const WhoCanQuery = Type.Object({
  resource_id: Type.String({ minLength: 1, maxLength: 256 }),
  action: Type.String({ minLength: 1, maxLength: 256 }),
  organization_id: Type.Optional(Type.String()),
  limit: Type.Optional(Type.String()),
  cursor: Type.Optional(Type.String({ maxLength: 1024 })),
});

/** A page size from a query string: a whole number from 1 to `max`, `fallback` when absent. */
function pageLimit(value: string | undefined, fallback: number, max: number): number {
  const limit = value === undefined ? fallback : /^[0-9]{1,7}$/.test(value) ? Number(value) : NaN;
  if (!(limit >= 1 && limit <= max)) throw new GatehouseError('invalid_limit_argument', { params: { max } });
  return limit;
}

export function registerPolicyHistoryRoutes(
  app: App,
  deps: { db: SqlExecutor; rbac: RbacService; impact: ImpactPreview; whoCan: WhoCan },
  kind: PolicyKind,
  prefix: string,
) {
  const { db, rbac, impact, whoCan } = deps;

  app.get(`${prefix}/policy/versions`, { config: REFUSE, schema: { querystring: VersionsQuery } }, async (request) => {
    const limit = pageLimit(request.query.limit, VERSIONS_DEFAULT_LIMIT, VERSIONS_MAX_LIMIT);
    const before = request.query.cursor === undefined ? undefined : parseVersion(request.query.cursor, 'cursor');
    // A project's first read of a kind of policy creates its version 1.
    const current = await rbac.getPolicy(request.projectId, kind);
    const page = await listPolicyVersions(db, request.projectId, kind, { limit, before });
    return ok(request, { policy_version: current.version, ...page });
  });

  app.get(`${prefix}/policy/versions/:version`, { config: REFUSE, schema: { params: VersionParams } }, async (request) => {
    const snapshot = await requirePolicyVersion(db, request.projectId, kind, parseVersion(request.params.version, 'version'));
    return ok(request, { policy: snapshot.policy, policy_version: snapshot.version });
  });

  app.get(`${prefix}/policy/diff`, { config: REFUSE, schema: { querystring: DiffQuery } }, async (request) => {
    const from = parseVersion(request.query.from, 'from');
    const to = request.query.to === undefined ? (await rbac.getPolicy(request.projectId, kind)).version : parseVersion(request.query.to, 'to');
    const [before, after] = await Promise.all([
      requirePolicyVersion(db, request.projectId, kind, from),
      requirePolicyVersion(db, request.projectId, kind, to),
    ]);
    const changes = diffPolicies(before.policy, after.policy);
    return ok(request, { from, to, diff: groupPolicyChanges(changes), changes: describeChanges(changes) });
  });

  // A new version with the old version's document, through the ordinary write: the same checks
  // (a role still assigned is refused unless cascade=true), events and audit entry.
  app.post(`${prefix}/policy/versions/:version/rollback`, { config: REFUSE, schema: { params: VersionParams, querystring: WriteOptionsQuery, ...TAKES_NO_BODY } }, async (request) => {
    const target = await requirePolicyVersion(db, request.projectId, kind, parseVersion(request.params.version, 'version'));
    const result = await rbac.replacePolicy(request.projectId, kind, target.policy, { ...writeOptions(request), auditAction: 'policy.rolled_back' });
    return { ...writtenResponse(request, result), rolled_back_to: target.version };
  });

  // The body is PUT …/policy's; nothing is written. `limit`: holders listed (the totals count all).
  app.post(`${prefix}/policy/impact`, { schema: { querystring: ImpactQuery }, config: { ...REFUSE, ...bodyDocumentedAs(PolicyBody) } }, async (request) => {
    const limit = pageLimit(request.query.limit, IMPACT_SUBJECT_LIMIT, LIMITS.searchMaxLimit);
    const options = { cascade: request.query.cascade === 'true', actor: request.actor };
    return ok(request, await impact.preview(request.projectId, kind, request.body, options, limit));
  });

  app.get(`${prefix}/who_can`, { config: REFUSE, schema: { querystring: WhoCanQuery } }, async (request) => {
    const { resource_id, action, organization_id, cursor } = request.query;
    if (kind === 'consumer' && organization_id !== undefined) {
      throw new GatehouseError('organization_id_for_b2b_only');
    }
    const limit = pageLimit(request.query.limit, LIMITS.searchDefaultLimit, LIMITS.searchMaxLimit);
    return ok(request, await whoCan.answer(request.projectId, kind, { resource_id, action, organization_id, limit, cursor }));
  });
}
