// The attributes a session records (Stytch's `attributes`: ip_address, user_agent). Sessions made
// through the browser API (/sdk/v1) record the request's client IP (Fastify's request.ip, which
// honours GATEHOUSE_TRUST_PROXY) and User-Agent; sessions made with the project secret record none,
// as Stytch's backend API does when given none. The browser API's caller hook reads them once per
// request (`request.sdk.attributes`); its sign-in routes pass them in the session input
// (`SessionInput.callerAttributes`) and the grants (service.ts, member-sessions.ts) record them.
// Passed explicitly, not through AsyncLocalStorage: on Node 20 an active AsyncLocalStorage turns on
// promise hooks for the whole process, and every request (session authenticate included) pays.

export interface SessionAttributes {
  ip_address: string;
  user_agent: string;
}

const NONE: SessionAttributes = Object.freeze({ ip_address: '', user_agent: '' });
/** Longest User-Agent kept; a longer one is cut. */
const MAX_USER_AGENT = 1024;

export function sessionAttributesOf(request: { ip: string; headers: Record<string, string | string[] | undefined> }): SessionAttributes {
  const agent = request.headers['user-agent'];
  return { ip_address: request.ip ?? '', user_agent: (typeof agent === 'string' ? agent : '').slice(0, MAX_USER_AGENT) };
}

/** What a grant records for a session started with this input: a copy of the caller's, or none. */
export function recordedAttributes(given: SessionAttributes | undefined): SessionAttributes {
  const source = given ?? NONE;
  return { ip_address: source.ip_address, user_agent: source.user_agent };
}
