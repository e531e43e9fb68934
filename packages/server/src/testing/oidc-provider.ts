// Test support: a real OpenID provider (the oidc-provider package; 8.x, as 9 supports only Node 22 and
// later and prints `Unsupported runtime` on 20) on 127.0.0.1 at a random port,
// with one confidential client, an in-memory account store the test fills and changes, and a
// `groups` claim. Sign-ins are driven without a browser: signIn() follows the redirects from an
// authorization URL with a cookie jar; the provider's interaction URL is served by a route added
// here that logs the chosen user in and grants what the client asked for (or refuses, on request),
// through the provider's own interaction API (with `loginPage`, also a form for a real browser). It stops at the redirect to the client's callback and
// returns that URL, which the test hands to the relying party.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { type KoaContext } from 'oidc-provider';

export interface TestOidcUser {
  sub: string;
  /** Omit to test a provider that gives no email. */
  email?: string;
  /** Default true; null: the provider sends no email_verified claim at all. */
  email_verified?: boolean | null;
  name?: string;
  groups?: string[] | string;
  /** More claims released with the email scope (e.g. Microsoft's xms_edov). */
  extraClaims?: Record<string, unknown>;
}

export interface TestOidcProviderOptions {
  /** Redirect URIs of the client: the SP callback URL(s). */
  redirectUris: string[];
  clientId?: string;
  clientSecret?: string;
  /** How the client authenticates at the token endpoint (default client_secret_basic). */
  tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post';
  /**
   * true (default): scope-requested claims (email, name, groups) are in the ID token.
   * false: the provider conforms to OpenID Core and serves them at userinfo only.
   */
  claimsInIdToken?: boolean;
  /** More clients on the same provider (same redirect URIs unless given). */
  extraClients?: { client_id: string; client_secret: string; redirect_uris?: string[] }[];
  /**
   * Also serve a login page at the interaction URL, for a real browser: a button per user that signs
   * that user in and grants what the client asked for (signIn() keeps working beside it).
   */
  loginPage?: boolean;
}

export interface SignInOptions {
  /** Who signs in (default: the user last given to setUser). */
  sub?: string;
  /** Refuse at the provider: the callback gets error=access_denied. */
  deny?: boolean;
}

export interface TestOidcProvider {
  /** http://127.0.0.1:port — what discovery takes. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The oidc-provider instance, for tests that need to bend it (Koa middleware via provider.use). */
  provider: Provider;
  /** Adds or replaces a user; the next signIn() without `sub` signs this user in. */
  setUser(user: TestOidcUser): void;
  /**
   * Follows redirects from `authorizationUrl` (the provider's, or any URL that redirects to it) as a
   * fresh browser, logs in and consents at the provider, and returns the redirect to the callback
   * (code and state, or error) without requesting it.
   */
  signIn(authorizationUrl: string, options?: SignInOptions): Promise<URL>;
  stop(): Promise<void>;
}

const INTERACTION_PATH = /^\/interaction\/([A-Za-z0-9_-]+)$/;
const SIGN_IN_HEADER = 'x-test-sign-in';

export async function startOidcProvider(options: TestOidcProviderOptions): Promise<TestOidcProvider> {
  const clientId = options.clientId ?? 'gatehouse-test-client';
  const clientSecret = options.clientSecret ?? randomBytes(24).toString('base64url');
  const users = new Map<string, TestOidcUser>();
  let currentSub: string | undefined;
  /** What each running signIn() asked for, by the id it sends in SIGN_IN_HEADER (so sign-ins may overlap). */
  const signIns = new Map<string, SignInOptions & { sub: string }>();

  // The issuer carries the port, so listen first and hand requests to the provider once built.
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), kid: `test-${randomBytes(6).toString('hex')}`, alg: 'RS256', use: 'sig' };

  const client = (client_id: string, client_secret: string, redirect_uris: string[]) => ({
    client_id,
    client_secret,
    redirect_uris,
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: options.tokenEndpointAuthMethod ?? 'client_secret_basic',
  });

  const provider = new Provider(issuer, {
    clients: [
      client(clientId, clientSecret, options.redirectUris),
      ...(options.extraClients ?? []).map((extra) => client(extra.client_id, extra.client_secret, extra.redirect_uris ?? options.redirectUris)),
    ],
    jwks: { keys: [signingKey] },
    // The session cookie as oidc-provider 9 sets it: SameSite=Lax. 8 defaults to None, which a browser
    // refuses without Secure on plain HTTP (8 then falls back to a second, legacy cookie).
    cookies: { keys: [randomBytes(16).toString('hex')], long: { httpOnly: true, sameSite: 'lax' } },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified', 'xms_edov'],
      profile: ['name'],
      groups: ['groups'],
    },
    scopes: ['openid', 'email', 'profile', 'groups'],
    conformIdTokenClaims: options.claimsInIdToken === false,
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    pkce: { required: () => true },
    // Explicit lifetimes (seconds) keep the provider from printing a notice for each default.
    ttl: { AccessToken: 600, AuthorizationCode: 60, Grant: 600, IdToken: 600, Interaction: 600, Session: 600 },
    findAccount: async (_ctx: unknown, sub: string) => {
      if (!users.has(sub)) return undefined;
      return {
        accountId: sub,
        // Read at token time, so a change made between two sign-ins shows in the second.
        claims: async () => {
          const user = users.get(sub);
          if (user === undefined) return { sub };
          const claims: Record<string, unknown> = { sub };
          if (user.email !== undefined) {
            claims['email'] = user.email;
            if (user.email_verified !== null) claims['email_verified'] = user.email_verified ?? true;
          }
          if (user.name !== undefined) claims['name'] = user.name;
          if (user.groups !== undefined) claims['groups'] = user.groups;
          Object.assign(claims, user.extraClaims);
          return claims;
        },
      };
    },
    renderError: async (ctx: KoaContext, out: Record<string, unknown>) => {
      ctx.set('content-type', 'application/json');
      ctx.body = out;
    },
  });

  /** Ends the interaction: the user logged in and every requested scope granted, or the refusal. */
  async function finishInteraction(ctx: KoaContext, pending: SignInOptions & { sub: string }) {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    let result: Record<string, unknown>;
    if (pending.deny) {
      result = { error: 'access_denied', error_description: 'The user refused the sign-in.' };
    } else {
      const clientId = String(details.params.client_id);
      const grant = new provider.Grant({ accountId: pending.sub, clientId });
      grant.addOIDCScope(String(details.params.scope ?? 'openid'));
      grant.addOIDCClaims(['email', 'email_verified', 'name', 'groups']);
      result = { login: { accountId: pending.sub }, consent: { grantId: await grant.save() } };
    }
    const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
    ctx.status = 303;
    ctx.redirect(returnTo);
  }

  // The interaction route: log in the chosen user and grant every requested scope, in one step —
  // or, with loginPage, a form in the browser that does so for the user whose button is pressed.
  provider.use(async (ctx, next) => {
    const match = INTERACTION_PATH.exec(ctx.path);
    if (match === null || (ctx.method !== 'GET' && !(options.loginPage && ctx.method === 'POST'))) return next();
    if (options.loginPage && ctx.method === 'POST') {
      let body = '';
      for await (const chunk of ctx.req) body += String(chunk);
      const sub = new URLSearchParams(body).get('sub') ?? '';
      if (!users.has(sub)) {
        ctx.status = 400;
        ctx.body = { error: 'unknown user' };
        return;
      }
      return finishInteraction(ctx, { sub });
    }
    const pending = signIns.get(ctx.get(SIGN_IN_HEADER));
    if (pending === undefined && options.loginPage) {
      const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
      const buttons = [...users.values()].map((user) => `<button name="sub" value="${escape(user.sub)}">Sign in as ${escape(user.email ?? user.sub)}</button>`);
      ctx.set('content-type', 'text/html; charset=utf-8');
      ctx.body = `<!doctype html><title>Test identity provider</title><h1>Test identity provider</h1><form method="post">${buttons.join('')}</form>`;
      return;
    }
    if (pending === undefined) {
      ctx.status = 400;
      ctx.body = { error: 'this test provider signs in only through signIn()' };
      return;
    }
    return finishInteraction(ctx, pending);
  });

  // Koa composes its middleware when callback() is called: composing per request lets a test add
  // middleware (provider.use) after start.
  server.on('request', (req, res) => provider.callback()(req, res));

  const callbackPrefixes = [options.redirectUris, ...(options.extraClients ?? []).map((extra) => extra.redirect_uris ?? [])].flat();

  return {
    issuer,
    clientId,
    clientSecret,
    provider,
    setUser(user) {
      users.set(user.sub, { ...user });
      currentSub = user.sub;
    },
    async signIn(authorizationUrl, signInOptions = {}) {
      const sub = signInOptions.sub ?? currentSub;
      if (sub === undefined) throw new Error('signIn: call setUser first');
      const signInId = randomBytes(8).toString('hex');
      signIns.set(signInId, { ...signInOptions, sub });
      try {
        return await followToCallback(new URL(authorizationUrl), signInId);
      } finally {
        signIns.delete(signInId);
      }
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };

  /** A fresh browser: follows redirects with its own cookie jar until the redirect to a callback. */
  async function followToCallback(start: URL, signInId: string): Promise<URL> {
    const jar = new Map<string, Map<string, string>>();
    let url = start;
    for (let hop = 0; hop < 20; hop += 1) {
      if (callbackPrefixes.some((prefix) => url.href.startsWith(`${prefix}?`) || url.href === prefix)) return url;
      const cookies = jar.get(url.host);
      const headers: Record<string, string> = { [SIGN_IN_HEADER]: signInId };
      if (cookies) headers['cookie'] = [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
      const response = await fetch(url, { redirect: 'manual', headers });
      for (const line of response.headers.getSetCookie()) {
        const [pair = ''] = line.split(';');
        const eq = pair.indexOf('=');
        if (eq <= 0) continue;
        const hostCookies = jar.get(url.host) ?? new Map<string, string>();
        hostCookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
        jar.set(url.host, hostCookies);
      }
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || location === null) {
        throw new Error(`signIn: ${url.href} answered ${response.status} without a redirect: ${(await response.text()).slice(0, 500)}`);
      }
      await response.body?.cancel();
      url = new URL(location, url);
    }
    throw new Error('signIn: too many redirects');
  }
}
