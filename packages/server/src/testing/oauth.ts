// Test support for OAuth sign-ins over real HTTP: a small GitHub stand-in (GitHub's plain OAuth 2
// flow and its API) and the driving of a whole flow — Gatehouse's start, the provider's sign-in, the
// callback — as a browser does it. Google and Microsoft are played by oidc-provider (oidc-provider.ts)
// through the provider's endpoint overrides.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestServer } from './harness.ts';
import type { TestOidcProvider } from './oidc-provider.ts';

export interface GitHubTestUser {
  id: number;
  login: string;
  name?: string;
  emails: { email: string; primary: boolean; verified: boolean }[];
}

export interface GitHubStandIn {
  /** http://127.0.0.1:port: authorization at /login/oauth/authorize, token at /login/oauth/access_token, API at /user. */
  url: string;
  clientId: string;
  clientSecret: string;
  setUser(user: GitHubTestUser): void;
  /** Follows the authorization URL as the signed-in user (GitHub's consent skipped) and returns the redirect to the callback. */
  signIn(authorizationUrl: string): Promise<URL>;
  /** Requests its endpoints received: what Gatehouse sent (paths and form fields, never compared in full by tests). */
  seen: { path: string; form?: Record<string, string> }[];
  stop(): Promise<void>;
}

/**
 * GitHub as a client sees it: authorize issues a one-time code bound to the redirect_uri and the
 * S256 code_challenge; the token endpoint answers 200 with `{error: 'bad_verification_code'}` (as
 * GitHub does) for an unknown or used code, a wrong verifier or redirect_uri, or wrong client
 * credentials; /user and /user/emails need the bearer token.
 */
export async function startGitHubStandIn(): Promise<GitHubStandIn> {
  const clientId = `Iv1.${randomBytes(8).toString('hex')}`;
  const clientSecret = randomBytes(20).toString('hex');
  let current: GitHubTestUser | undefined;
  const codes = new Map<string, { user: GitHubTestUser; redirectUri: string; challenge: string }>();
  const tokens = new Map<string, GitHubTestUser>();
  const seen: GitHubStandIn['seen'] = [];
  const json = (res: import('node:http').ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://github.invalid');
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      if (req.method === 'GET' && url.pathname === '/login/oauth/authorize') {
        seen.push({ path: url.pathname });
        if (!current || url.searchParams.get('client_id') !== clientId || url.searchParams.get('code_challenge_method') !== 'S256') return json(res, 400, { error: 'bad_request' });
        const code = randomBytes(10).toString('hex');
        const redirectUri = url.searchParams.get('redirect_uri')!;
        codes.set(code, { user: current, redirectUri, challenge: url.searchParams.get('code_challenge')! });
        const back = new URL(redirectUri);
        back.searchParams.set('code', code);
        back.searchParams.set('state', url.searchParams.get('state')!);
        res.writeHead(302, { location: back.toString() });
        return res.end();
      }
      if (req.method === 'POST' && url.pathname === '/login/oauth/access_token') {
        const form = Object.fromEntries(new URLSearchParams(body));
        seen.push({ path: url.pathname, form });
        const grant = codes.get(form.code ?? '');
        codes.delete(form.code ?? '');
        const verifierOk = grant && createHash('sha256').update(form.code_verifier ?? '').digest('base64url') === grant.challenge;
        if (!grant || form.client_id !== clientId || form.client_secret !== clientSecret || form.redirect_uri !== grant.redirectUri || !verifierOk) {
          return json(res, 200, { error: 'bad_verification_code', error_description: 'The code passed is incorrect or expired.' });
        }
        const accessToken = `gho_${randomBytes(16).toString('hex')}`;
        tokens.set(accessToken, grant.user);
        return json(res, 200, { access_token: accessToken, token_type: 'bearer', scope: 'read:user,user:email' });
      }
      const user = tokens.get((req.headers.authorization ?? '').replace(/^Bearer /, ''));
      seen.push({ path: url.pathname });
      if (!user) return json(res, 401, { message: 'Requires authentication' });
      if (url.pathname === '/user') return json(res, 200, { id: user.id, login: user.login, name: user.name ?? null });
      if (url.pathname === '/user/emails') return json(res, 200, user.emails.map((entry) => ({ ...entry, visibility: null })));
      return json(res, 404, { message: 'Not Found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    clientId,
    clientSecret,
    seen,
    setUser(user) {
      current = user;
    },
    async signIn(authorizationUrl) {
      const response = await fetch(authorizationUrl, { redirect: 'manual' });
      assert.equal(response.status, 302, await response.text());
      return new URL(response.headers.get('location')!);
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The provider settings that point Gatehouse's preset at a stand-in on loopback. */
export function oidcOverrides(provider: TestOidcProvider) {
  return {
    client_id: provider.clientId, client_secret: provider.clientSecret, issuer: provider.issuer,
    authorization_url: `${provider.issuer}/auth`, token_url: `${provider.issuer}/token`, userinfo_url: `${provider.issuer}/me`, jwks_url: `${provider.issuer}/jwks`,
  };
}
export function githubOverrides(github: GitHubStandIn) {
  return {
    client_id: github.clientId, client_secret: github.clientSecret,
    authorization_url: `${github.url}/login/oauth/authorize`, token_url: `${github.url}/login/oauth/access_token`, userinfo_url: `${github.url}/user`,
  };
}

export interface FinishedOAuth {
  status: number;
  location: string | null;
  body: any;
}

/** GET a Gatehouse start without following it. */
export function startOAuth(server: TestServer, path: string, query: Record<string, string>): Promise<Response> {
  return fetch(`${server.baseUrl}${path}?${new URLSearchParams(query)}`, { redirect: 'manual' });
}

/** Hands the provider's redirect to Gatehouse's callback (on the test server) and returns Gatehouse's answer. */
export async function finishOAuth(server: TestServer, callback: URL): Promise<FinishedOAuth> {
  const response = await fetch(`${server.baseUrl}${callback.pathname}${callback.search}`, { redirect: 'manual' });
  const text = await response.text();
  return { status: response.status, location: response.headers.get('location'), body: text ? JSON.parse(text) : null };
}

/** A whole flow: start, the provider's sign-in (`signIn` follows the provider's URL), the callback. */
export async function oauthFlow(server: TestServer, path: string, query: Record<string, string>, signIn: (url: string) => Promise<URL>): Promise<FinishedOAuth> {
  const start = await startOAuth(server, path, query);
  assert.equal(start.status, 302, await start.text());
  return finishOAuth(server, await signIn(start.headers.get('location')!));
}

/** The token and its type in Gatehouse's redirect back to the application. */
export function tokenOf(finished: FinishedOAuth, expectedUrl?: string): { token: string; type: string; url: string } {
  assert.equal(finished.status, 302, JSON.stringify(finished.body));
  const back = new URL(finished.location!);
  if (expectedUrl) assert.equal(`${back.origin}${back.pathname}`, expectedUrl);
  return { token: back.searchParams.get('token')!, type: back.searchParams.get('stytch_token_type')!, url: `${back.origin}${back.pathname}` };
}
