// Builds the React frontend with Vite into a folder the backend serves.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { build } from 'vite';

export const EXAMPLE_ROOT = fileURLToPath(new URL('..', import.meta.url));

export async function buildFrontend(outDir: string): Promise<void> {
  await build({
    root: EXAMPLE_ROOT,
    configFile: false,
    logLevel: 'warn',
    plugins: [react()],
    build: { outDir, emptyOutDir: true, target: 'es2022' },
  });
}
