/**
 * Seed 004: 100 functions that each sleep 1 s. Blocking, they would take 100 s; on a pool of
 * 110 workers they take about 1 s.
 *
 * Run: npx bun examples/seed_004_sleeps.ts [count] [ms]
 */
import { defaultPool, setPoolSize, task } from "bgt";

const count = Number(process.argv[2] ?? 100);
const ms = Number(process.argv[3] ?? 1000);

// A blocking sleep, like Python's time.sleep: the worker does nothing else meanwhile.
const bgWork = task((ms: number) => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  return 1;
});

setPoolSize(110); // bg.n = 110
if (!process.argv.includes("--cold")) await defaultPool().ready(); // start the 110 workers first
const t0 = performance.now();
const futures = Array.from({ length: count }, () => bgWork(ms));
while (!futures.every((f) => f.isDone())) await new Promise((r) => setTimeout(r, 5));
const wall = (performance.now() - t0) / 1000;
const sum = (await Promise.all(futures)).reduce((a, b) => a + b, 0);
console.log(
  `${count} × ${ms} ms sleeps on 110 workers: ${sum} done, wall time ${wall.toFixed(2)} s`,
);
await defaultPool().close();
