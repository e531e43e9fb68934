// The default log of `gatehouse serve`, as a person starting it sees it: the banner, warnings and
// errors, no line per request (access lines are at debug); readable lines on a terminal, JSON lines
// otherwise. Real processes; the terminal is a pseudo-terminal made by `script`.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BIN, freePort, serveCli, stopCli } from '../../testing/cli-process.ts';

async function environment(extra: NodeJS.ProcessEnv = {}) {
  const port = await freePort();
  const dataDir = join(mkdtempSync(join(tmpdir(), 'gatehouse-log-')), 'data');
  return { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), GATEHOUSE_DATA_DIR: dataDir, ...extra };
}

/** A few requests of every kind: answered, refused, not found. */
async function traffic(port: string) {
  for (const path of ['/healthz', '/v1/users', '/nowhere', '/openapi.json']) await (await fetch(`http://127.0.0.1:${port}${path}`)).arrayBuffer();
}

/** What `gatehouse serve` prints on its stdout (not a terminal) around a little traffic. */
async function logOf(extra: NodeJS.ProcessEnv = {}): Promise<string> {
  const env = await environment(extra);
  const server = await serveCli(env);
  let output = '';
  server.child.stdout!.on('data', (chunk) => (output += chunk));
  try {
    await traffic(env.PORT);
    await new Promise((resolve) => setTimeout(resolve, 300));
  } finally {
    await stopCli(server.child);
  }
  return output;
}

test('not a terminal, default level: JSON lines, and no line per request', async () => {
  assert.doesNotMatch(await logOf(), /incoming request|request completed/);

  // At debug they are there, as JSON lines carrying the request id.
  const debugOutput = await logOf({ GATEHOUSE_LOG_LEVEL: 'debug' });
  const completed = debugOutput.split('\n').filter((line) => line.includes('request completed')).map((line) => JSON.parse(line));
  assert.ok(completed.length >= 3, debugOutput);
  assert.ok(completed.every((entry) => entry.level === 20 && /^request-id-/.test(entry.request_id)));
});

test('on a terminal: readable lines, no JSON, no line per request', { skip: process.platform !== 'linux' && 'script(1) of util-linux' }, async () => {
  const env = await environment();
  // script runs the server on a pseudo-terminal and copies what it prints.
  const child = spawn('script', ['-qfec', `${process.execPath} ${BIN} serve`, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no banner:\n${output}`)), 180_000);
      child.stdout.on('data', () => /credentials( written to|:) /.test(output) && (clearTimeout(timer), resolve()));
      child.once('exit', () => (clearTimeout(timer), reject(new Error(output))));
    });
    await traffic(env.PORT);
    await new Promise((resolve) => setTimeout(resolve, 300));
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  assert.match(output, /Gatehouse is listening on/);
  assert.doesNotMatch(output, /\{"level":/);
  assert.doesNotMatch(output, /incoming request|request completed/);
});
