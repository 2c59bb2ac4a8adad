/**
 * No-op tasks/s through Pool (2 workers) against a bare pipelined postMessage loop on the same
 * runtime, alternating the two, and piscina / tinypool on Node (best of in-flight 1 and 64).
 *
 * Run: npx bun scripts/bench/pool_throughput.ts [tasks] [rounds]
 */
import { execFileSync } from "node:child_process";
import { Pool } from "../../src/pool/pool.ts";

const N = Number(process.argv[2] ?? 500_000);
const ROUNDS = Number(process.argv[3] ?? 5);
const NOOP = new URL("./pool_fixtures/noop.ts", import.meta.url);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function poolRun(pool: Pool, target: URL | (() => void)): Promise<number> {
  const t0 = performance.now();
  const ps: Promise<unknown>[] = new Array(N);
  for (let i = 0; i < N; i++) ps[i] = pool.run(target);
  await Promise.all(ps);
  return N / ((performance.now() - t0) / 1000);
}

async function bareRun(workers: Worker[], inflight: number): Promise<number> {
  let sent = 0;
  let done = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    for (const w of workers) {
      w.onmessage = () => {
        done++;
        if (sent < N) {
          sent++;
          w.postMessage(0);
        } else if (done === N) resolve();
      };
      for (let i = 0; i < inflight && sent < N; i++, sent++) w.postMessage(0);
    }
  });
  return N / ((performance.now() - t0) / 1000);
}

const pool = new Pool({ size: 2, maxInFlight: Number(process.env.POOL_INFLIGHT ?? 1024) });
await pool.ready();
const bare = [0, 1].map(() =>
  new Worker(new URL("./pool_fixtures/bare_worker.ts", import.meta.url).href, { type: "module" })
);
await bareRun(bare, 64);
await poolRun(pool, NOOP);
const r = {
  pool_module: [] as number[],
  pool_fn: [] as number[],
  bare_64: [] as number[],
  bare_1: [] as number[],
};
const noop = () => {};
for (let i = 0; i < ROUNDS; i++) {
  r.pool_module.push(await poolRun(pool, NOOP));
  r.bare_64.push(await bareRun(bare, 64));
  r.pool_fn.push(await poolRun(pool, noop));
  r.bare_1.push(await bareRun(bare, 1));
}
await pool.close();
for (const w of bare) w.terminate();

let peers: Record<string, number> = {};
try {
  const script = new URL("./pool_fixtures/node_peers.mjs", import.meta.url).pathname;
  peers = JSON.parse(
    execFileSync("node", [script, "100000"], { encoding: "utf8" }).trim().split("\n").pop()!,
  );
} catch (e) {
  console.error(`piscina/tinypool on Node skipped: ${(e as Error).message}`);
}
const m = Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Math.round(median(v))]));
const bareBest = Math.max(m.bare_64, m.bare_1);
const piscinaBest = Math.max(peers.piscina_1 ?? 0, peers.piscina_64 ?? 0);
const result = {
  bench: "pool_throughput",
  runtime: "Bun" in globalThis ? "bun" : "deno",
  tasks: N,
  rounds: ROUNDS,
  tasks_per_s: m,
  node_peers: Object.fromEntries(Object.entries(peers).map(([k, v]) => [k, Math.round(v)])),
  ratio_pool_vs_bare: +(m.pool_module / bareBest).toFixed(2),
  ratio_pool_vs_piscina_best: piscinaBest ? +(m.pool_module / piscinaBest).toFixed(2) : null,
};
console.log(`Pool (module, 2 workers): ${m.pool_module}/s; Pool (function): ${m.pool_fn}/s`);
console.log(`bare loop: ${m.bare_64}/s with 64 in flight, ${m.bare_1}/s with 1`);
console.log(`piscina/tinypool (Node): ${JSON.stringify(result.node_peers)}`);
console.log(JSON.stringify(result));
