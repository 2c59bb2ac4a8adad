/**
 * Draining 1,000 queued `true` commands with parallelism 2: bgt's supervisor against
 * task-spooler (`tsp -S 2`) and the bare spawn rate of the runtime (two `/bin/true` at a time),
 * alternating the three, several rounds.
 *
 * ```sh
 * npm run compile && bun scripts/bench/drain.ts [tasks=500] [rounds=3]   # BENCH_SKIP_TSP=1: without task-spooler
 * ```
 * Prints a table, then one JSON line of results.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { connect } from "../../src/client/client.ts";
import { fmt, hasProgram, median } from "./_stats.ts";

const tasks = Number(process.argv[2] ?? 500);
const rounds = Number(process.argv[3] ?? 3);
const root = resolve(import.meta.dirname ?? ".", "../..");
const bgt = join(root, "dist/bgt");

/** bgt: queue with no supervisor running, then start one and wait for the last task. */
async function bgtDrain(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "bgt-bench-"));
  const env = { ...process.env, BGT_HOME: join(dir, "home") };
  const client = await connect({ env });
  const ids = await client.submit(
    Array.from(
      { length: tasks },
      () => ({ spec: { kind: "command" as const, argv: ["true"] }, env: {} }),
    ),
    { wake: false },
  );
  client.close();
  const start = performance.now();
  const supervisor = spawn(bgt, ["supervise", "--parallel", "2"], { env, stdio: "ignore" });
  const waited = spawnSync(bgt, ["wait", "-q", ...ids.map(String)], { env });
  const elapsed = performance.now() - start;
  if (waited.status !== 0) throw new Error(`bgt wait exited ${waited.status}`);
  supervisor.kill("SIGTERM");
  await new Promise((done) => supervisor.once("exit", done));
  rmSync(dir, { recursive: true, force: true });
  return tasks / (elapsed / 1000);
}

/** task-spooler: hold both slots with jobs waiting on a FIFO, queue, release, wait for all. */
function tspDrain(): number {
  const dir = mkdtempSync(join(tmpdir(), "tsp-bench-"));
  const env = {
    ...process.env,
    TS_SOCKET: join(dir, "sock"),
    TS_MAXFINISHED: String(tasks + 10),
    TS_SAVELIST: "",
  };
  const fifo = join(dir, "gate");
  spawnSync("mkfifo", [fifo]);
  spawnSync("tsp", ["-S", "2"], { env });
  for (let i = 0; i < 2; i++) spawnSync("tsp", ["sh", "-c", `cat ${fifo} >/dev/null`], { env });
  for (let i = 0; i < tasks; i++) spawnSync("tsp", ["true"], { env, stdio: "ignore" });
  const start = performance.now();
  writeFileSync(fifo, "go\n".repeat(2));
  spawnSync("tsp", ["-w"], { env }); // waits for the last job queued
  const elapsed = performance.now() - start;
  spawnSync("tsp", ["-K"], { env });
  rmSync(dir, { recursive: true, force: true });
  return tasks / (elapsed / 1000);
}

/** The runtime's own limit: spawn `/bin/true` two at a time, no bookkeeping at all. */
async function bareSpawn(): Promise<number> {
  const start = performance.now();
  let next = 0;
  const lane = async () => {
    while (next++ < tasks) {
      await new Promise((done) => spawn("/bin/true", [], { stdio: "ignore" }).once("exit", done));
    }
  };
  await Promise.all([lane(), lane()]);
  return tasks / ((performance.now() - start) / 1000);
}

const tsp = hasProgram("tsp") && process.env.BENCH_SKIP_TSP !== "1";
const rates: Record<string, number[]> = { bgt: [], bare: [], ...(tsp ? { tsp: [] } : {}) };
for (let round = 0; round < rounds; round++) {
  rates.bgt.push(await bgtDrain());
  rates.bare.push(await bareSpawn());
  if (tsp) rates.tsp.push(tspDrain());
}
const bgtRate = median(rates.bgt);
console.log(
  `drain ${tasks} queued \`true\` commands, parallel 2, ${rounds} alternating rounds (tasks/s):`,
);
for (const [name, values] of Object.entries(rates)) {
  console.log(
    `  ${name.padEnd(6)} median ${fmt(median(values))}  (${values.map((v) => fmt(v)).join(", ")})`,
  );
}
console.log(`  bgt / bare spawn = ${fmt((bgtRate / median(rates.bare)) * 100)} % (target ≥ 80 %)`);
if (tsp) console.log(`  bgt / tsp        = ${fmt(bgtRate / median(rates.tsp))}× (target ≥ 3×)`);
else console.log("  task-spooler missing (apt-get install task-spooler): no comparison");
console.log(JSON.stringify({
  bench: "drain",
  tasks,
  rounds,
  bgtPerSec: bgtRate,
  barePerSec: median(rates.bare),
  tspPerSec: tsp ? median(rates.tsp) : null,
}));
