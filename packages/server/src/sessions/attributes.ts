// The attributes a session records (Stytch's `attributes`: ip_address, user_agent). Sessions made
// through the browser API (/sdk/v1) record the request's client IP (Fastify's request.ip, which
// honours GATEHOUSE_TRUST_PROXY) and User-Agent; sessions made with the project secret record none,
// as Stytch's backend API does when given none. One path: sdk/browser-api.ts runs every /sdk/v1
// handler inside `withSessionAttributes`, and the grants (service.ts, member-sessions.ts) read
// `currentSessionAttributes` when they start a session — no route passes them by hand.
import { AsyncLocalStorage } from 'node:async_hooks';

export interface SessionAttributes {
  ip_address: string;
  user_agent: string;
}

const NONE: SessionAttributes = Object.freeze({ ip_address: '', user_agent: '' });
/** Longest User-Agent kept; a longer one is cut. */
const MAX_USER_AGENT = 1024;
const storage = new AsyncLocalStorage<SessionAttributes>();

export function sessionAttributesOf(request: { ip: string; headers: Record<string, string | string[] | undefined> }): SessionAttributes {
  const agent = request.headers['user-agent'];
  return { ip_address: request.ip ?? '', user_agent: (typeof agent === 'string' ? agent : '').slice(0, MAX_USER_AGENT) };
}

/** Runs `work` (and everything it awaits) with these attributes for the sessions it starts. */
export function withSessionAttributes<T>(attributes: SessionAttributes, work: () => T): T {
  return storage.run(attributes, work);
}

/** The attributes of the request being served: empty outside the browser API. A fresh copy. */
export function currentSessionAttributes(): SessionAttributes {
  const current = storage.getStore() ?? NONE;
  return { ip_address: current.ip_address, user_agent: current.user_agent };
}
