import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatTimestamp } from './clock.ts';

const viaIso = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

test('formatTimestamp gives what toISOString gives, without the milliseconds', () => {
  const edges = [
    0, -1, 999, 1000, Date.UTC(2000, 1, 29, 23, 59, 59, 999), Date.UTC(1900, 1, 28), Date.UTC(2100, 2, 1), Date.UTC(1969, 11, 31, 23, 59, 59),
    -62_167_219_200_000, -62_167_219_200_001, 253_402_300_799_999, 253_402_300_800_000, // 0000-01-01 and 9999-12-31 on both sides
  ];
  for (const ms of edges) assert.equal(formatTimestamp(new Date(ms)), viaIso(new Date(ms)), `at ${ms}`);
  // A fixed pseudo-random sample across years -7000 to 11000 (outside 0–9999 falls back to toISOString).
  let seed = 7;
  const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
  for (let i = 0; i < 100_000; i++) {
    const date = new Date(Math.floor((random() - 0.5) * 600_000_000_000_000 * random()));
    assert.equal(formatTimestamp(date), viaIso(date), `at ${date.getTime()}`);
  }
  assert.equal(formatTimestamp(new Date('2024-03-05T07:08:09.123Z')), '2024-03-05T07:08:09Z');
});
