/**
 * bgt's PostgreSQL store against graphile-worker and pg-boss, side by side in one run, each
 * contender on its own fresh database (`CREATE DATABASE bgt_bench_<random>`, dropped after),
 * rounds alternating the contenders (the first one rotates each round):
 *
 * - **drain**: `drain` no-op jobs enqueued in batches of 1,000, then drained by 2 workers on 2
 *   connection pools ("two supervisors"); jobs/s from the first claim to the last completion.
 *   Budget: at most 32 jobs in hand per worker, one fetch (claim) in flight per worker.
 *   bgt: two `PostgresTaskStore`s (role supervisor, each registered with `takeSupervisor`),
 *   each looping `claim(owner, { maxProcesses: 0, maxWorkers: 32 })` then `finish(owner, ends)`.
 *   graphile-worker: two `run()` runners, `concurrency: 32`, `localQueue.size: 32` (batched
 *   fetch), `completeJobBatchDelay: 0` (batched completion), a no-op task; the time runs from
 *   the first task call until its jobs table is empty (polled every 2 ms).
 *   pg-boss: two `PgBoss` instances (no cron, no maintenance), each looping
 *   `fetch(queue, { batchSize: 32 })` then `complete(queue, ids)` — its pull API, the same shape
 *   as bgt's claim/finish. (Its `work()` polls: a fetch that ends early waits out
 *   `pollingIntervalSeconds` ≥ 0.5 s, so it would measure its poll interval, not its store.)
 * - **submit**: jobs/s inserted `batchTotal` in calls of 1,000 (bgt `submit`, graphile-worker
 *   `addJobs`, pg-boss `insert`), and `single` one per call (`submit([t])`, `addJob`, `send`).
 * - **claim+finish**: bgt's store alone, one worker, claims of 32 and of 1 on `drain` (resp.
 *   `single`) queued tasks; tasks/s, with the time split between claim and finish.
 *
 * PostgreSQL at `BENCH_PG_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`, a user
 * who may create databases); when it cannot be reached every row says so.
 *
 * ```sh
 * npx bun scripts/bench/pg_peers.ts [drain=5000] [batchTotal=10000] [single=1000] [rounds=3]
 * ```
 */
import postgres from "postgres";
import { Logger, makeWorkerUtils, run } from "graphile-worker";
import PgBoss from "pg-boss";
import { PostgresTaskStore } from "../../src/store/postgres/postgres_task_store.ts";
import type { NewTask } from "../../src/task/types.ts";
import {
  bench,
  commandLine,
  type Figure,
  figure,
  num,
  numberArg,
  onCleanup,
  type Peer,
  progress,
  type Row,
  sleep,
  times,
} from "./_harness.ts";

const DRAIN = numberArg(0, 5_000, 1_000);
const BATCH_TOTAL = numberArg(1, 10_000, 2_000);
const SINGLE = numberArg(2, 1_000, 200);
const ROUNDS = numberArg(3, 3, 2);
const WORKERS = 2;
const BUDGET = 32;
const CALL = 1_000;
const ADMIN_URL = process.env.BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const MODULE = new URL("./pool_fixtures/noop.ts", import.meta.url).pathname;
const QUEUE = "noop";
const SECTION = "PostgreSQL";

const admin = postgres(ADMIN_URL, { max: 1, connect_timeout: 5, onnotice: () => {} });
onCleanup(() => admin.end({ timeout: 5 }));

/** Why PostgreSQL cannot be used, or undefined when it can. */
async function unreachable(): Promise<string | undefined> {
  try {
    await admin`SELECT 1`;
    return undefined;
  } catch (error) {
    return (error as Error).message.split("\n")[0];
  }
}

/** Runs `body` on a fresh database (its URL), dropped afterwards (also at cleanup). */
async function withDatabase<T>(body: (url: string) => Promise<T>): Promise<T> {
  const name = `bgt_bench_${Math.random().toString(36).slice(2, 10)}`;
  await admin.unsafe(`CREATE DATABASE ${name}`);
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    // Let the contenders' pools finish closing (a forced drop makes a closing pg client throw).
    for (let i = 0; i < 200; i++) {
      const [{ n }] = await admin`SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = ${name}`;
      if (n === 0) break;
      await sleep(10);
    }
    await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  };
  onCleanup(drop);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  try {
    return await body(url.toString());
  } finally {
    await drop();
  }
}

const rate = (count: number, ms: number) => count / (ms / 1000);
const quietLogger = new Logger(() => () => {});
const tasks = (n: number): NewTask[] =>
  Array.from({ length: n }, (_, i) => ({
    spec: { kind: "module", module: MODULE, export: "default", args: [i] },
  }));
const graphileJobs = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ identifier: QUEUE, payload: { i } }));
const bossJobs = (n: number) => Array.from({ length: n }, (_, i) => ({ name: QUEUE, data: { i } }));

/** Calls `call(size)` until `count` items went in, `per` per call; items/s. */
async function timedCalls(
  count: number,
  per: number,
  call: (size: number) => Promise<unknown>,
): Promise<number> {
  const start = performance.now();
  for (let done = 0; done < count; done += per) await call(Math.min(per, count - done));
  return rate(count, performance.now() - start);
}

// ------------------------------------------------------------------------------------- bgt

const bgtUrl = (url: string) => `${url}?schema=bgt`;

/** Opens a store as a supervisor and registers it (its own home), returning it and its owner. */
async function bgtSupervisor(url: string, i: number) {
  const store = await PostgresTaskStore.open(bgtUrl(url), "supervisor");
  const owner = `bench/${process.pid}/${i}`;
  const now = Date.now();
  await store.takeSupervisor({
    owner,
    home: `/bench/home-${i}`,
    host: "bench",
    pid: process.pid,
    startTime: null,
    startedAt: now,
    heartbeatAt: now,
  }, () => true);
  return { store, owner };
}

/** Claims (up to `budget`) and finishes as succeeded until a claim comes back empty. */
async function bgtWorker(
  store: PostgresTaskStore,
  owner: string,
  budget: number,
  clock: { first?: number; last?: number; done: number; claimMs: number; finishMs: number },
): Promise<void> {
  for (;;) {
    const t0 = performance.now();
    clock.first ??= t0;
    const claimed = await store.claim(owner, { maxProcesses: 0, maxWorkers: budget });
    const t1 = performance.now();
    clock.claimMs += t1 - t0;
    if (!claimed.length) return;
    await store.finish(
      owner,
      claimed.map((task) => ({
        id: task.id,
        attempt: task.attempt,
        outcome: { status: "succeeded" as const },
      })),
    );
    clock.last = performance.now();
    clock.finishMs += clock.last - t1;
    clock.done += claimed.length;
  }
}

async function bgtDrain(n: number): Promise<number> {
  return await withDatabase(async (url) => {
    const sups = [];
    for (let i = 0; i < WORKERS; i++) sups.push(await bgtSupervisor(url, i));
    try {
      const all = tasks(n);
      for (let i = 0; i < n; i += CALL) await sups[0].store.submit(all.slice(i, i + CALL));
      const clock = { done: 0, claimMs: 0, finishMs: 0 } as Parameters<typeof bgtWorker>[3];
      await Promise.all(sups.map(({ store, owner }) => bgtWorker(store, owner, BUDGET, clock)));
      const counts = await sups[0].store.counts();
      if (clock.done !== n || counts.succeeded !== n) {
        throw new Error(`bgt drained ${clock.done} of ${n} (${JSON.stringify(counts)})`);
      }
      return rate(n, clock.last! - clock.first!);
    } finally {
      for (const { store } of sups) await store.close();
    }
  });
}

async function bgtSubmit(batchTotal: number, single: number): Promise<[number, number]> {
  return await withDatabase(async (url) => {
    const store = await PostgresTaskStore.open(bgtUrl(url), "client");
    try {
      await store.submit(tasks(10)); // the pool's connections open
      const batch = await timedCalls(batchTotal, CALL, (k) => store.submit(tasks(k)));
      const one = tasks(1);
      const singles = await timedCalls(single, 1, () => store.submit(one));
      return [batch, singles];
    } finally {
      await store.close();
    }
  });
}

/** One worker claiming `budget` at a time on `n` queued tasks: tasks/s and where time went. */
async function bgtClaimFinish(n: number, budget: number) {
  return await withDatabase(async (url) => {
    const { store, owner } = await bgtSupervisor(url, 0);
    try {
      const all = tasks(n);
      for (let i = 0; i < n; i += CALL) await store.submit(all.slice(i, i + CALL));
      const clock = { done: 0, claimMs: 0, finishMs: 0 } as Parameters<typeof bgtWorker>[3];
      await bgtWorker(store, owner, budget, clock);
      if (clock.done !== n) throw new Error(`bgt claimed ${clock.done} of ${n}`);
      const calls = Math.ceil(n / budget);
      return {
        rate: rate(n, clock.last! - clock.first!),
        claimMsPerCall: clock.claimMs / (calls + 1),
        finishMsPerCall: clock.finishMs / calls,
      };
    } finally {
      await store.close();
    }
  });
}

// -------------------------------------------------------------------------- graphile-worker

async function graphileDrain(n: number): Promise<number> {
  return await withDatabase(async (url) => {
    const utils = await makeWorkerUtils({ connectionString: url, logger: quietLogger });
    try {
      await utils.migrate();
      for (let i = 0; i < n; i += CALL) await utils.addJobs(graphileJobs(Math.min(CALL, n - i)));
    } finally {
      await utils.release();
    }
    let first: number | undefined;
    let calls = 0;
    const runners = await Promise.all(
      Array.from({ length: WORKERS }, () =>
        run({
          connectionString: url,
          concurrency: BUDGET,
          noHandleSignals: true,
          pollInterval: 1000,
          logger: quietLogger,
          taskList: {
            [QUEUE]: () => {
              first ??= performance.now();
              calls++;
            },
          },
          preset: { worker: { localQueue: { size: BUDGET }, completeJobBatchDelay: 0 } },
        })),
    );
    const db = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const deadline = Date.now() + 600_000;
      for (;;) {
        if (calls >= n) {
          const [{ left }] = await db`SELECT count(*)::int AS left
            FROM graphile_worker._private_jobs`;
          if (left === 0) break;
        }
        if (Date.now() > deadline) throw new Error(`graphile-worker ran ${calls} of ${n}`);
        await sleep(2);
      }
      const last = performance.now();
      return rate(n, last - first!);
    } finally {
      await db.end({ timeout: 5 });
      await Promise.all(runners.map((runner) => runner.stop()));
    }
  });
}

async function graphileSubmit(batchTotal: number, single: number): Promise<[number, number]> {
  return await withDatabase(async (url) => {
    const utils = await makeWorkerUtils({ connectionString: url, logger: quietLogger });
    try {
      await utils.migrate();
      await utils.addJobs(graphileJobs(10));
      const batch = await timedCalls(batchTotal, CALL, (k) => utils.addJobs(graphileJobs(k)));
      const singles = await timedCalls(single, 1, () => utils.addJob(QUEUE, { i: 0 }));
      return [batch, singles];
    } finally {
      await utils.release();
    }
  });
}

// ---------------------------------------------------------------------------------- pg-boss

/** A started pg-boss on `url` without its cron and maintenance loops. */
async function boss(url: string): Promise<PgBoss> {
  const instance = new PgBoss({ connectionString: url, schedule: false, supervise: false });
  instance.on("error", (error) => progress(`pg-boss: ${error.message}`));
  await instance.start();
  return instance;
}

async function bossDrain(n: number): Promise<number> {
  return await withDatabase(async (url) => {
    const setup = await boss(url);
    await setup.createQueue(QUEUE);
    for (let i = 0; i < n; i += CALL) await setup.insert(bossJobs(Math.min(CALL, n - i)));
    await setup.stop({ graceful: false, wait: true });
    const workers: PgBoss[] = [];
    for (let i = 0; i < WORKERS; i++) workers.push(await boss(url));
    try {
      let first: number | undefined;
      let last = 0;
      let done = 0;
      await Promise.all(workers.map(async (worker) => {
        for (;;) {
          const t0 = performance.now();
          first ??= t0;
          const jobs = await worker.fetch(QUEUE, { batchSize: BUDGET });
          if (!jobs?.length) return;
          await worker.complete(QUEUE, jobs.map((job) => job.id));
          last = performance.now();
          done += jobs.length;
        }
      }));
      if (done !== n) throw new Error(`pg-boss drained ${done} of ${n}`);
      return rate(n, last - first!);
    } finally {
      for (const worker of workers) await worker.stop({ graceful: false, wait: true });
    }
  });
}

async function bossSubmit(batchTotal: number, single: number): Promise<[number, number]> {
  return await withDatabase(async (url) => {
    const instance = await boss(url);
    try {
      await instance.createQueue(QUEUE);
      await instance.insert(bossJobs(10));
      const batch = await timedCalls(batchTotal, CALL, (k) => instance.insert(bossJobs(k)));
      const singles = await timedCalls(single, 1, () => instance.send(QUEUE, { i: 0 }));
      return [batch, singles];
    } finally {
      await instance.stop({ graceful: false, wait: true });
    }
  });
}

// ------------------------------------------------------------------------------------ rounds

type Name = "bgt" | "graphile-worker" | "pg-boss";
const NAMES: Name[] = ["bgt", "graphile-worker", "pg-boss"];
const DRAINS: Record<Name, (n: number) => Promise<number>> = {
  bgt: bgtDrain,
  "graphile-worker": graphileDrain,
  "pg-boss": bossDrain,
};
const SUBMITS: Record<Name, (b: number, s: number) => Promise<[number, number]>> = {
  bgt: bgtSubmit,
  "graphile-worker": graphileSubmit,
  "pg-boss": bossSubmit,
};

/** Each contender's samples, or why it could not run. */
interface Samples {
  drain: number[];
  batch: number[];
  single: number[];
  missing?: string;
}

/** A contender's figure, or undefined when it has no samples. */
const fig = (samples: number[]): Figure | undefined =>
  samples.length ? figure(samples, "/s") : undefined;

function missingRows(why: string): Row[] {
  const note = `missing (PostgreSQL at ${new URL(ADMIN_URL).host} not reachable: ${why})`;
  return [
    ["pg_drain", "no-op jobs/s, 2 supervisors, store level (bgt vs graphile-worker, pg-boss)"],
    ["pg_submit_batch", "submit in calls of 1,000"],
    ["pg_submit_single", "submit one job per call"],
    ["pg_claim_finish_32", "bgt claim+finish, one worker, claims of 32"],
    ["pg_claim_finish_1", "bgt claim+finish, one worker, claims of 1"],
  ].map(([id, measure]) => ({
    id,
    section: SECTION,
    measure,
    bgtNote: note,
    peers: [],
    ratio: "—",
    target: id === "pg_drain" ? "≥ graphile-worker, ≥ 2× pg-boss" : "— (none in DESIGN §9)",
    met: null,
    command: "",
  }));
}

await bench("pg_peers", async () => {
  const why = await unreachable();
  if (why) {
    progress(`PostgreSQL not reachable: ${why}`);
    return { rows: missingRows(why) };
  }
  const samples = Object.fromEntries(
    NAMES.map((name) => [name, { drain: [], batch: [], single: [] } as Samples]),
  ) as Record<Name, Samples>;
  const attempt = async (name: Name, body: () => Promise<void>) => {
    if (samples[name].missing) return;
    try {
      await body();
    } catch (error) {
      // A peer that cannot run here is reported as missing, never as a number.
      if (name === "bgt") throw error;
      samples[name].missing = `missing (failed under Bun: ${
        (error as Error).message.split("\n")[0]
      })`;
      progress(`${name}: ${samples[name].missing}`);
    }
  };
  // Warm-up: JIT, the contenders' first connections and migrations (not measured).
  const warm = Math.min(DRAIN, 500);
  for (const name of NAMES) {
    await attempt(name, async () => {
      await DRAINS[name](warm);
    });
  }
  const claim32: number[] = [];
  const claim1: number[] = [];
  const split: { claimMs32: number; finishMs32: number; claimMs1: number; finishMs1: number }[] =
    [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = NAMES.map((_, i) => NAMES[(i + round) % NAMES.length]);
    for (const name of order) {
      await attempt(name, async () => {
        samples[name].drain.push(await DRAINS[name](DRAIN));
      });
    }
    for (const name of order) {
      await attempt(name, async () => {
        const [batch, single] = await SUBMITS[name](BATCH_TOTAL, SINGLE);
        samples[name].batch.push(batch);
        samples[name].single.push(single);
      });
    }
    const c32 = await bgtClaimFinish(DRAIN, 32);
    const c1 = await bgtClaimFinish(SINGLE, 1);
    claim32.push(c32.rate);
    claim1.push(c1.rate);
    split.push({
      claimMs32: c32.claimMsPerCall,
      finishMs32: c32.finishMsPerCall,
      claimMs1: c1.claimMsPerCall,
      finishMs1: c1.finishMsPerCall,
    });
    progress(
      `round ${round + 1}: drain ${
        NAMES.map((n) => `${n} ${num(samples[n].drain.at(-1) ?? NaN)}/s`).join(", ")
      }; claim+finish 32: ${num(c32.rate)}/s (claim ${num(c32.claimMsPerCall)} ms, finish ${
        num(c32.finishMsPerCall)
      } ms per call), 1: ${num(c1.rate)}/s`,
    );
  }

  const command = commandLine("pg_peers.ts", DRAIN, BATCH_TOTAL, SINGLE, ROUNDS);
  const peersOf = (key: "drain" | "batch" | "single"): Peer[] =>
    NAMES.filter((n) => n !== "bgt").map((name) => {
      const f = fig(samples[name][key]);
      return f ? { name, figure: f } : { name, missing: samples[name].missing ?? "missing" };
    });
  const ratios = (key: "drain" | "batch" | "single") => {
    const bgt = fig(samples.bgt[key])!;
    return peersOf(key).map((p) =>
      p.figure ? `${times(bgt.median, p.figure.median)} ${p.name}` : `${p.name} missing`
    ).join(", ");
  };
  const drainBgt = fig(samples.bgt.drain)!;
  const gw = fig(samples["graphile-worker"].drain);
  const pb = fig(samples["pg-boss"].drain);
  const rows: Row[] = [
    {
      id: "pg_drain",
      section: SECTION,
      measure: `no-op jobs/s, ${num(DRAIN)} jobs, 2 supervisors × ≤ 32 in hand, store level ` +
        "(bgt claim/finish; graphile-worker run(), local queue 32; pg-boss fetch/complete)",
      bgt: drainBgt,
      peers: peersOf("drain"),
      ratio: ratios("drain"),
      target: "≥ graphile-worker, ≥ 2× pg-boss",
      met: gw && pb ? drainBgt.median >= gw.median && drainBgt.median >= 2 * pb.median : null,
      command,
    },
    {
      id: "pg_submit_batch",
      section: SECTION,
      measure: `submit ${num(BATCH_TOTAL)} jobs in calls of 1,000 (bgt submit; addJobs; insert)`,
      bgt: fig(samples.bgt.batch),
      peers: peersOf("batch"),
      ratio: ratios("batch"),
      target: "— (none in DESIGN §9)",
      met: null,
      command,
    },
    {
      id: "pg_submit_single",
      section: SECTION,
      measure: `submit ${num(SINGLE)} jobs one per call (bgt submit; addJob; send)`,
      bgt: fig(samples.bgt.single),
      peers: peersOf("single"),
      ratio: ratios("single"),
      target: "— (none in DESIGN §9)",
      met: null,
      command,
    },
    {
      id: "pg_claim_finish_32",
      section: SECTION,
      measure: `bgt claim+finish, one worker, claims of 32 (${num(DRAIN)} tasks)`,
      bgt: figure(claim32, "/s"),
      peers: [],
      ratio: `${times(figure(claim32, "/s").median, drainBgt.median)} the 2-supervisor drain`,
      target: "— (none in DESIGN §9)",
      met: null,
      command,
    },
    {
      id: "pg_claim_finish_1",
      section: SECTION,
      measure: `bgt claim+finish, one worker, claims of 1 (${num(SINGLE)} tasks)`,
      bgt: figure(claim1, "/s"),
      peers: [],
      ratio: "—",
      target: "— (none in DESIGN §9)",
      met: null,
      command,
    },
  ];
  return {
    drain: DRAIN,
    batchTotal: BATCH_TOTAL,
    single: SINGLE,
    rounds: ROUNDS,
    settings: {
      workers: WORKERS,
      budget: BUDGET,
      bgt: "PostgresTaskStore role supervisor (pool 4) ×2, claim maxWorkers 32 then finish",
      graphileWorker: "run() ×2, concurrency 32, localQueue.size 32, completeJobBatchDelay 0",
      pgBoss: "PgBoss ×2 (schedule, supervise off), fetch batchSize 32 then complete",
    },
    samples,
    claimFinish: { batch32: claim32, batch1: claim1, msPerCall: split },
    rows,
  };
});
