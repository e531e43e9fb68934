// Gatehouse addition: the outbox, where messages wait when no SMTP server is configured.
import { Type } from '@sinclair/typebox';
import { formatTimestamp } from '../shared/clock.ts';
import type { App } from '../http/app.ts';
import { ok } from '../http/app.ts';
import { GatehouseError } from '../shared/errors.ts';
import type { SqlExecutor } from '../store/database.ts';
import { readOutbox, type Mailer } from './mailer.ts';
import { REFUSE } from '../authz/actions.ts';

const OutboxQuery = Type.Object({
  to: Type.Optional(Type.String({ maxLength: 254 })),
  // Checked below: a schema failure on `limit` would be reported as a user-search error.
  limit: Type.Optional(Type.String()),
});

export function registerEmailRoutes(app: App, deps: { db: SqlExecutor; mailer: Mailer }) {
  const { db, mailer } = deps;

  app.get('/v1/project/outbox', { config: REFUSE, schema: { querystring: OutboxQuery } }, async (request) => {
    const limit = Number(request.query.limit ?? 50);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new GatehouseError('invalid_limit_argument', { params: { max: 1000 } });
    const messages = await readOutbox(db, request.projectId, { to: request.query.to, limit });
    return ok(request, {
      transport: mailer.transport,
      messages: messages.map((message) => ({ ...message, created_at: formatTimestamp(message.created_at) })),
    });
  });
}
