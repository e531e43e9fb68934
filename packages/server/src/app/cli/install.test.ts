// A clean install on Node 20 prints no EBADENGINE warning: `npm install --dry-run` of the lock
// file's tree (npm checks every package's engines as it plans), offline.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));

test('npm install --dry-run on this Node prints no EBADENGINE', { skip: !process.version.startsWith('v20.') && 'runs on Node 20' }, () => {
  const run = spawnSync('npm', ['install', '--dry-run', '--no-audit', '--no-fund', '--ignore-scripts', '--offline'], { cwd: ROOT, encoding: 'utf8', timeout: 240_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.doesNotMatch(`${run.stdout}${run.stderr}`, /EBADENGINE/);
});
