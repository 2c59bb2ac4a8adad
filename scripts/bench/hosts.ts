/**
 * Many hosts on one PostgreSQL store (issue 14), with the compiled binary: several `bgt supervise
 * --host NAME` (each its own BGT_HOME) on a fresh schema of the local PostgreSQL. All "hosts" are
 * processes of this machine, so they share its cores: the figures say what the queue costs, not
 * what more machines would give.
 *
 * - **throughput**: `tasks` `true` commands (submitted in one batch) drained by 1 host, then by
 *   2 hosts (each `--parallel 4`), rounds alternating; tasks/s from the first start to the last
 *   end (the store's times). Target ≥ 1.6× for 2 hosts (DESIGN §11 / wave2 A.6).
 * - **latency**: submit→start on another host: this process submits one `true` at a time
 *   (`samples`, 25 ms apart) and a supervisor on "another host" starts it; started_at −
 *   created_at on the database's clock. LISTEN healthy (target p50 ≤ 10 ms, p99 ≤ 50 ms), then
 *   with LISTEN off (`BGT_PG_LISTEN=0`, polling alone; target ≤ 1 s).
 * - **rescue**: a host with 4 running `sleep` tasks is killed (its supervisor and the tasks'
 *   process groups, SIGKILL); the time until another host has them all off `running`, with the
 *   default lease (10 s) and with `--dead-after 3s`.
 * - **dead tuples**: one host runs `true` commands submitted at `rate`/s for `seconds`; then the
 *   task table's live and dead tuples (pg_stat_user_tables, after pg_stat_force_next_flush) and
 *   its last autovacuum.
 *
 * ```sh
 * npm run compile && bun scripts/bench/hosts.ts [tasks=2000] [samples=200] [seconds=30] [rate=100] [rounds=2]
 * ```
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { PostgresTaskStore } from "../../src/store/postgres/postgres_task_store.ts";
import type { NewTask } from "../../src/task/types.ts";
import { median, quantile } from "./_stats.ts";
import { BGT, numberArg, requireBinary, sleep } from "./_harness.ts";
import { onSchema as onSchemaOf, PgSchemas } from "../../tests/_helpers/pg_schemas.ts";

const TASKS = numberArg(0, 2_000, 400);
const SAMPLES = numberArg(1, 200, 50);
const SECONDS = numberArg(2, 30, 10);
const RATE = numberArg(3, 100, 50);
const ROUNDS = numberArg(4, 2, 1);
const ADMIN_URL = process.env.BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

const children = new Set<ChildProcess>();
const schemas = new PgSchemas("bgt_mhbench", ADMIN_URL);
const dirs: string[] = [];

/** A fresh schema's store URL. */
const newStore = () => schemas.url();

/** Starts `bgt supervise --host name` on its own home; resolves once it has started. */
async function startHost(
  store: string,
  name: string,
  flags: string[] = [],
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; home: string }> {
  const dir = mkdtempSync(join(tmpdir(), "bgt-bench-hosts-"));
  dirs.push(dir);
  const home = join(dir, "home");
  const log = join(dir, "supervisor.log");
  const child = spawn(BGT, ["supervise", home, "--host", name, ...flags], {
    env: { ...process.env, BGT_STORE: store, BGT_HOME: home, ...env },
    stdio: ["ignore", "ignore", openSync(log, "a")],
  });
  children.add(child);
  child.on("exit", () => children.delete(child));
  const deadline = Date.now() + 30_000;
  while (!readFileSync(log, "utf8").includes(`started pid ${child.pid}`)) {
    if (Date.now() > deadline) throw new Error(`host ${name} did not start: ${readFileSync(log)}`);
    await sleep(20);
  }
  return { child, home };
}

async function stopHost(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((done) => child.once("exit", done));
  child.kill("SIGTERM");
  await Promise.race([exited, sleep(10_000)]);
  if (child.exitCode === null) child.kill("SIGKILL");
}

const TRUE: NewTask = { spec: { kind: "command", argv: ["true"] }, cwd: "/tmp" };

/** Drains `TASKS` true commands with `hosts` hosts; tasks/s first start → last end. */
async function throughput(hosts: number): Promise<number> {
  const store = newStore();
  const running = [];
  for (let i = 0; i < hosts; i++) {
    running.push(await startHost(store, `h${i}`, ["--parallel", "4"]));
  }
  const client = await PostgresTaskStore.open(store, "client");
  try {
    await client.submit(Array.from({ length: TASKS }, () => TRUE));
    for (;;) {
      const counts = await client.counts();
      if ((counts.succeeded ?? 0) + (counts.failed ?? 0) >= TASKS) break;
      await sleep(100);
    }
    const [row] = await onSchema(
      store,
      (sql) => sql`SELECT (max(finished_at) - min(started_at))::float AS ms FROM tasks`,
    );
    return TASKS / (row.ms / 1000);
  } finally {
    await client.close();
    for (const host of running) await stopHost(host.child);
  }
}

/** submit→start latencies (ms) on another host; LISTEN on or off on that host. */
async function latency(listen: boolean): Promise<number[]> {
  const store = newStore();
  const host = await startHost(store, "other", [], listen ? {} : { BGT_PG_LISTEN: "0" });
  const client = await PostgresTaskStore.open(store, "client");
  try {
    await sleep(1_500); // its listener up
    const ids: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      ids.push((await client.submit([TRUE]))[0].id);
      await sleep(listen ? 25 : 150);
    }
    for (;;) {
      const counts = await client.counts();
      if ((counts.succeeded ?? 0) >= SAMPLES) break;
      await sleep(100);
    }
    const rows = await onSchema(
      store,
      (sql) => sql`SELECT (started_at - created_at)::float AS ms FROM tasks ORDER BY id`,
    );
    return rows.map((row) => row.ms);
  } finally {
    await client.close();
    await stopHost(host.child);
  }
}

/** ms from the kill of a host (supervisor and tasks) until another has its tasks off running. */
async function rescue(flags: string[]): Promise<number> {
  const store = newStore();
  const watcher = await startHost(store, "a", flags);
  const victim = await startHost(store, "b", ["--parallel", "4", ...flags]);
  const client = await PostgresTaskStore.open(store, "client");
  try {
    await client.submit(
      Array.from(
        { length: 4 },
        () =>
          ({ ...TRUE, spec: { kind: "command", argv: ["sleep", "120"] }, onHost: "b" }) as NewTask,
      ),
    );
    const groups: number[] = [];
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (Date.now() > deadline) throw new Error("the victim did not start its 4 tasks");
      const running = await client.list({ status: ["running"] });
      groups.length = 0;
      for (const task of running) {
        try {
          groups.push(
            JSON.parse(readFileSync(join(victim.home, "logs", String(task.id), "pid"), "utf8")).pid,
          );
        } catch { /* not yet */ }
      }
      if (groups.length === 4) break;
      await sleep(50);
    }
    victim.child.kill("SIGKILL");
    for (const group of groups) process.kill(-group, "SIGKILL");
    const killed = performance.now();
    while ((await client.count({ status: ["running"] })) > 0) await sleep(50);
    return performance.now() - killed;
  } finally {
    await client.close();
    await stopHost(watcher.child);
  }
}

/** Runs `true` commands at RATE/s for SECONDS on one host; the task table's tuples after. */
async function deadTuples(): Promise<Record<string, number | string | null>> {
  const store = newStore();
  const host = await startHost(store, "a", ["--parallel", "4"]);
  const client = await PostgresTaskStore.open(store, "client");
  try {
    const started = performance.now();
    let sent = 0;
    while (performance.now() - started < SECONDS * 1000) {
      const due = Math.floor(((performance.now() - started) / 1000) * RATE) - sent;
      if (due > 0) {
        await client.submit(Array.from({ length: due }, () => TRUE));
        sent += due;
      }
      await sleep(20);
    }
    for (;;) {
      const counts = await client.counts();
      if ((counts.succeeded ?? 0) + (counts.failed ?? 0) >= sent) break;
      await sleep(100);
    }
    const [row] = await onSchema(store, async (sql) => {
      await sql`SELECT pg_stat_force_next_flush()`.catch(() => {});
      await sleep(500);
      const schema = new URL(store).searchParams.get("schema");
      return await sql`SELECT n_live_tup::int AS live, n_dead_tup::int AS dead,
          n_tup_hot_upd::int AS hot, n_tup_upd::int AS updates, last_autovacuum::text AS vacuumed
        FROM pg_stat_user_tables WHERE schemaname = ${schema} AND relname = 'tasks'`;
    });
    return { submitted: sent, ...row };
  } finally {
    await client.close();
    await stopHost(host.child);
  }
}

function onSchema<T>(store: string, run: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  return onSchemaOf(store, run, { server: ADMIN_URL });
}

async function cleanup(): Promise<void> {
  for (const child of children) child.kill("SIGKILL");
  await schemas.dropAll();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}

const ms = (value: number) => `${value.toFixed(1)} ms`;

/** `BENCH_ONLY=rescue,tuples`: only these parts (throughput, latency, rescue, tuples). */
const only = (part: string) =>
  !process.env.BENCH_ONLY || process.env.BENCH_ONLY.split(",").includes(part);

requireBinary();
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => void cleanup().finally(() => process.exit(130)));
}
try {
  const one: number[] = [];
  const two: number[] = [];
  for (let round = 0; round < ROUNDS && only("throughput"); round++) {
    one.push(await throughput(1));
    two.push(await throughput(2));
  }
  const ratio = median(two) / median(one);
  if (only("throughput")) {
    console.log(
      `throughput, ${TASKS} true commands: 1 host ${one.map((x) => x.toFixed(0)).join(", ")}/s; ` +
        `2 hosts ${two.map((x) => x.toFixed(0)).join(", ")}/s; ratio ${
          ratio.toFixed(2)
        }× (target ≥ 1.6×)`,
    );
  }
  for (const listen of only("latency") ? [true, false] : []) {
    const samples = await latency(listen);
    console.log(
      `submit→start on another host, LISTEN ${listen ? "on" : "off"} (${samples.length}): ` +
        `p50 ${ms(median(samples))}, p99 ${ms(quantile(samples, 0.99))}, max ${
          ms(Math.max(...samples))
        }`,
    );
  }
  for (const flags of only("rescue") ? [[], ["--dead-after", "3s"]] : []) {
    console.log(
      `rescue (${flags.length ? flags.join(" ") : "default lease 10 s"}): tasks off running ${
        (await rescue(flags) / 1000).toFixed(1)
      } s after the kill`,
    );
  }
  if (only("tuples")) {
    console.log(
      `dead tuples after ${SECONDS} s at ${RATE}/s: ${JSON.stringify(await deadTuples())}`,
    );
  }
} finally {
  await cleanup();
}
