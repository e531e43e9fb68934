// The README's Quickstart runs as written: its code blocks, taken from README.md in order, run in a
// fresh folder against a fresh server — the first block (clone, install, `npm start`) is what this
// test does itself (`gatehouse serve` in that folder); each `js` block is saved under the name its
// first line gives (`// quickstart.mjs`), and every later `sh` block runs, in order, in one shell.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { freePort, serveCli, stopCli } from '../../testing/cli-process.ts';

const ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));

/** The fenced blocks of the README's Quickstart section, with their language. */
function quickstartBlocks(readme: string): { lang: string; code: string }[] {
  const start = readme.indexOf('\n## Quickstart\n');
  assert.ok(start >= 0, 'the README has a Quickstart');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((match) => ({ lang: match[1]!, code: match[2]! }));
}

test('the README\'s Quickstart runs as written on a fresh install', async () => {
  const blocks = quickstartBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'));
  const [install, ...rest] = blocks.filter((block) => block.lang !== '');
  assert.equal(install!.lang, 'sh');
  assert.match(install!.code, /^npm install && npm start\b/m, 'the first block installs and starts the server');

  // A fresh folder with this install's packages: `npx gatehouse` and `import 'stytch'` resolve as in a clone.
  const folder = mkdtempSync(join(tmpdir(), 'gatehouse-quickstart-'));
  symlinkSync(join(ROOT, 'node_modules'), join(folder, 'node_modules'));
  const port = await freePort();
  // `npm start` is `gatehouse serve`; no GATEHOUSE_DATA_DIR: the default .gatehouse of the folder.
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port) };
  const server = await serveCli(env, { cwd: folder });
  try {
    let script = 'set -euo pipefail\n';
    for (const block of rest) {
      if (block.lang === 'js') {
        const name = block.code.match(/^\/\/ (\S+\.m?js)\n/)?.[1];
        assert.ok(name, `a js block names its file on its first line:\n${block.code}`);
        writeFileSync(join(folder, name), block.code);
      } else {
        assert.equal(block.lang, 'sh', `only sh and js blocks: ${block.lang}`);
        script += block.code;
      }
    }
    const run = spawnSync('bash', ['-c', script], { cwd: folder, env: { ...env, npm_config_update_notifier: 'false' }, encoding: 'utf8', timeout: 240_000 });
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
    // What the README says the steps print.
    assert.match(run.stdout, /\+ role editor/);
    assert.match(run.stdout, /ada@example\.com may write documents: true, granted by editor/);
    assert.match(run.stdout, /"role_id":"editor"/);
  } finally {
    await stopCli(server.child);
  }
});
