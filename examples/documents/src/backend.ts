// The documents app's backend: a JSON API over an in-memory list of documents, every route enforced
// with the backend SDK (@gatehouse/node): the session JWT from the `stytch_session_jwt` cookie the
// browser SDK sets, verified and checked locally against the cached policy — the backend decides,
// whatever the page shows. It also serves the built React frontend.
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fastifyGuard, GatehouseClient } from '@gatehouse/node';
import Fastify from 'fastify';
import type { DocumentAction } from './policy.ts';
import type { ProjectCredentials } from './gatehouse.ts';

export interface DocumentsBackendOptions {
  gatehouseUrl: string;
  credentials: ProjectCredentials;
  /** The built frontend (Vite's outDir). */
  staticDir: string;
}

interface Doc {
  id: number;
  title: string;
  body: string;
  updated_at: string;
}

const MIME: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.json': 'application/json' };

export async function createDocumentsBackend(options: DocumentsBackendOptions) {
  const app = Fastify({ logger: false });
  const { credentials } = options;
  const gatehouse = new GatehouseClient({ project_id: credentials.project_id, secret: credentials.secret, base_url: options.gatehouseUrl });
  const guard = fastifyGuard(gatehouse, { cookieName: 'stytch_session_jwt' });
  const can = (action: DocumentAction) => ({ preHandler: guard.requirePermission('documents', action) });
  app.addHook('onClose', async () => gatehouse.close());
  const documents: Doc[] = [
    { id: 1, title: 'Welcome', body: 'Gatehouse guards these documents.', updated_at: new Date().toISOString() },
    { id: 2, title: 'Roadmap', body: 'SDKs, examples, a dashboard.', updated_at: new Date().toISOString() },
  ];
  let nextId = 3;

  app.get('/api/config', async () => ({ gatehouseUrl: options.gatehouseUrl, publicToken: credentials.public_token }));

  app.get('/api/documents', can('read'), async () => {
    return { documents: documents.map(({ body: _body, ...summary }) => summary) };
  });

  app.post<{ Body: { title?: string; body?: string } }>('/api/documents', can('create'), async (request, reply) => {
    const doc = { id: nextId++, title: String(request.body?.title ?? 'Untitled'), body: String(request.body?.body ?? ''), updated_at: new Date().toISOString() };
    documents.push(doc);
    return reply.code(201).send({ document: doc });
  });

  app.put<{ Params: { id: string }; Body: { title?: string; body?: string } }>('/api/documents/:id', can('write'), async (request, reply) => {
    const doc = documents.find((d) => d.id === Number(request.params.id));
    if (!doc) return reply.code(404).send({ error_type: 'not_found', error_message: 'No such document.' });
    if (request.body?.title !== undefined) doc.title = String(request.body.title);
    if (request.body?.body !== undefined) doc.body = String(request.body.body);
    doc.updated_at = new Date().toISOString();
    return { document: doc };
  });

  app.delete<{ Params: { id: string } }>('/api/documents/:id', can('delete'), async (request, reply) => {
    const index = documents.findIndex((d) => d.id === Number(request.params.id));
    if (index < 0) return reply.code(404).send({ error_type: 'not_found', error_message: 'No such document.' });
    documents.splice(index, 1);
    return { deleted: Number(request.params.id) };
  });

  app.get<{ Params: { id: string } }>('/api/documents/:id/download', can('download'), async (request, reply) => {
    const doc = documents.find((d) => d.id === Number(request.params.id));
    if (!doc) return reply.code(404).send({ error_type: 'not_found', error_message: 'No such document.' });
    return reply
      .header('content-type', 'text/plain; charset=utf-8')
      .header('content-disposition', `attachment; filename="document-${doc.id}.txt"`)
      .send(`${doc.title}\n\n${doc.body}\n`);
  });

  // The built frontend; any other path is the single page.
  app.get('/*', async (request, reply) => {
    const path = normalize(decodeURIComponent(new URL(request.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    const file = join(options.staticDir, path === '/' ? 'index.html' : path);
    if (file.startsWith(options.staticDir)) {
      try {
        const content = await readFile(file);
        return reply.header('content-type', MIME[extname(file)] ?? 'application/octet-stream').send(content);
      } catch {
        // fall through to the page
      }
    }
    return reply.header('content-type', MIME['.html']).send(await readFile(join(options.staticDir, 'index.html')));
  });

  return app;
}
