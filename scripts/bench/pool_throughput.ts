/**
 * No-op tasks/s through `Pool` (2 workers; a module task, and a function given by value) against
 * a bare pipelined postMessage loop on the same runtime (64 messages in flight, and 1), and
 * piscina / tinypool on Node (2 threads, 1 and 64 tasks in flight per thread; a separate Node
 * process per round, see pool_fixtures/node_peers.mjs). Rounds alternate all of them.
 *
 * ```sh
 * npx bun scripts/bench/pool_throughput.ts [tasks=500000] [rounds=3] [node-tasks=50000]
 * ```
 */
import { execFileSync } from "node:child_process";
import { Pool } from "../../src/pool/pool.ts";
import {
  bench,
  commandLine,
  figure,
  INSTALL,
  num,
  numberArg,
  type Peer,
  program,
  progress,
  times,
} from "./_harness.ts";

const N = numberArg(0, 500_000, 50_000);
const ROUNDS = numberArg(1, 3, 2);
const NODE_N = numberArg(2, 50_000, 5_000);
const NOOP = new URL("./pool_fixtures/noop.ts", import.meta.url);

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

/** piscina and tinypool on Node: tasks/s by name (`piscina_1`, `tinypool_64` …). */
function nodePeers(node: string): Record<string, number> {
  const script = new URL("./pool_fixtures/node_peers.mjs", import.meta.url).pathname;
  const out = execFileSync(node, [script, String(NODE_N)], { encoding: "utf8", timeout: 300_000 });
  return JSON.parse(out.trim().split("\n").pop()!);
}

await bench("pool_throughput", async () => {
  const pool = new Pool({ size: 2, maxInFlight: Number(process.env.POOL_INFLIGHT ?? 1024) });
  await pool.ready();
  const bare = [0, 1].map(() =>
    new Worker(new URL("./pool_fixtures/bare_worker.ts", import.meta.url).href, { type: "module" })
  );
  const node = program("node");
  await bareRun(bare, 64); // warm
  await poolRun(pool, NOOP);
  const r: Record<string, number[]> = {};
  const push = (key: string, value: number) => (r[key] ??= []).push(value);
  const noop = () => {};
  for (let round = 0; round < ROUNDS; round++) {
    push("pool_module", await poolRun(pool, NOOP));
    push("bare_64", await bareRun(bare, 64));
    push("pool_fn", await poolRun(pool, noop));
    push("bare_1", await bareRun(bare, 1));
    if (node) { for (const [k, v] of Object.entries(nodePeers(node))) push(k, v); }
    progress(
      `round ${round + 1}: Pool ${num(r.pool_module.at(-1)!)}/s, bare(64) ${
        num(r.bare_64.at(-1)!)
      }/s${node ? `, piscina(64) ${num(r.piscina_64.at(-1)!)}/s` : ""}`,
    );
  }
  await pool.close();
  for (const w of bare) w.terminate();

  const f = Object.fromEntries(Object.entries(r).map(([k, v]) => [k, figure(v, "/s")]));
  const best = (a: string, b: string) => (f[a].median >= f[b].median ? a : b);
  const bareBest = best("bare_64", "bare_1");
  const piscinaBest = node ? best("piscina_1", "piscina_64") : undefined;
  const tinyBest = node ? best("tinypool_1", "tinypool_64") : undefined;
  const inflight = (key: string) => key.split("_")[1];
  const peers: Peer[] = [
    piscinaBest
      ? { name: `piscina (Node, ${inflight(piscinaBest)} in flight)`, figure: f[piscinaBest] }
      : { name: "piscina", missing: INSTALL.node },
    tinyBest
      ? { name: `tinypool (Node, ${inflight(tinyBest)} in flight)`, figure: f[tinyBest] }
      : { name: "tinypool", missing: INSTALL.node },
    { name: "bare Bun postMessage loop, 64 in flight", figure: f.bare_64 },
    { name: "bare loop, 1 in flight", figure: f.bare_1 },
  ];
  const pool_ = f.pool_module.median;
  const ofBare = pool_ / f[bareBest].median;
  return {
    tasks: N,
    rounds: ROUNDS,
    node_tasks: NODE_N,
    medians: Object.fromEntries(Object.entries(f).map(([k, v]) => [k, Math.round(v.median)])),
    rows: [{
      id: "pool_throughput",
      section: "The in-process pool",
      measure: `no-op module tasks through \`Pool\`, 2 workers (functions by value: ${
        num(f.pool_fn.median)
      }/s)`,
      bgt: f.pool_module,
      peers,
      ratio: `${piscinaBest ? `${times(pool_, f[piscinaBest].median)} piscina; ` : ""}${
        num(ofBare * 100, 2)
      } % of the bare loop`,
      target: "≥ 3× piscina's best (≈ 250k/s), ≥ 60 % of a bare pipelined loop",
      met: ofBare >= 0.6 && (piscinaBest ? pool_ >= 3 * f[piscinaBest].median : pool_ >= 250_000),
      command: commandLine("pool_throughput.ts", N, ROUNDS, NODE_N),
    }],
  };
});
