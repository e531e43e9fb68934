import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { readTimestamptz } from './database.ts';

const pgParse = pg.types.getTypeParser(1184, 'text') as (text: string) => Date | number | null;

test("readTimestamptz reads PostgreSQL's ISO timestamptz text as pg's own parser does, and declines the rest", () => {
  let seed = 11;
  const random = (below: number) => Math.floor(((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648) * below);
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  for (let i = 0; i < 50_000; i++) {
    const fraction = random(3) === 0 ? '' : `.${pad(random(1_000_000), 6).slice(0, 1 + random(6))}`;
    const offset = [`+00`, `-0${random(10)}`, `+${pad(random(15))}`, `+05:30`, `-09:${pad(random(60))}`][random(5)];
    const text = `${pad(1000 + random(9000), 4)}-${pad(1 + random(12))}-${pad(1 + random(28))} ${pad(random(24))}:${pad(random(60))}:${pad(random(60))}${fraction}${offset}`;
    const read = readTimestamptz(text);
    assert.ok(read, text);
    assert.equal(read.getTime(), (pgParse(text) as Date).getTime(), text);
  }
  for (const text of ['infinity', '-infinity', '0044-03-15 12:00:00+00 BC', '0099-01-01 00:00:00+00', '1883-11-18 12:00:00+00:53:28', '2021-01-01 09:49:10', '2021-01-01T09:49:10Z', '2021-0a-01 09:49:10+00']) {
    assert.equal(readTimestamptz(text), null, text);
  }
});
