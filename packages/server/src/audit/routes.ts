// GET /v1/audit_events (filters, cursor, newest first), GET /v1/audit_events/:event_id, and the
// point-in-time question GET /v1/rbac/access_at. Reading only: no route changes or removes an
// entry, so PUT, PATCH and DELETE get the app's 405.
import { Type } from '@sinclair/typebox';
import { GatehouseError } from '../shared/errors.ts';
import { ok, type App } from '../http/app.ts';
import type { AccessHistory } from './access-at.ts';
import { ACTOR_TYPES, AUDIT_TARGET_TYPES, parseActionFilter, type AuditFilters, type AuditLog } from './log.ts';
import { toWireAnswer, toWireEvent } from './wire.ts';
import { REFUSE } from '../authz/actions.ts';

const Id = Type.String({ minLength: 1, maxLength: 256 });

const ListQuery = Type.Object(
  {
    action: Type.Optional(Type.String({ maxLength: 2000 })),
    actor_type: Type.Optional(Type.String()),
    actor_id: Type.Optional(Id),
    target_type: Type.Optional(Type.String()),
    target_id: Type.Optional(Id),
    organization_id: Type.Optional(Id),
    since: Type.Optional(Type.String()),
    until: Type.Optional(Type.String()),
    limit: Type.Optional(Type.String()),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

const AccessAtQuery = Type.Object(
  {
    user_id: Type.Optional(Id),
    member_id: Type.Optional(Id),
    resource_id: Id,
    action: Id,
    at: Type.String(),
  },
  { additionalProperties: false },
);

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/** An RFC 3339 timestamp, or a 400 naming the parameter. */
export function parseTimestamp(name: string, value: string): Date {
  const time = RFC3339.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(time)) throw new GatehouseError('invalid_timestamp_argument', { params: { field: name } });
  return new Date(time);
}

function oneOf(name: string, value: string | undefined, allowed: readonly string[]): string | undefined {
  if (value !== undefined && !allowed.includes(value)) {
    throw new GatehouseError('invalid_choice_argument', { params: { field: name, choices: allowed.join(', ') } });
  }
  return value;
}

function parseLimit(value: string | undefined): number {
  if (value === undefined) return 100;
  const limit = /^\d{1,4}$/.test(value) ? Number(value) : Number.NaN;
  if (!(limit >= 1 && limit <= 1000)) throw new GatehouseError('invalid_limit_argument', { params: { max: 1000 } });
  return limit;
}

// The cursor is the position of the last event returned; the next page continues below it.
const encodeCursor = (position: string) => Buffer.from(`audit:${position}`).toString('base64url');
function decodeCursor(cursor: string): string {
  const match = /^audit:(\d{1,19})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw new GatehouseError('invalid_cursor_argument');
  return match[1]!;
}

export function registerAuditRoutes(app: App, deps: { audit: AuditLog; accessHistory: AccessHistory }) {
  const { audit, accessHistory } = deps;

  app.get('/v1/audit_events', { config: REFUSE, schema: { querystring: ListQuery } }, async (request) => {
    const query = request.query;
    const filters: AuditFilters = {
      actions: query.action !== undefined ? parseActionFilter(query.action) : undefined,
      actor_type: oneOf('actor_type', query.actor_type, ACTOR_TYPES),
      actor_id: query.actor_id,
      target_type: oneOf('target_type', query.target_type, AUDIT_TARGET_TYPES),
      target_id: query.target_id,
      organization_id: query.organization_id,
      since: query.since !== undefined ? parseTimestamp('since', query.since) : undefined,
      until: query.until !== undefined ? parseTimestamp('until', query.until) : undefined,
    };
    const before = query.cursor !== undefined ? decodeCursor(query.cursor) : undefined;
    const page = await audit.list(request.projectId, filters, { limit: parseLimit(query.limit), before });
    const last = page.events[page.events.length - 1];
    return ok(request, { audit_events: page.events.map(toWireEvent), next_cursor: page.more && last ? encodeCursor(last.position) : null });
  });

  app.get('/v1/audit_events/:event_id', { config: REFUSE, schema: { params: Type.Object({ event_id: Id }) } }, async (request) => {
    const event = await audit.find(request.projectId, request.params.event_id);
    if (!event) throw new GatehouseError('audit_event_not_found', { params: { event_id: request.params.event_id } });
    return ok(request, { audit_event: toWireEvent(event) });
  });

  app.get('/v1/rbac/access_at', { config: REFUSE, schema: { querystring: AccessAtQuery } }, async (request) => {
    const { at, ...rest } = request.query;
    const answer = await accessHistory.accessAt(request.projectId, { ...rest, at: parseTimestamp('at', at) });
    return ok(request, toWireAnswer(answer));
  });
}
