/**
 * A 64 MiB ArrayBuffer to a worker and back through Pool: moved (transfer) against copied
 * (structured clone). Medians.
 *
 * Run: npx bun scripts/bench/pool_transfer.ts [rounds]
 */
import { Pool } from "../../src/pool/pool.ts";

const ROUNDS = Number(process.argv[2] ?? 15);
const SIZE = 64 * 1024 * 1024;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const pool = new Pool({ size: 1 });
await pool.ready();
const echo = (b: ArrayBuffer) => b;
let buf = new ArrayBuffer(SIZE);
const moved: number[] = [];
const cloned: number[] = [];
for (let i = 0; i < ROUNDS + 2; i++) {
  let t0 = performance.now();
  buf = await pool.run(echo, [buf], { transfer: [buf] }) as ArrayBuffer;
  const m = performance.now() - t0;
  if (buf.byteLength !== SIZE) throw new Error("the buffer did not come back whole");
  t0 = performance.now();
  const copy = new ArrayBuffer(SIZE);
  t0 = performance.now();
  // Copied there (no transfer); the returned buffer moves back, as every returned buffer does.
  await pool.run((b: ArrayBuffer) => b.byteLength, [copy]);
  const c = performance.now() - t0;
  if (i >= 2) {
    moved.push(m);
    cloned.push(c);
  }
}
await pool.close();
const result = {
  bench: "pool_transfer",
  runtime: "Bun" in globalThis ? "bun" : "deno",
  mib: 64,
  rounds: ROUNDS,
  moved_round_trip_ms: +median(moved).toFixed(3),
  cloned_one_way_ms: +median(cloned).toFixed(1),
};
console.log(`64 MiB to a worker and back, moved: ${result.moved_round_trip_ms} ms (median)`);
console.log(
  `64 MiB to a worker, copied (structured clone): ${result.cloned_one_way_ms} ms (median)`,
);
console.log(JSON.stringify(result));
