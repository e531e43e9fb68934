// The dashboard's files: the Vite build of @gatehouse/dashboard, served at /dashboard/ as a
// single-page app (a path that is not a file gets index.html; /dashboard/api/… never does), with
// headers that allow no inline script, no framing and no foreign origins; /favicon.ico is its icon.
import { stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyReply } from 'fastify';
import type { App } from '../http/app.ts';

const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** The headers of every /dashboard response, the API's included. */
export function dashboardHeaders(reply: FastifyReply): void {
  void reply.headers({
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-frame-options': 'DENY',
    'referrer-policy': 'same-origin',
    'x-content-type-options': 'nosniff',
  });
}

/** Where the build is: the installed @gatehouse/dashboard package, else the workspace folder next to this one. */
export function defaultDashboardDir(): string {
  try {
    return fileURLToPath(new URL('./dist', import.meta.resolve('@gatehouse/dashboard/package.json')));
  } catch {
    return fileURLToPath(new URL('../../../dashboard/dist', import.meta.url));
  }
}

const NOT_BUILT = `<!doctype html>
<meta charset="utf-8">
<title>Gatehouse dashboard</title>
<h1>The dashboard is not built</h1>
<p>Run <code>npm run build -w @gatehouse/dashboard</code> and reload this page.</p>
`;

export async function registerDashboard(app: App, options: { dir?: string }) {
  const root = resolve(options.dir ?? defaultDashboardDir());
  // Files are found here (below); the plugin only sends them, with Range, ETag and the right type.
  await app.register(fastifyStatic, { serve: false, root });

  const handler = async (request: { url: string }, reply: FastifyReply) => {
    const path = request.url.split('?')[0]!;
    if (path === '/dashboard') return reply.redirect('/dashboard/', 301);
    const relative = decodePath(path.slice('/dashboard/'.length));
    // Unknown API paths answer like any unknown route (404, or 405 for a wrong method).
    if (relative === null || relative === 'api' || relative.startsWith('api/')) return reply.callNotFound();
    dashboardHeaders(reply);
    const file = await findFile(root, relative);
    if (file !== null) {
      // Vite names built assets by content hash: they never change under one name.
      const cacheControl = file.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
      return reply.header('cache-control', cacheControl).sendFile(file, root, { cacheControl: false, dotfiles: 'deny' });
    }
    if ((await findFile(root, 'index.html')) === null) {
      return reply.status(503).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(NOT_BUILT);
    }
    return reply.header('cache-control', 'no-cache').sendFile('index.html', root, { cacheControl: false });
  };
  const routeOptions = { config: { auth: 'public' as const, memberSession: 'refuse' as const }, schema: { hide: true } };
  app.get('/dashboard', routeOptions, handler);
  app.get('/dashboard/*', routeOptions, handler);
  // The server's root is where a person who opens the printed URL lands: the dashboard (the API is under /v1).
  app.get('/', routeOptions, async (_request, reply) => reply.redirect('/dashboard/', 302));
  // Browsers ask for /favicon.ico whatever page they are on: the dashboard's icon (public/favicon.ico).
  app.get('/favicon.ico', routeOptions, async (_request, reply) => {
    if ((await findFile(root, 'favicon.ico')) === null) return reply.callNotFound();
    return reply.header('cache-control', 'public, max-age=86400').sendFile('favicon.ico', root, { cacheControl: false });
  });
}

function decodePath(path: string): string | null {
  try {
    return decodeURIComponent(path);
  } catch {
    return null;
  }
}

/** `relative` when it names a regular file inside `root` (no dot-files, nothing outside), else null. */
async function findFile(root: string, relative: string): Promise<string | null> {
  if (relative === '' || relative.includes('\0') || relative.split('/').some((part) => part.startsWith('.'))) return null;
  const absolute = resolve(join(root, relative));
  if (!absolute.startsWith(root + sep)) return null;
  try {
    return (await stat(absolute)).isFile() ? relative : null;
  } catch {
    return null;
  }
}
