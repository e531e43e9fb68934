// The server's source as the rule-holding tests read it (route imports, table ownership).
import { readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** packages/server/src. */
export const SERVER_SRC = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Every non-test TypeScript source file under src, as a path relative to src with forward slashes. */
export function serverSourceFiles(dir = SERVER_SRC, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) serverSourceFiles(path, out);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts')) out.push(relative(SERVER_SRC, path).split('\\').join('/'));
  }
  return out.sort();
}
