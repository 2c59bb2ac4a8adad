/**
 * What shipping task output into PostgreSQL (issue 14: `logs` from any host) costs a command
 * drain: one `bgt supervise --parallel 2` on a fresh schema drains N commands, of two kinds —
 * `true` (no output: nothing is shipped) and `echo` of one 100-byte line (every task ships a
 * chunk, and its end waits for it) — with this tree's `dist/bgt` and with a baseline binary
 * (`BENCH_BGT_BASE`, e.g. main's `dist/bgt`, with its source tree around it: tasks are submitted
 * with that tree's store code), alternating, several rounds; tasks/s from the
 * submit to the last `finished_at`.
 *
 * ```sh
 * npm run compile && BENCH_BGT_BASE=/path/to/main/dist/bgt npx bun scripts/bench/pg_ship.ts [tasks=500] [rounds=3]
 * ```
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import postgres from "postgres";
import { dirname, join } from "node:path";
import type { TaskStore } from "../../src/store/task_store.ts";
import type { NewTask } from "../../src/task/types.ts";
import { BGT, numberArg, sleep, stopChild, tempDir } from "./_harness.ts";

const TASKS = numberArg(0, 500, 100);
const ROUNDS = numberArg(1, 3, 2);
const URL_BASE = process.env.BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const binaries: Record<string, string> = { "this tree": BGT };
if (process.env.BENCH_BGT_BASE) binaries.baseline = process.env.BENCH_BGT_BASE;

/** Where a tree's PostgreSQL store is, from its root (`dist/bgt`'s grandparent). */
const STORE_MODULE = "src/store/postgres/postgres_task_store.ts";

const KINDS: Record<string, NewTask> = {
  "true": { spec: { kind: "command", argv: ["true"] }, env: {} },
  "echo 100 B": { spec: { kind: "command", argv: ["echo", "x".repeat(99)] }, env: {} },
};

/** One drain of TASKS commands of `task` by `binary`'s supervisor on a fresh schema; tasks/s. */
async function drain(binary: string, task: NewTask): Promise<number> {
  const schema = `bgt_ship${Math.random().toString(36).slice(2, 10)}`;
  const url = new URL(URL_BASE);
  url.searchParams.set("schema", schema);
  const env = { ...process.env, BGT_HOME: `${tempDir("pg-ship")}/home`, BGT_STORE: url.toString() };
  // The store code of the binary's own tree (a newer one would migrate the schema past it).
  const module = await import(join(dirname(dirname(binary)), STORE_MODULE));
  const store: TaskStore = await module.PostgresTaskStore.open(url.toString(), "client");
  const sql = postgres(URL_BASE, { max: 1, onnotice: () => {} });
  let child: ChildProcess | undefined;
  try {
    child = spawn(binary, ["supervise", "--parallel", "2"], { env, stdio: "ignore" });
    while (spawnSync(binary, ["daemon", "status"], { env }).status !== 0) await sleep(50);
    const start = Date.now();
    const ids = (await store.submit(Array.from({ length: TASKS }, () => task))).map((r) => r.id);
    {
      for (;;) {
        const [row] = await sql.unsafe(
          `SELECT count(*) FILTER (WHERE finished_at IS NULL) AS open, max(finished_at) AS last
           FROM "${schema}".tasks WHERE id BETWEEN ${ids[0]} AND ${ids[ids.length - 1]}`,
        );
        if (Number(row.open) === 0) return TASKS / ((Number(row.last) - start) / 1000);
        if (Date.now() - start > 300_000) throw new Error("no drain within 300 s");
        await sleep(20);
      }
    }
  } finally {
    if (child) await stopChild(child);
    await store.close();
    await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
    await sql.end();
  }
}

const results: Record<string, number[]> = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const [kind, task] of Object.entries(KINDS)) {
    const order = Object.entries(binaries);
    if (round % 2) order.reverse();
    for (const [name, binary] of order) {
      const rate = await drain(binary, task);
      (results[`${kind}, ${name}`] ??= []).push(rate);
      console.error(`round ${round + 1}: ${kind}, ${name}: ${rate.toFixed(0)} tasks/s`);
    }
  }
}
for (const [key, rates] of Object.entries(results)) {
  const sorted = [...rates].sort((a, b) => a - b);
  console.log(
    `${key}: median ${sorted[Math.floor(sorted.length / 2)].toFixed(0)} tasks/s (${
      rates.map((r) => r.toFixed(0)).join(", ")
    })`,
  );
}
process.exit(0);
