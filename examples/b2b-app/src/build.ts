// The page: index.html and app.js bundled (with the installed @stytch/vanilla-js) by esbuild, in memory.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const EXAMPLE_ROOT = fileURLToPath(new URL('..', import.meta.url));

export async function buildPage(): Promise<{ html: string; script: string }> {
  const [bundle, html] = await Promise.all([
    build({
      entryPoints: [fileURLToPath(new URL('web/app.js', import.meta.url))],
      bundle: true,
      format: 'iife',
      platform: 'browser',
      target: 'es2022',
      write: false,
      logLevel: 'warning',
    }),
    readFile(new URL('web/index.html', import.meta.url), 'utf8'),
  ]);
  return { html, script: bundle.outputFiles[0]!.text };
}
