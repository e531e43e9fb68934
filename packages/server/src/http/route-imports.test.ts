// The feature layout, read from the source: features share through schema.ts (request schemas),
// wire.ts (toWire… response shaping) and service modules, never through a file that registers routes.
// - A route-registering file (one exporting a `register…(app…)` function) is imported only by the
//   composition root (app/server.ts) and by route-registering files of its own feature.
// - A toWire… function is defined in a wire.ts file and nowhere else.
// - No source file reaches 600 lines.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { SERVER_SRC as SRC, serverSourceFiles as sourceFiles } from '../testing/source-files.ts';

const COMPOSITION_ROOT = 'app/server.ts';

/** `importer → imported` pairs allowed (none: the rule has no exceptions; an entry here must be used). */
const KNOWN_EXCEPTIONS = new Set<string>();

const read = (file: string) => readFileSync(join(SRC, file), 'utf8');
const feature = (file: string) => dirname(file);

/** The source files a file imports (static, re-export and dynamic), relative to src. */
function relativeImports(file: string): string[] {
  const specifiers = [...read(file).matchAll(/(?:\bfrom|\bimport)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((match) => match[1]!);
  return specifiers.map((specifier) => relative(SRC, resolve(SRC, dirname(file), specifier)).split('\\').join('/'));
}

const isRouteRegistering = (file: string) => /export\s+(?:async\s+)?function\s+register\w*\s*\(\s*app\b/.test(read(file));

const files = sourceFiles();
const routeFiles = new Set(files.filter(isRouteRegistering));

test('the route-registering files are found (the rule below has something to hold)', () => {
  for (const file of ['users/routes.ts', 'sessions/routes.ts', 'sessions/member-routes.ts', 'passwords/b2b-routes.ts', 'sdk/b2b-routes.ts', 'admins/dashboard.ts']) {
    assert.ok(routeFiles.has(file), `${file} is a route-registering file`);
  }
  assert.ok(!routeFiles.has('users/wire.ts') && !routeFiles.has('search/schema.ts'));
});

test("no file imports another feature's route-registering file; only app/server.ts and the feature's own route files do", () => {
  const offending: string[] = [];
  const exceptionsSeen = new Set<string>();
  for (const importer of files) {
    if (importer === COMPOSITION_ROOT) continue;
    for (const imported of relativeImports(importer)) {
      if (!routeFiles.has(imported)) continue;
      if (routeFiles.has(importer) && feature(importer) === feature(imported)) continue;
      const pair = `${importer} → ${imported}`;
      if (KNOWN_EXCEPTIONS.has(pair)) exceptionsSeen.add(pair);
      else offending.push(pair);
    }
  }
  assert.deepEqual(offending, [], 'share through schema.ts / wire.ts / service modules instead');
  // An exception that no longer occurs is stale: delete it, so it cannot hide a new import later.
  assert.deepEqual([...KNOWN_EXCEPTIONS].filter((pair) => !exceptionsSeen.has(pair)), [], 'stale entries in KNOWN_EXCEPTIONS');
});

test('toWire… functions are defined in wire.ts files only', () => {
  const definitions = /(?:\bfunction\s+|\b(?:const|let|var)\s+)(toWire\w*)\b/g;
  const misplaced = files
    .filter((file) => !file.endsWith('/wire.ts'))
    .flatMap((file) => [...read(file).matchAll(definitions)].map((match) => `${file}: ${match[1]}`));
  assert.deepEqual(misplaced, []);
});

test('no server source file reaches 600 lines (split it by concern before it does)', () => {
  const MAX_LINES = 600;
  const long = files
    .map((file) => ({ file, lines: read(file).split('\n').length - (read(file).endsWith('\n') ? 1 : 0) }))
    .filter(({ lines }) => lines >= MAX_LINES)
    .map(({ file, lines }) => `${file}: ${lines} lines`);
  assert.ok(files.length > 100, 'the source files are found');
  assert.deepEqual(long, []);
});
