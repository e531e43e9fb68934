// The whole example in one call: the page built, the backend listening, the project set up for it.
import type { AddressInfo } from 'node:net';
import { createB2BBackend, type AppConfig } from './backend.ts';
import { buildPage } from './build.ts';
import { setUpProject } from './gatehouse.ts';

export interface B2BExample {
  /** The app, e.g. http://127.0.0.1:3000. */
  appUrl: string;
  stop(): Promise<void>;
}

export async function startB2BExample(config: AppConfig, options: { port?: number } = {}): Promise<B2BExample> {
  const backend = createB2BBackend(config, await buildPage());
  await backend.listen({ port: options.port ?? 0, host: '127.0.0.1' });
  const appUrl = `http://127.0.0.1:${(backend.server.address() as AddressInfo).port}`;
  try {
    await setUpProject(config, appUrl);
  } catch (error) {
    await backend.close();
    throw error;
  }
  return { appUrl, stop: () => backend.close() };
}
