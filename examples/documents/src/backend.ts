// The documents app's backend: a JSON API over an in-memory list of documents, every route enforced
// with Gatehouse (the session from the `stytch_session` cookie the browser SDK sets, checked with
// sessions/authenticate + authorization_check — the server decides, whatever the page shows), and
// the built React frontend served as static files.
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
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
  const authorization = `Basic ${Buffer.from(`${credentials.project_id}:${credentials.secret}`).toString('base64')}`;
  const documents: Doc[] = [
    { id: 1, title: 'Welcome', body: 'Gatehouse guards these documents.', updated_at: new Date().toISOString() },
    { id: 2, title: 'Roadmap', body: 'SDKs, examples, a dashboard.', updated_at: new Date().toISOString() },
  ];
  let nextId = 3;

  /** Authenticates the caller's session and checks documents:<action> in one call; replies 401/403 itself. */
  async function enforce(request: FastifyRequest, reply: FastifyReply, action: DocumentAction): Promise<boolean> {
    const token = readCookie(request.headers.cookie ?? '', 'stytch_session');
    if (!token) {
      await reply.code(401).send({ error_type: 'unauthorized', error_message: 'Sign in first.' });
      return false;
    }
    const response = await fetch(`${options.gatehouseUrl}/v1/sessions/authenticate`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify({ session_token: token, authorization_check: { resource_id: 'documents', action } }),
    });
    if (response.ok) return true;
    const body = (await response.json()) as { error_type?: string; error_message?: string };
    await reply.code(response.status === 403 ? 403 : 401).send({ error_type: body.error_type, error_message: body.error_message });
    return false;
  }

  app.get('/api/config', async () => ({ gatehouseUrl: options.gatehouseUrl, publicToken: credentials.public_token }));

  app.get('/api/documents', async (request, reply) => {
    if (!(await enforce(request, reply, 'read'))) return reply;
    return { documents: documents.map(({ body: _body, ...summary }) => summary) };
  });

  app.post<{ Body: { title?: string; body?: string } }>('/api/documents', async (request, reply) => {
    if (!(await enforce(request, reply, 'create'))) return reply;
    const doc = { id: nextId++, title: String(request.body?.title ?? 'Untitled'), body: String(request.body?.body ?? ''), updated_at: new Date().toISOString() };
    documents.push(doc);
    return reply.code(201).send({ document: doc });
  });

  app.put<{ Params: { id: string }; Body: { title?: string; body?: string } }>('/api/documents/:id', async (request, reply) => {
    if (!(await enforce(request, reply, 'write'))) return reply;
    const doc = documents.find((d) => d.id === Number(request.params.id));
    if (!doc) return reply.code(404).send({ error_type: 'not_found', error_message: 'No such document.' });
    if (request.body?.title !== undefined) doc.title = String(request.body.title);
    if (request.body?.body !== undefined) doc.body = String(request.body.body);
    doc.updated_at = new Date().toISOString();
    return { document: doc };
  });

  app.delete<{ Params: { id: string } }>('/api/documents/:id', async (request, reply) => {
    if (!(await enforce(request, reply, 'delete'))) return reply;
    const index = documents.findIndex((d) => d.id === Number(request.params.id));
    if (index < 0) return reply.code(404).send({ error_type: 'not_found', error_message: 'No such document.' });
    documents.splice(index, 1);
    return { deleted: Number(request.params.id) };
  });

  app.get<{ Params: { id: string } }>('/api/documents/:id/download', async (request, reply) => {
    if (!(await enforce(request, reply, 'download'))) return reply;
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

function readCookie(header: string, name: string): string | null {
  for (const part of header.split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('='));
  }
  return null;
}
