/**
 * Seed 004's headline: 100 × a blocking sleep on a pool of 110 (wall time, with the workers
 * started first, and cold: their start inside the measure), and 100 short sleeps on the default
 * size (the cores) against the ideal 100 × sleep ÷ cores. Rounds alternate the three.
 *
 * ```sh
 * npx bun scripts/bench/pool_sleeps.ts [rounds=3] [sleep-ms=1000] [short-ms=50]
 * ```
 */
import { Pool } from "../../src/pool/pool.ts";
import { bench, commandLine, figure, num, numberArg, progress, times } from "./_harness.ts";

const ROUNDS = numberArg(0, 3, 1);
const SLEEP_MS = numberArg(1, 1000, 1000);
const SHORT_MS = numberArg(2, 50, 10);

const sleep = (ms: number) => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  return 1;
};

async function wall(pool: Pool, count: number, ms: number): Promise<number> {
  const t0 = performance.now();
  await Promise.all(Array.from({ length: count }, () => pool.run(sleep, [ms])));
  return (performance.now() - t0) / 1000;
}

await bench("pool_sleeps", async () => {
  const warm: number[] = [];
  const cold: number[] = [];
  const small: number[] = [];
  let cores = 0;
  for (let round = 0; round < ROUNDS; round++) {
    let pool = new Pool({ size: 110 });
    cold.push(await wall(pool, 100, SLEEP_MS));
    await pool.close();
    pool = new Pool({ size: 110 });
    await pool.ready();
    warm.push(await wall(pool, 100, SLEEP_MS));
    await pool.close();
    pool = new Pool();
    cores = pool.size;
    await pool.ready();
    small.push(await wall(pool, 100, SHORT_MS));
    await pool.close();
    progress(
      `round ${round + 1}: warm ${num(warm.at(-1)!)} s, cold ${num(cold.at(-1)!)} s, ` +
        `100 × ${SHORT_MS} ms on ${cores}: ${num(small.at(-1)!)} s`,
    );
  }
  const f = { warm: figure(warm, "s"), cold: figure(cold, "s"), small: figure(small, "s") };
  const ideal = (100 * SHORT_MS) / 1000 / cores;
  const one = SLEEP_MS / 1000;
  const command = commandLine("pool_sleeps.ts", ROUNDS, SLEEP_MS, SHORT_MS);
  const seed = SLEEP_MS === 1000 ? " (the seed reports 1.09 s)" : "";
  return {
    rounds: ROUNDS,
    cores,
    rows: [
      {
        id: "pool_sleeps",
        section: "The in-process pool",
        measure: `seed 004: 100 × \`sleep ${one} s\`, pool of 110 (workers started first)`,
        bgt: f.warm,
        peers: [{ name: "cold: the 110 workers start inside the measure", figure: f.cold }],
        ratio: `${times(f.warm.median, one)} one sleep`,
        target: `≤ ${num(1.05 * one)} s${seed}`,
        met: f.warm.median <= 1.05 * one,
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
