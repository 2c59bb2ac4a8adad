/**
 * Seed 004's headline: 100 × a blocking 1 s sleep on a pool of 110 (wall time, with the workers
 * started first and cold), and on the default size (100 × 50 ms, scaled ×20, against
 * 100 s ÷ cores).
 *
 * Run: npx bun scripts/bench/pool_sleeps.ts
 */
import { Pool } from "../../src/pool/pool.ts";

const sleep = (ms: number) => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  return 1;
};

async function wall(pool: Pool, count: number, ms: number): Promise<number> {
  const t0 = performance.now();
  await Promise.all(Array.from({ length: count }, () => pool.run(sleep, [ms])));
  return (performance.now() - t0) / 1000;
}

let pool = new Pool({ size: 110 });
const cold = await wall(pool, 100, 1000);
await pool.close();
pool = new Pool({ size: 110 });
await pool.ready();
const warm = await wall(pool, 100, 1000);
await pool.close();
pool = new Pool();
const cores = pool.size;
await pool.ready();
const small = await wall(pool, 100, 50);
await pool.close();
const ideal = 100 / cores;
const result = {
  bench: "pool_sleeps",
  runtime: "Bun" in globalThis ? "bun" : "deno",
  n110_warm_s: +warm.toFixed(3),
  n110_cold_s: +cold.toFixed(3),
  default_size: cores,
  default_100x50ms_s: +small.toFixed(3),
  default_scaled_to_1s_s: +(small * 20).toFixed(2),
  default_ideal_s: +ideal.toFixed(2),
  default_ratio_to_ideal: +((small * 20) / ideal).toFixed(3),
};
console.log(
  `100 × 1 s on 110 workers: ${result.n110_warm_s} s (workers started first), ${result.n110_cold_s} s cold`,
);
console.log(
  `100 × 50 ms on ${cores} workers: ${result.default_100x50ms_s} s → ×20 = ${result.default_scaled_to_1s_s} s vs ${result.default_ideal_s} s ideal`,
);
console.log(JSON.stringify(result));
