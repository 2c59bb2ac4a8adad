/**
 * Seed 004's headline: 100 × a one-second sleep on a pool of 110, the pool's start inside the
 * measure. The seed's sleeps wait (Python threads); here they are written async (`setTimeout`)
 * and run 100 per worker (`concurrentTasksPerWorker`), so one worker starts instead of 100. Beside
 * it, the same sleeps blocking their thread (`Atomics.wait`, one task per worker: 100 workers)
 * with the workers started first and cold; and 100 short blocking sleeps on the default size (the
 * cores) against the ideal 100 × sleep ÷ cores. Rounds alternate the four; before each, the
 * threads of the previous one are waited out (a closed pool of 110 takes ~0.4 s to end them, CPU
 * that the next measure would pay for).
 *
 * ```sh
 * npx bun scripts/bench/pool_sleeps.ts [rounds=3] [sleep-ms=1000] [short-ms=50]
 * ```
 */
import { readFileSync } from "node:fs";
import { Pool } from "../../src/pool/pool.ts";
import { bench, commandLine, figure, num, numberArg, progress, times } from "./_harness.ts";

const ROUNDS = numberArg(0, 3, 1);
const SLEEP_MS = numberArg(1, 1000, 1000);
const SHORT_MS = numberArg(2, 50, 10);

const sleep = (ms: number) => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  return 1;
};

const nap = (ms: number) => new Promise((resolve) => setTimeout(() => resolve(1), ms));

async function wall(
  pool: Pool,
  count: number,
  ms: number,
  fn: (ms: number) => unknown = sleep,
): Promise<number> {
  const t0 = performance.now();
  await Promise.all(Array.from({ length: count }, () => pool.run(fn, [ms])));
  return (performance.now() - t0) / 1000;
}

/** This process's threads (Linux), or undefined elsewhere. */
function threads(): number | undefined {
  try {
    return Number(/Threads:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1]);
  } catch {
    return undefined;
  }
}

const BASE_THREADS = threads();

/** Waits (up to 5 s) until the workers of closed pools have ended. */
async function settle(): Promise<void> {
  if (BASE_THREADS === undefined) return;
  const until = performance.now() + 5000;
  while ((threads() ?? 0) > BASE_THREADS + 4 && performance.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

await bench("pool_sleeps", async () => {
  const seed: number[] = [];
  const warm: number[] = [];
  const cold: number[] = [];
  const small: number[] = [];
  let cores = 0;
  for (let round = 0; round < ROUNDS; round++) {
    await settle();
    let pool = new Pool({ size: 110, concurrentTasksPerWorker: 100 });
    seed.push(await wall(pool, 100, SLEEP_MS, nap));
    await pool.close();
    await settle();
    pool = new Pool();
    cores = pool.size;
    await pool.ready();
    small.push(await wall(pool, 100, SHORT_MS));
    await pool.close();
    await settle();
    pool = new Pool({ size: 110 });
    cold.push(await wall(pool, 100, SLEEP_MS));
    await pool.close();
    await settle();
    pool = new Pool({ size: 110 });
    await pool.ready();
    warm.push(await wall(pool, 100, SLEEP_MS));
    await pool.close();
    progress(
      `round ${round + 1}: async ${num(seed.at(-1)!)} s, blocking warm ${num(warm.at(-1)!)} s, ` +
        `cold ${num(cold.at(-1)!)} s, 100 × ${SHORT_MS} ms on ${cores}: ${num(small.at(-1)!)} s`,
    );
  }
  const f = {
    seed: figure(seed, "s"),
    warm: figure(warm, "s"),
    cold: figure(cold, "s"),
    small: figure(small, "s"),
  };
  const ideal = (100 * SHORT_MS) / 1000 / cores;
  const one = SLEEP_MS / 1000;
  const command = commandLine("pool_sleeps.ts", ROUNDS, SLEEP_MS, SHORT_MS);
  const seedNote = SLEEP_MS === 1000 ? " (the seed reports 1.09 s)" : "";
  return {
    rounds: ROUNDS,
    cores,
    rows: [
      {
        id: "pool_sleeps",
        section: "The in-process pool",
        measure: `seed 004: 100 × \`sleep ${one} s\` (async), pool of 110, ` +
          "100 tasks per worker, the pool's start inside the measure",
        bgt: f.seed,
        peers: [
          { name: "blocking sleeps, one per worker, workers started first", figure: f.warm },
          { name: "blocking sleeps, cold (100 workers start inside the measure)", figure: f.cold },
        ],
        ratio: `${times(f.seed.median, one)} one sleep`,
        target: `≤ ${num(1.05 * one)} s${seedNote}`,
        met: f.seed.median <= 1.05 * one,
        command,
      },
      {
        id: "pool_sleeps_default",
        section: "The in-process pool",
        measure: `100 × ${SHORT_MS} ms sleeps on the default size (${cores} workers)`,
        bgt: f.small,
        peers: [],
        ratio: `${times(f.small.median, ideal)} the ideal ${
          num(ideal)
        } s (100 × ${SHORT_MS} ms ÷ ${cores})`,
        target: "within 5 % of the ideal",
        met: f.small.median <= 1.05 * ideal,
        command,
      },
    ],
  };
});
