// GET /sdk/v1/sessions/events (Gatehouse addition): the browser's change stream, scoped to the one
// session in its Basic credentials. Server-sent events about that session and its subject only
// (consumer user or B2B member), filtered here from the change feed as /v1/rbac/policy/changes does
// for the whole project: `session_revoked` when the session is revoked (then the stream ends),
// `roles_changed` when the subject's roles may have changed, `reset` when notifications were missed.
// Nothing else of the project is sent: no ids but the caller's own session id.
import type { ServerResponse } from 'node:http';
import type { FastifyRequest } from 'fastify';
import type { App } from '../http/app.ts';
import type { ChangeEvent, ChangeFeed } from '../store/change-feed.ts';
import type { Clock } from '../shared/clock.ts';
import { GatehouseError } from '../shared/errors.ts';
import { PUBLIC, requireSessionToken, SDK_PREFIX, type SdkHooks } from '../sdk/browser-api.ts';
import type { SessionService } from './service.ts';

export const SESSION_EVENTS_HEARTBEAT_MS = 15_000;
/** Open streams one session may hold (tabs), and one IP address. */
export const MAX_STREAMS_PER_SESSION = 4;
export const MAX_STREAMS_PER_IP = 32;

/** Whose changes a stream carries. */
interface Watch {
  project_id: string;
  session_id: string;
  user_id: string | null;
  member_id: string | null;
  organization_id: string | null;
  stream: ServerResponse;
}

export type SessionStreamMessage =
  | { kind: 'ready'; session_id: string; at: number }
  | { kind: 'session_revoked'; session_id: string; at: number }
  | { kind: 'roles_changed'; session_id: string; at: number }
  | { kind: 'reset'; at: number };

function frame(message: SessionStreamMessage): string {
  return `event: ${message.kind}\ndata: ${JSON.stringify(message)}\n\n`;
}

/** What the event means for one stream, or null when it is about someone else. */
export function sessionMessageOf(event: ChangeEvent, watch: Watch, at: number): SessionStreamMessage | null {
  if (event.project_id !== watch.project_id) return null;
  switch (event.type) {
    case 'session':
      if (event.session_id !== watch.session_id) return null;
      return event.revoked === true ? { kind: 'session_revoked', session_id: watch.session_id, at } : { kind: 'roles_changed', session_id: watch.session_id, at };
    case 'user':
      return watch.user_id !== null && event.user_id === watch.user_id ? { kind: 'roles_changed', session_id: watch.session_id, at } : null;
    case 'member':
      return watch.member_id !== null && event.member_id === watch.member_id ? { kind: 'roles_changed', session_id: watch.session_id, at } : null;
    case 'organization':
      // The member's organization (its custom roles, its role assignments).
      return watch.organization_id !== null && event.organization_id === watch.organization_id ? { kind: 'roles_changed', session_id: watch.session_id, at } : null;
    case 'policy':
      // What the roles grant (the policy the bootstrap already gives every page): the SDK re-reads it.
      return { kind: 'roles_changed', session_id: watch.session_id, at };
    default:
      return null;
  }
}

export function registerSessionEventRoutes(app: App, deps: { hooks: SdkHooks; sessions: SessionService; feed: ChangeFeed; clock: Clock }) {
  const { hooks, sessions, feed, clock } = deps;
  const byProject = new Map<string, Set<Watch>>();
  const perSession = new Map<string, number>();
  const perIp = new Map<string, number>();
  const count = (map: Map<string, number>, key: string, delta: number) => {
    const next = (map.get(key) ?? 0) + delta;
    if (next <= 0) map.delete(key);
    else map.set(key, next);
  };

  feed.on(
    (event) => {
      const watches = byProject.get(event.project_id);
      if (!watches) return;
      const at = clock.now().getTime();
      for (const watch of [...watches]) {
        const message = sessionMessageOf(event, watch, at);
        if (!message) continue;
        watch.stream.write(frame(message));
        if (message.kind === 'session_revoked') watch.stream.end();
      }
    },
    () => {
      const text = frame({ kind: 'reset', at: clock.now().getTime() });
      for (const watches of byProject.values()) for (const watch of watches) watch.stream.write(text);
    },
  );
  const heartbeat = setInterval(() => {
    for (const watches of byProject.values()) for (const watch of watches) watch.stream.write(': heartbeat\n\n');
  }, SESSION_EVENTS_HEARTBEAT_MS);
  heartbeat.unref();
  app.addHook('preClose', (done) => {
    clearInterval(heartbeat);
    for (const watches of byProject.values()) for (const watch of watches) watch.stream.end();
    byProject.clear();
    done();
  });

  const subjectOf = async (request: FastifyRequest) => {
    const session_token = requireSessionToken(request);
    const b2b = request.sdk.vertical === 'B2B' || (request.query as { vertical?: string } | undefined)?.vertical === 'B2B';
    if (b2b) {
      const actor = await sessions.authenticateActor(request.projectId, { session_token });
      return { session_id: actor.session_id, user_id: null, member_id: actor.member.member_id, organization_id: actor.organization.organization_id };
    }
    const grant = await sessions.authenticate(request.projectId, request.sdk.project.environment, { session_token });
    if (!grant.session) throw new GatehouseError('sdk_session_missing');
    return { session_id: grant.session.session_id, user_id: grant.user.user_id, member_id: null, organization_id: null };
  };

  app.get(
    `${SDK_PREFIX}/sessions/events`,
    { config: PUBLIC, onRequest: hooks.caller, schema: { hide: true }, exposeHeadRoute: false },
    async (request, reply) => {
      const subject = await subjectOf(request);
      const ip = request.ip;
      if ((perSession.get(subject.session_id) ?? 0) >= MAX_STREAMS_PER_SESSION || (perIp.get(ip) ?? 0) >= MAX_STREAMS_PER_IP) {
        void reply.header('retry-after', '10');
        throw new GatehouseError('too_many_requests', { params: { retry_after_seconds: 10 } });
      }
      // CORS headers set by the caller hook go out with the hijacked response too.
      const headers: Record<string, string> = {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-request-id': request.id,
      };
      for (const name of ['access-control-allow-origin', 'access-control-allow-credentials', 'vary']) {
        const value = reply.getHeader(name);
        if (typeof value === 'string') headers[name] = value;
      }
      reply.hijack();
      const stream = reply.raw;
      stream.writeHead(200, headers);
      stream.write('retry: 1000\n\n');
      const watch: Watch = { project_id: request.projectId, ...subject, stream };
      let watches = byProject.get(watch.project_id);
      if (!watches) byProject.set(watch.project_id, (watches = new Set()));
      watches.add(watch);
      count(perSession, subject.session_id, 1);
      count(perIp, ip, 1);
      const set = watches;
      const release = () => {
        if (!set.delete(watch)) return;
        if (set.size === 0 && byProject.get(watch.project_id) === set) byProject.delete(watch.project_id);
        count(perSession, subject.session_id, -1);
        count(perIp, ip, -1);
      };
      request.raw.on('close', release);
      stream.on('finish', release);
      stream.write(frame({ kind: 'ready', session_id: subject.session_id, at: clock.now().getTime() }));
    },
  );
}
