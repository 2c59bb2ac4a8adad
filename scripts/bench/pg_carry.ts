/**
 * What carrying a module task's code costs a submission on PostgreSQL (issue 14 item 7): the
 * library's `Client.submit` bundles each unpinned module task's file (once per file version in
 * the process) and stores the bundle in the task's row. Side by side, on a fresh schema, in
 * alternating rounds: submitting a batch of N module tasks of one file with the code carried
 * (`carryModules`, as `Client.submit` does on PostgreSQL) and without (the rows alone); a single
 * task's submission (what `bgt run file.ts` does: a new process bundles the file the first time);
 * the bundle's size for a small module and for one importing the `postgres` package.
 *
 * ```sh
 * npx bun scripts/bench/pg_carry.ts [tasks=1000] [rounds=5]
 * ```
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { carryModules } from "../../src/client/carry_modules.ts";
import { prepareTasks } from "../../src/client/prepare_task.ts";
import { PostgresTaskStore } from "../../src/store/postgres/postgres_task_store.ts";
import type { NewTask } from "../../src/task/types.ts";
import { numberArg, ROOT, tempDir } from "./_harness.ts";

const TASKS = numberArg(0, 1000, 200);
const ROUNDS = numberArg(1, 5, 2);
const URL_BASE = process.env.BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

const dir = tempDir("pg-carry");
mkdirSync(dir, { recursive: true });
/** A fresh file (a new path: nothing cached), a small job importing a sibling. */
let files = 0;
function newJob(): string {
  const path = join(dir, `job${files++}.ts`);
  writeFileSync(join(dir, "word.ts"), "export const word = 'w';\n");
  writeFileSync(
    path,
    "import { word } from './word.ts';\nexport default (n: number) => word + n;\n",
  );
  return path;
}
const task = (module: string): NewTask => ({
  spec: { kind: "module", module, export: "default", args: [1] },
  cwd: dir,
});

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];

const schema = `bgt_carry${Math.random().toString(36).slice(2, 10)}`;
const url = new URL(URL_BASE);
url.searchParams.set("schema", schema);
const store = await PostgresTaskStore.open(url.toString(), "client");
const batch = { carried: [] as number[], bare: [] as number[] };
const single = { carried: [] as number[], bare: [] as number[] };
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of ["carried", "bare"] as const) {
      const path = newJob();
      const tasks = Array.from({ length: TASKS }, () => task(path));
      let start = performance.now();
      const prepared = prepareTasks(tasks);
      await store.submit(mode === "carried" ? await carryModules(prepared) : prepared);
      batch[mode].push(TASKS / ((performance.now() - start) / 1000));
      const one = newJob(); // a first bundle, as a new `bgt run` process makes
      start = performance.now();
      const [prepared1] = prepareTasks([task(one)]);
      await store.submit(mode === "carried" ? await carryModules([prepared1]) : [prepared1]);
      single[mode].push(performance.now() - start);
    }
  }
  const small = (await carryModules([task(newJob())]))[0].spec;
  // A job importing a package (inside the tree, to find node_modules): a bigger bundle per row.
  const heavyPath = join(ROOT, "scripts/bench/.pg_carry_heavy.ts");
  const heavyBatch = { carried: [] as number[], bare: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of ["carried", "bare"] as const) {
      const code =
        `import postgres from "postgres";\nexport default () => [typeof postgres, ${round}];\n`;
      writeFileSync(heavyPath, code);
      const tasks = Array.from({ length: TASKS }, () => task(heavyPath));
      const start = performance.now();
      const prepared = prepareTasks(tasks);
      await store.submit(mode === "carried" ? await carryModules(prepared) : prepared);
      heavyBatch[mode].push(TASKS / ((performance.now() - start) / 1000));
    }
  }
  const heavy = (await carryModules([task(heavyPath)]))[0].spec;
  const size = (spec: NewTask["spec"]) => spec.kind === "module" ? spec.carried?.length ?? 0 : 0;
  console.log(`batch of ${TASKS} module tasks of one file, ${ROUNDS} rounds (tasks/s, median):`);
  console.log(
    `  carried ${median(batch.carried).toFixed(0)}  bare ${median(batch.bare).toFixed(0)}`,
  );
  console.log(`one task with a first bundle (ms, median):`);
  console.log(
    `  carried ${median(single.carried).toFixed(1)}  bare ${median(single.bare).toFixed(1)}`,
  );
  console.log(`batch of ${TASKS} tasks of a job importing postgres (tasks/s, median):`);
  console.log(
    `  carried ${median(heavyBatch.carried).toFixed(0)}  bare ${
      median(heavyBatch.bare).toFixed(0)
    }`,
  );
  console.log(`bundle size: small job ${size(small)} B; importing postgres ${size(heavy)} B`);
  (await import("node:fs")).rmSync(heavyPath);
} finally {
  await store.close();
  const sql = postgres(URL_BASE, { max: 1, onnotice: () => {} });
  await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await sql.end({ timeout: 1 });
}
