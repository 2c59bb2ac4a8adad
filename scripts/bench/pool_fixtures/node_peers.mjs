// Runs on Node: no-op tasks/s through piscina and tinypool, 2 threads, in-flight 1 and 64.
import { Piscina } from "piscina";
import { Tinypool } from "tinypool";
const N = Number(process.argv[2] ?? 100000);
const WARM = Math.min(5000, Math.ceil(N / 10));
const filename = new URL("./noop_worker.mjs", import.meta.url).href;
async function measure(run, inflight, n = N) {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 2 * inflight }, async () => {
    while (next++ < n) await run();
  }));
  return n / ((performance.now() - t0) / 1000);
}
const out = {};
const piscina = new Piscina({
  filename,
  minThreads: 2,
  maxThreads: 2,
  concurrentTasksPerWorker: 1,
});
const tiny = new Tinypool({ filename, minThreads: 2, maxThreads: 2 });
for (const inflight of [1, 64]) {
  const p64 = new Piscina({
    filename,
    minThreads: 2,
    maxThreads: 2,
    concurrentTasksPerWorker: inflight,
  });
  await measure(() => p64.run(null), inflight, WARM); // warm up
  out[`piscina_${inflight}`] = await measure(() => p64.run(null), inflight);
  await p64.destroy();
  await measure(() => tiny.run(null), inflight, WARM);
  out[`tinypool_${inflight}`] = await measure(() => tiny.run(null), inflight);
}
await piscina.destroy();
await tiny.destroy();
console.log(JSON.stringify(out));
