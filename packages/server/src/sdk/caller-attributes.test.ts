// Sessions started through the browser API record the caller's IP and User-Agent (sessions/
// attributes.ts). They are passed explicitly, so this reads every route file that registers /sdk/v1
// routes: each call there that hands a service `session_duration_minutes` — a call that may start a
// session — also hands it `callerAttributes`, unless it only authenticates an existing session.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { SERVER_SRC, serverSourceFiles } from '../testing/source-files.ts';

/** Calls that never start a session (they extend or read the one presented). */
const READS_A_SESSION = /\bsessions\.(authenticate|authenticateMember)\(/;

test('every browser sign-in call passes the caller attributes to the session it may start', () => {
  const browserRouteFiles = serverSourceFiles().filter((file) => /onRequest: hooks\.caller|\.\.\.caller\b/.test(readFileSync(join(SERVER_SRC, file), 'utf8')));
  assert.ok(browserRouteFiles.length >= 8, `browser route files found: ${browserRouteFiles.join(', ')}`);
  const missing: string[] = [];
  let calls = 0;
  for (const file of browserRouteFiles) {
    const source = readFileSync(join(SERVER_SRC, file), 'utf8');
    // Each awaited call up to the end of its statement.
    for (const match of source.matchAll(/await\s+[\w.]+\([^;]*?\);/gs)) {
      const call = match[0];
      if (!call.includes('session_duration_minutes') || READS_A_SESSION.test(call)) continue;
      calls += 1;
      if (!call.includes('callerAttributes')) {
        const line = source.slice(0, match.index).split('\n').length;
        missing.push(`${file}:${line}`);
      }
    }
  }
  assert.ok(calls >= 15, `sign-in calls found: ${calls}`);
  assert.deepEqual(missing, [], 'browser sign-in calls without callerAttributes');
});
