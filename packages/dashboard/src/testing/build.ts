// The dashboard as the browser tests see it: built from the current sources. A build is kept in the
// temporary folder under a hash of what goes into it, so test files running side by side share one
// build, and an edited page is never tested from a stale dist/.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

export const DASHBOARD_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The sources of the packages the bundle takes in, found as the bundler finds them: by package name. */
const PACKAGE_SOURCES = ['@gatehouse/policy'].map((name) => dirname(fileURLToPath(import.meta.resolve(name))));

/** Every file that can change the bundle; tests and test support cannot. */
function bundleInputs(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== 'testing' && name !== 'node_modules') bundleInputs(path, out);
    } else if (!/\.test\.tsx?$/.test(name)) {
      out.push(path);
    }
  }
  return out;
}

function sourceHash(): string {
  const hash = createHash('sha256');
  const files = [
    ...['index.html', 'vite.config.ts', 'package.json'].map((name) => join(DASHBOARD_ROOT, name)),
    ...bundleInputs(join(DASHBOARD_ROOT, 'src')),
    ...bundleInputs(join(DASHBOARD_ROOT, 'public')),
    ...PACKAGE_SOURCES.flatMap((dir) => bundleInputs(dir)),
  ];
  for (const file of files) hash.update(file).update('\0').update(readFileSync(file)).update('\0');
  return hash.digest('hex').slice(0, 16);
}

/** The folder of a build of the current sources (made when there is none yet). */
export async function buildDashboard(): Promise<string> {
  const dir = join(tmpdir(), `gatehouse-dashboard-${sourceHash()}`);
  if (existsSync(join(dir, 'index.html'))) return dir;
  const building = `${dir}.building-${process.pid}-${Date.now()}`;
  await build({ root: DASHBOARD_ROOT, logLevel: 'warn', build: { outDir: building, emptyOutDir: true } });
  try {
    renameSync(building, dir);
  } catch (error) {
    // Another test file finished the same build first: theirs is as good.
    rmSync(building, { recursive: true, force: true });
    if (!existsSync(join(dir, 'index.html'))) throw error;
  }
  return dir;
}
