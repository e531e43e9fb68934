// The dashboard talks to the same /v1 API as any backend, authenticated by the admin's HttpOnly
// cookie instead of the project secret. Every request carries the session's CSRF token: the cookie
// alone never authorizes anything, so another site cannot make the browser act for the admin.

export interface Admin {
  admin_id: string;
  email: string;
  created_at: string;
}

export interface DashboardProject {
  project_id: string;
  environment: string;
  public_token: string;
}

export interface DashboardSession {
  admin: Admin;
  csrf_token: string;
  project: DashboardProject;
}

/** One issue of a policy that did not validate (the policy engine's PolicyIssue). */
export interface PolicyIssue {
  code: string;
  message: string;
  path: string;
}

/** A failure in Stytch's error envelope. */
export class ApiError extends Error {
  readonly status: number;
  readonly errorType: string;
  readonly issues: PolicyIssue[];

  constructor(status: number, errorType: string, message: string, issues: PolicyIssue[] = []) {
    super(message);
    this.status = status;
    this.errorType = errorType;
    this.issues = issues;
  }
}

let csrfToken = '';

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

/** Listeners told when the session has ended (401), so the app can show the sign-in page. */
const signedOutListeners = new Set<() => void>();
export function onSignedOut(listener: () => void): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

export type Query = Record<string, string | number | boolean | undefined | null | readonly string[]>;

function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) value.forEach((item) => params.append(key, item));
    else params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export async function request<T>(method: string, path: string, options: { query?: Query; body?: unknown } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (csrfToken) headers['x-gatehouse-csrf'] = csrfToken;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(withQuery(path, options.query), {
    method,
    headers,
    credentials: 'same-origin',
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    throw new ApiError(response.status, 'bad_response', `The server answered ${response.status} with something that is not JSON.`);
  }
  if (!response.ok) {
    // The envelope carries a policy's validation issues in error_details (http/errors.ts).
    const details = (body.error_details ?? body.details) as { issues?: PolicyIssue[] } | undefined;
    const error = new ApiError(
      response.status,
      String(body.error_type ?? 'unknown_error'),
      String(body.error_message ?? `Request failed with status ${response.status}.`),
      details?.issues ?? (body.issues as PolicyIssue[] | undefined) ?? [],
    );
    if (response.status === 401 && !path.startsWith('/dashboard/api/login')) signedOutListeners.forEach((listener) => listener());
    throw error;
  }
  return body as T;
}

export const api = {
  get: <T>(path: string, query?: Query) => request<T>('GET', path, { query }),
  post: <T>(path: string, body?: unknown, query?: Query) => request<T>('POST', path, { body: body ?? {}, query }),
  put: <T>(path: string, body?: unknown, query?: Query) => request<T>('PUT', path, { body: body ?? {}, query }),
  delete: <T>(path: string, query?: Query) => request<T>('DELETE', path, { query }),
};

export async function loadSession(): Promise<DashboardSession | null> {
  try {
    const session = await api.get<DashboardSession>('/dashboard/api/session');
    setCsrfToken(session.csrf_token);
    return session;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}

export async function signIn(email: string, password: string): Promise<DashboardSession> {
  const result = await api.post<{ admin: Admin; csrf_token: string }>('/dashboard/api/login', { email, password });
  setCsrfToken(result.csrf_token);
  const session = await loadSession();
  if (!session) throw new ApiError(401, 'unauthorized_credentials', 'The session did not start; are cookies blocked?');
  return session;
}

export async function signOut(): Promise<void> {
  try {
    await api.post('/dashboard/api/logout');
  } finally {
    setCsrfToken('');
  }
}
