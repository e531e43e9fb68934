// `npm run bench [-- name…]`: runs the bench modules of scripts/bench/ and prints one table each,
// every figure also as a ratio to the floor measured in the same run. Add a module: one line below.
import type { BenchModule, BenchReport } from './bench/measure.ts';

const modules: Record<string, () => Promise<BenchModule>> = {
  policy: () => import('./bench/policy.ts'),
  http: () => import('./bench/http.ts'),
  members: () => import('./bench/members.ts'),
  sdk: () => import('./bench/sdk.ts'),
  mixed: () => import('./bench/mixed.ts'),
  m2m: () => import('./bench/m2m.ts'),
  freshness: () => import('./bench/freshness.ts'),
};
/** Benches that run on PostgreSQL only: left out of a plain `npm run bench` when DATABASE_URL is unset. */
const needsPostgres = new Set(['members']);

function formatRate(opsPerSecond: number): string {
  return Math.round(opsPerSecond).toLocaleString('en-US');
}

function printReport(report: BenchReport): void {
  const rows = [report.floor, ...report.results].map((measurement) => [
    measurement.name,
    `${formatRate(measurement.opsPerSecond)} ops/s`,
    `${(measurement.opsPerSecond / report.floor.opsPerSecond).toFixed(3)} × floor`,
  ]);
  const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => row[column]!.length)));
  console.log(`\n${report.title}`);
  for (const row of rows) {
    console.log(`  ${row[0]!.padEnd(widths[0]!)}  ${row[1]!.padStart(widths[1]!)}  ${row[2]!.padStart(widths[2]!)}`);
  }
  for (const note of report.notes) console.log(`  ${note}`);
}

const selected = process.argv.slice(2);
const unknown = selected.filter((name) => !(name in modules));
if (unknown.length > 0) {
  console.error(`unknown bench ${unknown.join(', ')}; known: ${Object.keys(modules).join(', ')}`);
  process.exit(1);
}
const missingPostgres = selected.filter((name) => needsPostgres.has(name) && !process.env.DATABASE_URL);
if (missingPostgres.length > 0) {
  console.error(`bench ${missingPostgres.join(', ')} needs PostgreSQL: set DATABASE_URL=postgres://…`);
  process.exit(1);
}
console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
for (const name of selected.length > 0 ? selected : Object.keys(modules)) {
  if (!process.env.DATABASE_URL && needsPostgres.has(name)) {
    console.log(`\n${name}: skipped — needs PostgreSQL (DATABASE_URL=postgres://… npm run bench -- ${name})`);
    continue;
  }
  const started = performance.now();
  printReport(await (await modules[name]!()).run());
  console.log(`  (${name}: ${((performance.now() - started) / 1000).toFixed(1)} s)`);
}
