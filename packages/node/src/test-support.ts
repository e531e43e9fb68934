// What the SDK's tests share (not exported by the package).
import assert from 'node:assert/strict';

/** Polls `condition` every 5 ms; the milliseconds it took to hold, or a failure after `limitMs`. */
export async function within(limitMs: number, condition: () => Promise<boolean>): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < limitMs) {
    if (await condition()) return performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.fail(`not within ${limitMs} ms`);
}
