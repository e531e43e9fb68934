// The whole example in one call: a Gatehouse server (PGlite), the policy and demo users, the built
// frontend, and the documents backend serving both.
import { join } from 'node:path';
import { buildFrontend, EXAMPLE_ROOT } from './build.ts';
import { createDocumentsBackend } from './backend.ts';
import { freePort, provisionExample, startGatehouse, type RunningGatehouse } from './gatehouse.ts';

export interface DocumentsExample {
  /** The app, e.g. http://127.0.0.1:3000. */
  appUrl: string;
  gatehouse: RunningGatehouse;
  /** Demo users by email. */
  userIds: Record<string, string>;
  stop(): Promise<void>;
}

export interface DocumentsExampleOptions {
  /** Gatehouse's data folder (PGlite), when the example starts its own server. */
  dataDir?: string;
  /** A Gatehouse that is already running, instead of starting one (`gatehouse serve`). */
  gatehouse?: RunningGatehouse;
  /** Where the frontend is built. Default examples/documents/dist. */
  outDir?: string;
  port?: number;
  gatehousePort?: number;
  log?: (line: string) => void;
}

export async function startDocumentsExample(options: DocumentsExampleOptions): Promise<DocumentsExample> {
  const outDir = options.outDir ?? join(EXAMPLE_ROOT, 'dist');
  const starting = options.gatehouse ?? startGatehouse({ dataDir: options.dataDir ?? join(EXAMPLE_ROOT, '.gatehouse'), port: options.gatehousePort, log: options.log });
  const [gatehouse] = await Promise.all([starting, buildFrontend(outDir)]);
  try {
    const backend = await createDocumentsBackend({ gatehouseUrl: gatehouse.url, credentials: gatehouse.credentials, staticDir: outDir });
    const port = options.port || (await freePort());
    await backend.listen({ port, host: '127.0.0.1' });
    const appUrl = `http://127.0.0.1:${port}`;
    const userIds = await provisionExample(gatehouse, appUrl);
    return {
      appUrl,
      gatehouse,
      userIds,
      async stop() {
        await backend.close();
        await gatehouse.stop();
      },
    };
  } catch (error) {
    await gatehouse.stop();
    throw error;
  }
}
