// Timing helpers shared by the bench modules, and the report shape scripts/bench.ts prints.

export interface Measurement {
  name: string;
  /** Median over the timed rounds. */
  opsPerSecond: number;
}

/** What a bench module's `run()` returns: its figures, each shown against the floor. */
export interface BenchReport {
  title: string;
  /** The cheapest loop over the same inputs, measured in the same run. */
  floor: Measurement;
  results: Measurement[];
  /** Extra lines printed under the table (ratios, what was measured and how). */
  notes: string[];
}

export interface BenchModule {
  run(): Promise<BenchReport> | BenchReport;
}

export interface MeasureOptions {
  /** Target duration of one round, in milliseconds. */
  roundMs?: number;
  warmupRounds?: number;
  rounds?: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export interface BenchCase {
  name: string;
  /** Does `iterations` operations and returns a checksum, kept so the work is not optimised away. */
  run: (iterations: number) => number;
  options?: MeasureOptions;
}

/** Iterations that take about `roundMs`, found by running `run` on growing counts. */
function calibrate(run: (iterations: number) => number, roundMs: number): number {
  for (let iterations = 16; ; iterations *= 4) {
    const start = performance.now();
    run(iterations);
    const elapsed = performance.now() - start;
    if (elapsed >= roundMs / 8) return Math.max(1, Math.round((iterations * roundMs) / elapsed));
  }
}

/**
 * Times every case: calibrated to `roundMs` per round, warm-up rounds, then timed rounds taken in
 * turn (case 1, case 2, …, case 1, …) so that noise from other processes falls on all of them
 * alike. Each figure is the median of its timed rounds.
 */
export function measureAll(cases: readonly BenchCase[]): Measurement[] {
  const plans = cases.map(({ run, options = {} }) => {
    const { roundMs = 120, warmupRounds = 3, rounds = 9 } = options;
    return { iterations: calibrate(run, roundMs), warmupRounds, rounds, rates: [] as number[] };
  });
  let checksum = 0;
  const longest = Math.max(...plans.map((plan) => plan.warmupRounds + plan.rounds));
  for (let round = 0; round < longest; round++) {
    cases.forEach(({ run }, c) => {
      const plan = plans[c]!;
      if (round >= plan.warmupRounds + plan.rounds) return;
      const start = performance.now();
      checksum += run(plan.iterations);
      const elapsed = performance.now() - start;
      if (round >= plan.warmupRounds) plan.rates.push((plan.iterations / elapsed) * 1000);
    });
  }
  if (Number.isNaN(checksum)) throw new Error('checksum is NaN');
  return cases.map(({ name }, c) => ({ name, opsPerSecond: median(plans[c]!.rates) }));
}

/** A 32-bit seeded PRNG (mulberry32): the same sequence on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface AsyncBenchCase {
  name: string;
  /** One operation; `concurrency` of them are kept in flight (a server verifies many tokens at once). */
  run: () => Promise<unknown>;
}

/** measureAll for asynchronous operations: the same calibration, warm-up and interleaved rounds. */
export async function measureAllAsync(cases: readonly AsyncBenchCase[], options: MeasureOptions & { concurrency?: number } = {}): Promise<Measurement[]> {
  const { roundMs = 300, warmupRounds = 3, rounds = 9, concurrency = 32 } = options;
  const batch = async (run: () => Promise<unknown>, iterations: number) => {
    for (let done = 0; done < iterations; done += concurrency) {
      await Promise.all(Array.from({ length: Math.min(concurrency, iterations - done) }, run));
    }
  };
  const plans: { iterations: number; rates: number[] }[] = [];
  for (const { run } of cases) {
    let iterations = concurrency;
    for (;;) {
      const start = performance.now();
      await batch(run, iterations);
      const elapsed = performance.now() - start;
      if (elapsed >= roundMs / 8) break;
      iterations *= 4;
    }
    const start = performance.now();
    await batch(run, iterations);
    plans.push({ iterations: Math.max(concurrency, Math.round((iterations * roundMs) / (performance.now() - start))), rates: [] });
  }
  for (let round = 0; round < warmupRounds + rounds; round++) {
    for (const [c, { run }] of cases.entries()) {
      const plan = plans[c]!;
      const start = performance.now();
      await batch(run, plan.iterations);
      if (round >= warmupRounds) plan.rates.push((plan.iterations / (performance.now() - start)) * 1000);
    }
  }
  return cases.map(({ name }, c) => ({ name, opsPerSecond: median(plans[c]!.rates) }));
}
