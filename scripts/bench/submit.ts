/**
 * Submitting from the library: `Client.submit(tasks, { wake: false })` with a batch of tasks per
 * call (one transaction), and one task per call, against the raw SQLite insert rate of the same
 * rows into the same schema (bun:sqlite, WAL, synchronous=NORMAL, spec pre-encoded): in one
 * transaction, and one commit each. Every contender gets a fresh database; rounds alternate.
 *
 * ```sh
 * npx bun scripts/bench/submit.ts [batch=100000] [single=2000] [rounds=3]
 * ```
 */
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { connect } from "../../src/client/client.ts";
import { SqliteTaskStore } from "../../src/store/sqlite_task_store.ts";
import { encode } from "../../src/task/codec.ts";
import type { NewTask } from "../../src/task/types.ts";
import {
  bench,
  commandLine,
  figure,
  num,
  numberArg,
  progress,
  tempDir,
  times,
} from "./_harness.ts";

const BATCH = numberArg(0, 100_000, 20_000);
const SINGLE = numberArg(1, 2_000, 500);
const ROUNDS = numberArg(2, 3, 2);
const MODULE = new URL("./pool_fixtures/noop.ts", import.meta.url).pathname;

const tasks = (n: number): NewTask[] =>
  Array.from({ length: n }, (_, i) => ({
    spec: { kind: "module", module: MODULE, export: "default", args: [i] },
  }));

/** bgt's library: `count` tasks, `perCall` per submit call. */
async function bgtSubmit(count: number, perCall: number): Promise<number> {
  const dir = tempDir("submit");
  const client = await connect({ env: { ...process.env, BGT_HOME: join(dir, "home") } });
  const all = tasks(count);
  const start = performance.now();
  for (let i = 0; i < count; i += perCall) {
    await client.submit(all.slice(i, i + perCall), { wake: false });
  }
  const rate = count / ((performance.now() - start) / 1000);
  await client.close();
  return rate;
}

/** Raw bun:sqlite: the same row `count` times, `perCommit` per transaction. */
async function rawInsert(count: number, perCommit: number): Promise<number> {
  const path = join(tempDir("raw"), "bgt.db");
  await (await SqliteTaskStore.open(path)).close(); // the schema, migrated
  const db = new Database(path);
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = NORMAL");
  const insert = db.prepare(
    `INSERT INTO tasks (kind, spec, name, grp, priority, status, run_at, created_at,
       max_attempts, env, cwd, meta) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const spec = encode({ kind: "module", module: MODULE, export: "default", args: [0] });
  const cwd = process.cwd();
  const start = performance.now();
  for (let i = 0; i < count; i += perCommit) {
    db.exec("BEGIN IMMEDIATE");
    const now = Date.now();
    for (let j = i; j < Math.min(count, i + perCommit); j++) {
      insert.run("module", spec, null, "default", 0, "queued", now, now, 1, "{}", cwd, "{}");
    }
    db.exec("COMMIT");
  }
  const rate = count / ((performance.now() - start) / 1000);
  db.close();
  return rate;
}

await bench("submit", async () => {
  await bgtSubmit(Math.min(BATCH, 5000), 5000); // warm: JIT, page cache
  await rawInsert(Math.min(BATCH, 5000), 5000);
  const r = { batch: [] as number[], rawBatch: [] as number[], one: [] as number[], rawOne: [] };
  const rawOne: number[] = r.rawOne;
  for (let round = 0; round < ROUNDS; round++) {
    r.batch.push(await bgtSubmit(BATCH, BATCH));
    r.rawBatch.push(await rawInsert(BATCH, BATCH));
    r.one.push(await bgtSubmit(SINGLE, 1));
    rawOne.push(await rawInsert(SINGLE, 1));
    progress(
      `round ${round + 1}: batch ${num(r.batch.at(-1)!)}/s (raw ${num(r.rawBatch.at(-1)!)}/s), ` +
        `one per call ${num(r.one.at(-1)!)}/s (raw ${num(rawOne.at(-1)!)}/s)`,
    );
  }
  const batch = figure(r.batch, "/s");
  const rawBatch = figure(r.rawBatch, "/s");
  const one = figure(r.one, "/s");
  const raw1 = figure(rawOne, "/s");
  const command = commandLine("submit.ts", BATCH, SINGLE, ROUNDS);
  return {
    batch: BATCH,
    single: SINGLE,
    rounds: ROUNDS,
    rows: [
      {
        id: "submit_batch",
        section: "Throughput",
        measure: `library submit, ${num(BATCH)} module tasks in one \`Client.submit\` call`,
        bgt: batch,
        peers: [{
          name: "raw bun:sqlite INSERT of the same rows, one transaction",
          figure: rawBatch,
        }],
        ratio: `${num((batch.median / rawBatch.median) * 100, 2)} % of raw SQLite`,
        target: "≥ 200,000/s",
        met: batch.median >= 200_000,
        command,
      },
      {
        id: "submit_single",
        section: "Throughput",
        measure: "library submit, one task per `Client.submit` call (one commit each)",
        bgt: one,
        peers: [{ name: "raw bun:sqlite, one commit per row", figure: raw1 }],
        ratio: `${times(one.median, raw1.median)} raw SQLite`,
        target: "— (none in DESIGN §9)",
        met: null,
        command,
      },
    ],
  };
});
