/**
 * Scale: a task table grown by a generator (not the CLI) to 1k, 100k and 1M rows in one
 * temporary home; at each size, the store's `claim` (and `finish`) per task, and the wall
 * time of `dist/bgt ls` (first page), `ls --status failed`, `show`/`logs` of the oldest task and
 * `run -- true` (a supervisor running), alternating with a compiled Bun hello-world (the floor of
 * any compiled CLI); at the largest, the database's bytes per task.
 *
 * The generated history (deterministic): 60 % commands, 30 % module tasks, 10 % shell lines;
 * groups default/io/gpu/email 70/15/10/5 %; priority 5 for 10 %; states succeeded 88.9 %,
 * failed 6 %, canceled 3 %, timed_out 1 %, lost 1 %, scheduled (a month ahead) 0.1 %; one
 * `attempts` row per finished task; commands and shell lines carry a 1 KB environment (what
 * `bgt run` captures), module tasks none; created over the previous ~80 days. The claim test
 * submits C queued commands on top (as a client would), claims each in its own transaction,
 * then finishes them, so the history stays all-terminal for the CLI rows.
 *
 * ```sh
 * npm run compile && npx bun scripts/bench/scale.ts [rows=1000000] [rounds=20] [claims=500]
 * ```
 */
import { Database } from "bun:sqlite";
import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SqliteTaskStore } from "../../src/store/sqlite_task_store.ts";
import { encode } from "../../src/task/codec.ts";
import {
  bench,
  BGT,
  bgtHomeEnv,
  commandLine,
  type Figure,
  figure,
  helloWorld,
  num,
  numberArg,
  progress,
  type Row,
  startSupervisor,
  stopChild,
  times,
} from "./_harness.ts";
import { timeCommand } from "./_stats.ts";

const MAX = numberArg(0, 1_000_000, 100_000);
const ROUNDS = numberArg(1, 20, 5);
const CLAIMS = numberArg(2, 500, 200);
const SIZES = [...new Set([1_000, 100_000, MAX].filter((n) => n <= MAX))];
const STEP_MS = 7_000; // one task every 7 s: 1M rows span ~81 days
const ENV_JSON = JSON.stringify(Object.fromEntries(
  [
    ["PATH", "/home/ana/.local/bin:/home/ana/.bun/bin:/usr/local/sbin:/usr/local/bin:/usr/bin"],
    ["HOME", "/home/ana"],
    ["USER", "ana"],
    ["LOGNAME", "ana"],
    ["SHELL", "/bin/bash"],
    ["LANG", "en_US.UTF-8"],
    ["TERM", "xterm-256color"],
    ["PWD", "/home/ana/projects/pipeline"],
    ["EDITOR", "vim"],
    ["XDG_RUNTIME_DIR", "/run/user/1000"],
    ["XDG_SESSION_TYPE", "tty"],
    ["SSH_CONNECTION", "10.0.0.12 51234 10.0.0.5 22"],
    ["SSH_TTY", "/dev/pts/3"],
    ["LS_COLORS", "rs=0:di=01;34:ln=01;36:mh=00:pi=40;33:so=01;35:do=01;35:bd=40;33;01"],
    ["DBUS_SESSION_BUS_ADDRESS", "unix:path=/run/user/1000/bus"],
    ["NODE_OPTIONS", "--max-old-space-size=4096"],
    ["AWS_REGION", "eu-central-1"],
    ["AWS_PROFILE", "pipeline-prod"],
    ["PGHOST", "db.internal"],
    ["PGDATABASE", "pipeline"],
    ["GIT_EDITOR", "vim"],
    ["HISTSIZE", "100000"],
    ["LESS", "-R"],
    ["PAGER", "less"],
    ["MAIL", "/var/mail/ana"],
    ["SHLVL", "2"],
    ["_", "/home/ana/.local/bin/bgt"],
    ["COMPOSE_PROJECT_NAME", "pipeline"],
    ["TZ", "Europe/Berlin"],
    ["COLORTERM", "truecolor"],
  ],
));

const specs = {
  command: Array.from({ length: 64 }, (_, i) =>
    encode({
      kind: "command",
      argv: ["./backup.sh", "--db", `shard-${i}`, "--to", `s3://backups/${i}`],
    })),
  module: Array.from({ length: 64 }, (_, i) =>
    encode({
      kind: "module",
      module: "./jobs/report.ts",
      export: i % 2 ? "default" : "weekly",
      args: [`2026-${(i % 12) + 1}`, { rows: i * 1000 }],
    })),
  shell: Array.from(
    { length: 64 },
    (_, i) => encode({ kind: "shell", line: `make -C services/${i} test && ./deploy.sh ${i}` }),
  ),
};
const RESULT = encode({ rows: 1234, file: "report-2026-11.csv" });
const ERROR = JSON.stringify({ name: "Error", message: "Command failed with exit code 1" });

/**
 * The generated rows, in SQL (binding a million rows from JS is ~5× slower): `u(salt)` is a
 * deterministic uniform value in [0, 1) per id and salt, so every run builds the same table.
 */
const GENERATE = (() => {
  const u = (salt: number) => `(((g.id * 2654435761 + ${salt} * 40503) % 1000003) / 1000003.0)`;
  return `
  INSERT INTO tasks (id, kind, spec, name, grp, priority, status, run_at, created_at, started_at,
    finished_at, attempt, max_attempts, env_id, cwd, meta, pid, exit_code, signal, result, error)
  SELECT id, kind, (SELECT spec FROM gen_spec WHERE gen_spec.kind = r.kind AND n = id % 64),
    name, grp, priority, status,
    CASE status WHEN 'scheduled' THEN :now + 30 * 86400000 + id ELSE created END, created,
    started, CASE WHEN status = 'scheduled' THEN NULL ELSE coalesce(started, created) + took END,
    CASE WHEN status = 'scheduled' THEN 0 ELSE 1 END, tries,
    CASE kind WHEN 'module' THEN NULL ELSE :env_id END, '/home/ana/projects/pipeline', meta,
    CASE WHEN started IS NULL THEN NULL ELSE 10000 + id % 50000 END,
    CASE status WHEN 'succeeded' THEN 0 WHEN 'failed' THEN 1 END,
    CASE status WHEN 'canceled' THEN 'SIGTERM' END,
    CASE WHEN status = 'succeeded' AND kind = 'module' THEN :result END,
    CASE status WHEN 'failed' THEN :error END
  FROM (
    SELECT id, kind, status, name, grp, priority, tries, meta, created, took,
      CASE WHEN status IN ('scheduled', 'canceled') THEN NULL ELSE created + pause END AS started
    FROM (
      SELECT g.id AS id,
        CASE WHEN ${u(1)} < 0.6 THEN 'command' WHEN ${u(1)} < 0.9 THEN 'module' ELSE 'shell' END
          AS kind,
        CASE WHEN ${u(2)} < 0.889 THEN 'succeeded' WHEN ${u(2)} < 0.949 THEN 'failed'
          WHEN ${u(2)} < 0.979 THEN 'canceled' WHEN ${u(2)} < 0.989 THEN 'timed_out'
          WHEN ${u(2)} < 0.999 THEN 'lost' ELSE 'scheduled' END AS status,
        CASE WHEN ${u(3)} < 0.25 THEN 'nightly-' || (g.id % 100) END AS name,
        CASE WHEN ${u(4)} < 0.7 THEN 'default' WHEN ${u(4)} < 0.85 THEN 'io'
          WHEN ${u(4)} < 0.95 THEN 'gpu' ELSE 'email' END AS grp,
        CASE WHEN ${u(5)} < 0.1 THEN 5 ELSE 0 END AS priority,
        CASE WHEN ${u(6)} < 0.1 THEN 3 ELSE 1 END AS tries,
        CASE WHEN ${u(7)} < 0.1 THEN '{"owner":"ana"}' ELSE '{}' END AS meta,
        :origin + g.id * ${STEP_MS} AS created,
        CAST(${u(8)} * 500 AS INTEGER) AS pause,
        CAST(${u(9)} * 60000 AS INTEGER) AS took
      FROM generate_ids AS g
    )
  ) AS r`;
})();

/** Appends rows to the table until it holds `total`; returns rows/s. */
function grow(path: string, from: number, total: number, origin: number): number {
  const db = new Database(path, { strict: true });
  // A generator, not a client: no journal while it writes (WAL again afterwards, as bgt runs).
  db.exec("PRAGMA journal_mode = OFF");
  db.exec("PRAGMA synchronous = OFF");
  db.exec("PRAGMA cache_size = -262144");
  db.exec("CREATE TEMP TABLE gen_spec (kind TEXT, n INTEGER, spec BLOB, PRIMARY KEY (kind, n))");
  const spec = db.prepare("INSERT INTO gen_spec VALUES (?, ?, ?)");
  for (const [kind, blobs] of Object.entries(specs)) {
    blobs.forEach((blob, n) => spec.run(kind, n, blob));
  }
  const start = performance.now();
  // Without the secondary indexes while inserting, then rebuilt from their own DDL (faster).
  const indexes = db.prepare(
    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tasks' AND sql IS NOT NULL",
  ).all() as { name: string; sql: string }[];
  for (const index of indexes) db.exec(`DROP INDEX ${index.name}`);
  const chunk = 100_000;
  const insert = db.prepare(
    `WITH RECURSIVE generate_ids(id) AS (SELECT :first UNION ALL
       SELECT id + 1 FROM generate_ids WHERE id < :last) ${GENERATE}`,
  );
  // The one environment of the generated commands, stored once as the store stores it.
  db.prepare("INSERT OR IGNORE INTO envs (json) VALUES (?)").run(ENV_JSON);
  const envId =
    (db.prepare("SELECT id FROM envs WHERE json = ?").get(ENV_JSON) as { id: number }).id;
  const attempts = db.prepare(
    `INSERT INTO attempts (task_id, attempt, status, started_at, finished_at, exit_code)
     SELECT id, attempt, status, started_at, finished_at, exit_code FROM tasks
     WHERE id BETWEEN ? AND ? AND status <> 'scheduled'`,
  );
  for (let first = from + 1; first <= total; first += chunk) {
    const last = Math.min(total, first + chunk - 1);
    db.exec("BEGIN");
    insert.run({
      first,
      last,
      now: Date.now(),
      origin,
      env_id: envId,
      result: RESULT,
      error: ERROR,
    });
    attempts.run(first, last);
    db.exec("COMMIT");
  }
  db.prepare("UPDATE envs SET tasks = (SELECT count(*) FROM tasks WHERE env_id = ?) WHERE id = ?")
    .run(envId, envId);
  for (const index of indexes) db.exec(index.sql);
  db.exec("PRAGMA journal_mode = WAL");
  db.close();
  return (total - from) / ((performance.now() - start) / 1000);
}

/** Claims `CLAIMS` fresh queued tasks one transaction each, then finishes them; µs per call. */
async function claims(path: string): Promise<{ claim: number[]; finish: number[] }> {
  const store = await SqliteTaskStore.open(path);
  try {
    await store.submit(Array.from({ length: CLAIMS }, () => ({
      spec: { kind: "command" as const, argv: ["true"] },
      env: {},
    })));
    const owner = "bench-claims";
    const claim: number[] = [];
    const runs: { id: number; attempt: number }[] = [];
    const room = { maxProcesses: 1, maxWorkers: 1, limit: 1 };
    for (let i = 0; i < CLAIMS; i++) {
      const t0 = performance.now();
      const [task] = await store.claim(owner, room);
      claim.push((performance.now() - t0) * 1000);
      if (!task) throw new Error(`claim found nothing after ${i} claims`);
      runs.push({ id: task.id, attempt: task.attempt });
    }
    const finish: number[] = [];
    for (const { id, attempt } of runs) {
      const t0 = performance.now();
      await store.finish(owner, [{ id, attempt, outcome: { status: "succeeded", exitCode: 0 } }]);
      finish.push((performance.now() - t0) * 1000);
    }
    return { claim, finish };
  } finally {
    await store.close();
  }
}

interface Stage {
  rows: number;
  generatePerSec: number;
  claim: Figure;
  finish: Figure;
  cli: Record<string, Figure>;
  bytes: number;
}

await bench("scale", async () => {
  const env = bgtHomeEnv("scale");
  const home = env.BGT_HOME!;
  const path = join(home, "bgt.db");
  mkdirSync(home, { recursive: true, mode: 0o700 });
  (await SqliteTaskStore.open(path)).close(); // the schema, through the store's migrations
  const hello = helloWorld();
  // The oldest task's output, for `bgt logs 1`.
  mkdirSync(join(home, "logs/1"), { recursive: true });
  writeFileSync(
    join(home, "logs/1/stdout"),
    Array.from({ length: 200 }, (_, i) => `line ${i}: backed up shard-1\n`).join(""),
  );
  writeFileSync(join(home, "logs/1/stderr"), "");
  const origin = Date.now() - (MAX + CLAIMS * SIZES.length + 10) * STEP_MS;

  const stages: Stage[] = [];
  let have = 0;
  for (const size of SIZES) {
    // The claim rows of earlier stages are part of the history now: grow to `size` in all.
    const before = have;
    const generatePerSec = size > have ? grow(path, have, size, origin) : 0;
    have = size;
    progress(`${num(size)} rows (generated ${num(size - before)} at ${num(generatePerSec)}/s)`);
    const { claim, finish } = await claims(path);
    have += CLAIMS;
    progress(`  claim median ${num(figure(claim, "µs").median)} µs`);

    const supervisor = await startSupervisor(env);
    const contenders: Record<string, string[]> = {
      ls: [BGT, "ls"],
      lsFailed: [BGT, "ls", "--status", "failed"],
      show: [BGT, "show", "1"],
      logs: [BGT, "logs", "1"],
      run: [BGT, "run", "--", "true"],
      hello: [hello],
    };
    for (const argv of Object.values(contenders)) timeCommand(argv, env); // warm
    const samples: Record<string, number[]> = {};
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, argv] of Object.entries(contenders)) {
        (samples[name] ??= []).push(timeCommand(argv, env));
      }
    }
    have += ROUNDS + 1;
    await stopChild(supervisor);
    const cli = Object.fromEntries(
      Object.entries(samples).map(([name, values]) => [name, figure(values, "ms")]),
    );
    progress(
      `  ls ${num(cli.ls.median)} ms, ls --status failed ${num(cli.lsFailed.median)} ms, show ${
        num(cli.show.median)
      } ms, logs ${num(cli.logs.median)} ms, run ${num(cli.run.median)} ms, hello ${
        num(cli.hello.median)
      } ms`,
    );
    const db = new Database(path);
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    const count = (db.prepare("SELECT count(*) AS n FROM tasks").get() as { n: number }).n;
    db.close();
    const bytes = statSync(path).size / count;
    stages.push({
      rows: size,
      generatePerSec,
      claim: figure(claim, "µs"),
      finish: figure(finish, "µs"),
      cli,
      bytes,
    });
  }

  const small = stages[0];
  const large = stages[stages.length - 1];
  const label = (n: number) => n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`;
  const at = label(large.rows);
  const command = commandLine("scale.ts", MAX, ROUNDS, CLAIMS);
  const cliRow = (
    id: string,
    key: string,
    measure: string,
    target: string,
    limit?: (f: Figure) => boolean,
  ): Row => ({
    id,
    section: "Scale",
    measure,
    bgt: large.cli[key],
    peers: [
      { name: "compiled Bun hello-world", figure: large.cli.hello },
      { name: `same at ${label(small.rows)} rows`, figure: small.cli[key] },
    ],
    ratio: `${times(large.cli[key].median, large.cli.hello.median)} hello-world; ${
      times(large.cli[key].median, small.cli[key].median)
    } ${label(small.rows)}`,
    target,
    met: limit ? limit(large.cli[key]) : null,
    command,
  });
  const flat = (key: string) => (f: Figure) => f.median <= 1.5 * small.cli[key].median;
  // Issue 18's round: a read on 1M tasks within twice a compiled hello-world's start.
  const twiceHello = (f: Figure) => f.median <= 2 * large.cli.hello.median && f.median <= 50;
  const envShare = (ENV_JSON.length * 0.7 * 100) / large.bytes;
  return {
    sizes: SIZES,
    rounds: ROUNDS,
    claims: CLAIMS,
    stages,
    rows: [
      cliRow(
        "scale_ls",
        "ls",
        `\`bgt ls\` (first page) on ${at} tasks`,
        "≤ 2× hello-world (and ≤ 50 ms)",
        twiceHello,
      ),
      cliRow(
        "scale_ls_status",
        "lsFailed",
        `\`bgt ls --status failed\` on ${at} tasks`,
        "≤ 2× hello-world (and ≤ 50 ms)",
        twiceHello,
      ),
      {
        id: "scale_claim",
        section: "Scale",
        measure: `the store's \`claim\` of one task (one transaction) with ${at} rows`,
        bgt: large.claim,
        peers: stages.slice(0, -1).map((s) => ({
          name: `at ${label(s.rows)} rows`,
          figure: s.claim,
        })),
        ratio: `${times(large.claim.median, small.claim.median)} ${label(small.rows)} (finish: ${
          num(large.finish.median)
        } µs at ${at}, ${num(small.finish.median)} µs at ${label(small.rows)})`,
        target: `flat: ≤ 1.5× the ${label(small.rows)} cost`,
        met: large.claim.median <= 1.5 * small.claim.median,
        command,
      },
      cliRow(
        "scale_run",
        "run",
        `\`bgt run -- true\` with ${at} rows (supervisor running)`,
        `flat as the table grows (≤ 1.5× at ${label(small.rows)})`,
        flat("run"),
      ),
      cliRow(
        "scale_show",
        "show",
        `\`bgt show 1\` (the oldest task) on ${at} tasks`,
        "≤ 2× hello-world",
        twiceHello,
      ),
      cliRow(
        "scale_logs",
        "logs",
        `\`bgt logs 1\` (the oldest task, 200 lines) on ${at} tasks`,
        "≤ 2× hello-world",
        twiceHello,
      ),
      {
        id: "scale_bytes",
        section: "Scale",
        measure: `database bytes per task at ${at} tasks (\`bgt.db\` after a checkpoint)`,
        bgt: figure([large.bytes], "B"),
        peers: stages.slice(0, -1).map((s) => ({
          name: `at ${label(s.rows)} rows`,
          figure: figure([s.bytes], "B"),
        })),
        ratio: `the captured environment (${ENV_JSON.length} B on 70 % of the tasks) is ${
          num(envShare, 2)
        } % of it`,
        target: "— (none in DESIGN §9)",
        met: null,
        command,
      },
    ],
  };
}, { binary: true });
