// GET /v1/rbac/policy/changes (Gatehouse addition): the project's authorization changes as
// server-sent events, for SDKs that keep a policy cache (packages/node): policies, organizations'
// roles, which user's or member's roles may have changed, and which sessions were revoked or
// changed (by id: never a table). Driven by the change feed, so writes made by any server process
// reach every stream through PostgreSQL LISTEN/NOTIFY.
import type { PolicyKind } from '@gatehouse/policy';
import type { ServerResponse } from 'node:http';
import type { Clock } from '../shared/clock.ts';
import type { App } from '../http/app.ts';
import type { ChangeEvent, ChangeFeed } from '../store/change-feed.ts';
import type { RbacService } from './service.ts';
import { REFUSE } from '../authz/actions.ts';

/** A comment line this often keeps proxies from closing an idle stream. */
export const HEARTBEAT_MS = 15_000;

/**
 * What a stream sends, as the `data` of one event named by `kind`. `at` (ms since the epoch) is when
 * the change was seen: a session JWT issued before it may carry the subject's old roles.
 */
export type PolicyChangeMessage =
  | { kind: 'ready'; consumer_version: number; b2b_version: number; at: number }
  | { kind: PolicyKind; version: number }
  | { kind: 'organization'; organization_id: string; at: number }
  | { kind: 'member'; organization_id: string; member_id: string; at: number }
  | { kind: 'user'; user_id: string; at: number }
  /** A session revoked (`revoked`), or changed (its claims, its expiry): its JWTs issued before `at` are out of date. */
  | { kind: 'session'; session_id: string; revoked: boolean; at: number }
  | { kind: 'reset'; at: number };

function messageOf(event: ChangeEvent, at: number): PolicyChangeMessage | null {
  switch (event.type) {
    case 'policy':
      return { kind: event.kind, version: event.version };
    case 'organization':
      return { kind: 'organization', organization_id: event.organization_id, at };
    case 'member':
      return { kind: 'member', organization_id: event.organization_id, member_id: event.member_id, at };
    case 'user':
      return { kind: 'user', user_id: event.user_id, at };
    case 'session':
      return { kind: 'session', session_id: event.session_id, revoked: event.revoked === true, at };
    default:
      return null;
  }
}

function frame(message: PolicyChangeMessage): string {
  return `event: ${message.kind}\ndata: ${JSON.stringify(message)}\n\n`;
}

export function registerPolicyChangeRoutes(app: App, deps: { feed: ChangeFeed; rbac: RbacService; clock: Clock }) {
  const { feed, rbac, clock } = deps;
  const streams = new Map<string, Set<ServerResponse>>();
  const broadcast = (projectId: string | null, message: PolicyChangeMessage) => {
    const targets = projectId === null ? [...streams.values()].flatMap((set) => [...set]) : streams.get(projectId) ?? [];
    const text = frame(message);
    for (const stream of targets) stream.write(text);
  };
  feed.on(
    (event) => {
      if (!streams.has(event.project_id)) return;
      const message = messageOf(event, clock.now().getTime());
      if (message) broadcast(event.project_id, message);
    },
    // Notifications may have been missed: subscribers refetch everything.
    () => broadcast(null, { kind: 'reset', at: clock.now().getTime() }),
  );
  const heartbeat = setInterval(() => {
    for (const set of streams.values()) for (const stream of set) stream.write(': heartbeat\n\n');
  }, HEARTBEAT_MS);
  heartbeat.unref();

  // Streams end before the server closes, which would otherwise wait for them.
  app.addHook('preClose', (done) => {
    clearInterval(heartbeat);
    for (const set of streams.values()) for (const stream of set) stream.end();
    streams.clear();
    done();
  });

  // No HEAD: a stream's headers would be sent but the response would never end.
  app.get('/v1/rbac/policy/changes', { config: REFUSE, schema: { hide: true }, exposeHeadRoute: false }, async (request, reply) => {
    const projectId = request.projectId;
    reply.hijack();
    const stream = reply.raw;
    stream.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-request-id': request.id,
    });
    stream.write('retry: 1000\n\n');
    // Subscribed before the versions are read, so no change falls between the two.
    const subscribedAt = clock.now().getTime();
    let set = streams.get(projectId);
    if (!set) streams.set(projectId, (set = new Set()));
    set.add(stream);
    request.raw.on('close', () => {
      set.delete(stream);
      if (set.size === 0 && streams.get(projectId) === set) streams.delete(projectId);
    });
    try {
      const [consumer, b2b] = await Promise.all([rbac.getPolicy(projectId, 'consumer'), rbac.getPolicy(projectId, 'b2b')]);
      // `at`: changes from here on reach this stream; a JWT issued before it may predate one that did not.
      stream.write(frame({ kind: 'ready', consumer_version: consumer.version, b2b_version: b2b.version, at: subscribedAt }));
    } catch (error) {
      request.log.error({ err: error }, 'policy change stream failed');
      stream.end();
    }
  });
}
