/**
 * `npm run bench`: builds `dist/bgt` if missing, runs every benchmark of this directory in turn
 * (each a separate process that cleans up what it starts), and rewrites the generated part of
 * BENCHMARKS.md from their results — bgt's median and spread, its peers measured in the same
 * run, the ratio, the DESIGN §9 target, met or missed, and the command that reruns the row —
 * keeping the hand-written notes below it.
 *
 * ```sh
 * npm run bench                              # everything, under 10 minutes; rewrites BENCHMARKS.md
 * BENCH_QUICK=1 npm run bench                # smoke test, about a minute; writes a temporary file
 * npx bun scripts/bench/main.ts drain scale  # some benches; writes a temporary file
 * BENCH_OUT=/tmp/b.md npm run bench          # write elsewhere
 * ```
 */
import { spawn, spawnSync } from "node:child_process";
import { cpus, loadavg, release, tmpdir, totalmem } from "node:os";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type BenchResult,
  BGT,
  describe,
  num,
  program,
  QUICK,
  ROOT,
  type Row,
  showFigure,
  staleBinary,
} from "./_harness.ts";

/** The benches, in the order they run, with the most time each may take (full mode). */
const BENCHES: { name: string; limitS: number }[] = [
  { name: "footprint", limitS: 120 },
  { name: "run_latency", limitS: 180 },
  { name: "drain", limitS: 240 },
  { name: "submit", limitS: 120 },
  { name: "module_drain", limitS: 300 },
  { name: "cron", limitS: 120 },
  { name: "scale", limitS: 240 },
  { name: "pool_throughput", limitS: 240 },
  { name: "pool_transfer", limitS: 60 },
  { name: "pool_sleeps", limitS: 120 },
  { name: "pg_peers", limitS: 300 },
  { name: "ui", limitS: 180 },
];

/** Every DESIGN §9 row (and issues 7 and 18's), so that one that was not measured says so. */
const EXPECTED: { id: string; bench: string; section: string; measure: string; target: string }[] =
  [
    {
      id: "run_latency",
      bench: "run_latency",
      section: "Submitting and running commands",
      measure: "`bgt run -- true` until the client exits",
      target: "≤ 1.5× hello-world, ≤ 6× `tsp true`",
    },
    {
      id: "drain_commands",
      bench: "drain",
      section: "Submitting and running commands",
      measure: "drain 1,000 `true` commands, parallel 2",
      target: "≥ 60 % of bare, ≥ 1.5× task-spooler",
    },
    {
      id: "submit_batch",
      bench: "submit",
      section: "Throughput",
      measure: "batch submit from the library",
      target: "≥ 200,000/s",
    },
    {
      id: "module_drain",
      bench: "module_drain",
      section: "Throughput",
      measure: "supervisor drain of no-op module tasks",
      target: "≥ 20,000/s including the state changes (SQLite)",
    },
    {
      id: "cron_lateness",
      bench: "cron",
      section: "Throughput",
      measure: "cron fire lateness",
      target: "p99 ≤ 5 ms",
    },
    {
      id: "scale_ls",
      bench: "scale",
      section: "Scale",
      measure: "`bgt ls` on 1,000,000 tasks",
      target: "≤ 2× hello-world (and ≤ 50 ms)",
    },
    {
      id: "scale_ls_status",
      bench: "scale",
      section: "Scale",
      measure: "`bgt ls --status failed` on 1,000,000 tasks",
      target: "≤ 2× hello-world (and ≤ 50 ms)",
    },
    {
      id: "scale_claim",
      bench: "scale",
      section: "Scale",
      measure: "claim cost from 1k to 1M rows",
      target: "≤ 1.5× the 1k cost",
    },
    {
      id: "idle_rss",
      bench: "footprint",
      section: "Footprint",
      measure: "idle supervisor RSS",
      target: "≤ 40 MB",
    },
    {
      id: "idle_host_rss",
      bench: "footprint",
      section: "Footprint",
      measure: "idle worker host RSS",
      target: "≤ 30 MB",
    },
    {
      id: "scale_show",
      bench: "scale",
      section: "Scale",
      measure: "`bgt show 1` on 1,000,000 tasks",
      target: "≤ 2× hello-world",
    },
    {
      id: "scale_logs",
      bench: "scale",
      section: "Scale",
      measure: "`bgt logs 1` on 1,000,000 tasks",
      target: "≤ 2× hello-world",
    },
    {
      id: "rss_growth",
      bench: "module_drain",
      section: "Footprint",
      measure: "supervisor RSS over 100,000 tasks",
      target: "no growth",
    },
    {
      id: "pool_throughput",
      bench: "pool_throughput",
      section: "The in-process pool",
      measure: "no-op module tasks through `Pool`, 2 workers",
      target: "≥ 3× piscina's best, ≥ 60 % of a bare loop",
    },
    {
      id: "pool_transfer",
      bench: "pool_transfer",
      section: "The in-process pool",
      measure: "64 MiB ArrayBuffer to a worker and back",
      target: "≤ 0.5 ms",
    },
    {
      id: "pool_sleeps",
      bench: "pool_sleeps",
      section: "The in-process pool",
      measure: "seed 004: 100 × `sleep 1` tasks (async), pool 110, its start included",
      target: "≤ 1.05 s",
    },
    {
      id: "pg_drain",
      bench: "pg_peers",
      section: "PostgreSQL",
      measure: "PostgreSQL store: no-op tasks/s, 2 supervisors, beside graphile-worker and pg-boss",
      target: "≥ graphile-worker, ≥ 2× pg-boss",
    },
    {
      id: "pg_submit_batch",
      bench: "pg_peers",
      section: "PostgreSQL",
      measure: "PostgreSQL store: submit in calls of 1,000, beside graphile-worker and pg-boss",
      target: "— (none in DESIGN §9)",
    },
    {
      id: "pg_submit_single",
      bench: "pg_peers",
      section: "PostgreSQL",
      measure: "PostgreSQL store: submit one per call, beside graphile-worker and pg-boss",
      target: "— (none in DESIGN §9)",
    },
    {
      id: "pg_claim_finish_32",
      bench: "pg_peers",
      section: "PostgreSQL",
      measure: "PostgreSQL store: claim+finish, one worker, claims of 32",
      target: "— (none in DESIGN §9)",
    },
    {
      id: "pg_claim_finish_1",
      bench: "pg_peers",
      section: "PostgreSQL",
      measure: "PostgreSQL store: claim+finish, one worker, claims of 1",
      target: "— (none in DESIGN §9)",
    },
    {
      id: "ui_tasks_first",
      bench: "ui",
      section: "The dashboard (`bgt ui`)",
      measure: "tasks page of 50 on 1M tasks, server time",
      target: "≤ 100 ms",
    },
    {
      id: "ui_event_latency",
      bench: "ui",
      section: "The dashboard (`bgt ui`)",
      measure: "an event reaches the page's event stream",
      target: "≤ 250 ms",
    },
  ];

const SECTIONS = [
  "Submitting and running commands",
  "Throughput",
  "Scale",
  "Footprint",
  "The in-process pool",
  "PostgreSQL",
  "The dashboard (`bgt ui`)",
];

const START = "<!-- bench:start: generated by `npm run bench` (scripts/bench/main.ts), " +
  "rewritten on every run -->";
const END = "<!-- bench:end: the notes below are written by hand; npm run bench keeps them -->";

function log(message: string): void {
  process.stderr.write(`[main] ${message}\n`);
}

/** Runs one bench as its own process; its stdout's last JSON line is the result. */
function runBench(
  name: string,
  limitS: number,
  env: Record<string, string | undefined>,
): Promise<{ result?: BenchResult; error?: string; seconds: number }> {
  const start = performance.now();
  const child = spawn(process.execPath, [join(ROOT, "scripts/bench", `${name}.ts`)], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  current = child;
  let stdout = "";
  const stderrTail: string[] = [];
  child.stdout.setEncoding("utf8").on("data", (text: string) => {
    stdout += text;
  });
  child.stderr.setEncoding("utf8").on("data", (text: string) => {
    process.stderr.write(text);
    stderrTail.push(...text.split("\n").filter(Boolean));
    stderrTail.splice(0, Math.max(0, stderrTail.length - 5));
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    log(`${name}: over its ${limitS} s limit, stopping it`);
    child.kill("SIGTERM");
    setTimeout(() => child.kill("SIGKILL"), 20_000).unref();
  }, limitS * 1000);
  return new Promise((resolve) => {
    child.on("close", (code) => {
      clearTimeout(timer);
      current = undefined;
      const seconds = (performance.now() - start) / 1000;
      const line = stdout.trim().split("\n").reverse().find((l) => l.startsWith("{"));
      if (code === 0 && line) {
        try {
          return resolve({ result: JSON.parse(line) as BenchResult, seconds });
        } catch { /* reported below */ }
      }
      const why = timedOut
        ? `over its ${limitS} s limit`
        : `exited ${code}: ${stderrTail.at(-1) ?? "no output"}`;
      resolve({ error: why, seconds });
    });
  });
}

let current: ReturnType<typeof spawn> | undefined;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    log(`${signal}: stopping the running bench`);
    if (!current) process.exit(130);
    current.kill("SIGTERM");
    current.once("close", () => process.exit(130));
  });
}

/** The machine and the versions of everything measured. */
function machine(): string {
  const os = (() => {
    try {
      return /^PRETTY_NAME="?([^"\n]*)/m.exec(readFileSync("/etc/os-release", "utf8"))?.[1];
    } catch {
      return undefined;
    }
  })() ?? process.platform;
  const version = (argv: string[]) => {
    const out = spawnSync(argv[0], argv.slice(1), { encoding: "utf8" });
    return out.status === 0 ? out.stdout.trim().split("\n")[0] : undefined;
  };
  const pkg = (name: string) => {
    try {
      return JSON.parse(readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8"))
        .version as string;
    } catch {
      return "missing";
    }
  };
  const deno = program("deno");
  const node = program("node");
  const tsp = spawnSync("dpkg-query", ["-W", "-f=${Version}", "task-spooler"], {
    encoding: "utf8",
  });
  const cpu = cpus();
  return [
    `${cpu.length} cores (${cpu[0]?.model ?? "unknown CPU"}), ${
      num(totalmem() / 2 ** 30)
    } GiB RAM, ${os}, Linux ${release()}`,
    `Bun ${process.versions.bun}, ${deno ? version([deno, "--version"]) : "Deno missing"}, Node ${
      node ? version([node, "--version"]) : "missing"
    }`,
    `peers: task-spooler ${
      tsp.status === 0 ? tsp.stdout : program("tsp") ? "(version unknown)" : "missing"
    }, pm2 ${pkg("pm2")}, piscina ${pkg("piscina")}, tinypool ${pkg("tinypool")}, graphile-worker ${
      pkg("graphile-worker")
    }, pg-boss ${pkg("pg-boss")}`,
  ].join("; ");
}

/** Which bgt was measured: the commit, whether the tree had changes, when dist/bgt was built. */
function build(): string {
  const git = (args: string[]) =>
    spawnSync("git", args, { cwd: ROOT, encoding: "utf8" }).stdout?.trim() ?? "";
  const commit = git(["rev-parse", "--short", "HEAD"]) || "unknown";
  const dirty = git(["status", "--porcelain", "--", "src", "cli.ts", "mod.ts"])
    ? " + changes in src"
    : "";
  const built = statSync(BGT).mtime.toISOString().slice(0, 16).replace("T", " ");
  return `bgt ${commit}${dirty}, \`dist/bgt\` built ${built} UTC`;
}

const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");

function metCell(row: Row): string {
  if (row.met === true) return "met";
  if (row.met === false) return "**missed**";
  return row.peers.some((p) => p.missing) ? "unknown (peer missing)" : "—";
}

function table(rows: Row[]): string {
  const lines = [
    "| measure | bgt (median, spread) | peers, same run (median) | ratio | target | met? | rerun alone |",
    "| --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const row of rows) {
    const peers = row.peers.length
      ? row.peers.map((p) => `${p.name}: ${p.figure ? showFigure(p.figure) : p.missing}`).join(
        "; ",
      )
      : "—";
    lines.push(
      `| ${
        [
          row.measure,
          row.bgt ? showFigure(row.bgt) : row.bgtNote ?? "—",
          peers,
          row.ratio,
          row.target,
          metCell(row),
          row.command ? `\`${row.command}\`` : "—",
        ].map(cell).join(" | ")
      } |`,
    );
  }
  return lines.join("\n");
}

function render(rows: Row[], header: string): string {
  const parts = [START, "", header, ""];
  for (const section of SECTIONS) {
    const inSection = rows.filter((r) => r.section === section);
    if (!inSection.length) continue;
    parts.push(`## ${section}`, "", table(inSection), "");
  }
  parts.push(END);
  return parts.join("\n");
}

// ---------------------------------------------------------------------------------------------

const wanted = process.argv.slice(2);
for (const name of wanted) {
  if (!BENCHES.some((b) => b.name === name)) {
    throw new RangeError(
      `Cannot run bench '${name}': expected one of ${BENCHES.map((b) => b.name).join(", ")}`,
    );
  }
}
const selected = wanted.length ? BENCHES.filter((b) => wanted.includes(b.name)) : BENCHES;
const complete = selected.length === BENCHES.length;

// The benches open homes with the library and drive them with dist/bgt: both must agree.
const stale = staleBinary();
if (stale) {
  log(`${stale}: npm run compile`);
  const built = spawnSync("npm", ["run", "compile"], { cwd: ROOT, stdio: ["ignore", 2, 2] });
  if (built.status !== 0) throw new Error(`npm run compile exited ${built.status}`);
  const still = staleBinary();
  if (still) throw new Error(`Cannot benchmark: ${still} even after npm run compile`);
}

const started = new Date();
const t0 = performance.now();
const loadBefore = loadavg()[0];
const cache = mkdtempSync(join(tmpdir(), "bgt-bench-cache-"));
const env = { ...process.env, BENCH_CACHE: cache };
const rows: Row[] = [];
const failures: string[] = [];
const timings: string[] = [];
try {
  for (const [i, { name, limitS }] of selected.entries()) {
    log(`${i + 1}/${selected.length} ${name}${QUICK ? " (quick)" : ""}…`);
    const limit = QUICK ? Math.min(limitS, 90) : limitS;
    const { result, error, seconds } = await runBench(name, limit, env);
    timings.push(`${name} ${seconds.toFixed(0)} s`);
    if (result) {
      rows.push(...result.rows);
      for (const row of result.rows) log(`  ${row.measure}: ${describe(row)}`);
    } else {
      failures.push(`${name}: ${error}`);
      log(`${name} FAILED: ${error}`);
    }
  }
} finally {
  rmSync(cache, { recursive: true, force: true });
}
const seconds = (performance.now() - t0) / 1000;

// Every expected row is shown: measured, failed, or not measurable (and why).
if (complete) {
  for (const expected of EXPECTED) {
    if (rows.some((r) => r.id === expected.id)) continue;
    const reason = `not measured: ${
      failures.find((f) => f.startsWith(`${expected.bench}:`)) ?? "no result"
    }`;
    const { bench: _, ...fields } = expected;
    rows.push({ ...fields, bgtNote: reason, peers: [], ratio: "—", met: null, command: "" });
  }
}

const header = [
  `Run of ${started.toISOString().slice(0, 16).replace("T", " ")} UTC${
    QUICK ? " in **quick mode** (`BENCH_QUICK=1`: small sizes, a smoke test)" : ""
  }, ${num(seconds / 60, 2)} min (${timings.join(", ")}).`,
  `Measured: ${build()}. Machine: ${machine()}.`,
  `Load average (1 min) ${num(loadBefore, 2)} at the start and ${
    num(loadavg()[0], 2)
  } at the end: the machine is shared, so the figures are noisy; compare the ratios of the same run.`,
  "",
  "Medians. Spread: p10–p90 over 10 or more samples, else the range of the rounds. Within each",
  "bench bgt and its peers alternate (round by round, or run by run), never one block after the",
  "other. A peer that is not installed shows as missing with how to install it. `rerun alone`",
  "reproduces a row with the sizes used here (after `npm run compile`).",
  ...(failures.length ? ["", `**Failed benches:** ${failures.join("; ")}.`] : []),
].join("\n");
const generated = render(rows, header);

const defaultOut = complete && !QUICK
  ? join(ROOT, "BENCHMARKS.md")
  : join(tmpdir(), `bgt-benchmarks${QUICK ? "-quick" : ""}.md`);
const out = process.env.BENCH_OUT ?? defaultOut;
const previous = existsSync(out) ? readFileSync(out, "utf8") : "";
const [startAt, endAt] = [previous.indexOf("<!-- bench:start"), previous.indexOf("<!-- bench:end")];
let page: string;
if (startAt !== -1 && endAt > startAt) {
  const afterEnd = previous.indexOf("\n", endAt);
  page = previous.slice(0, startAt) + generated +
    (afterEnd === -1 ? "\n" : previous.slice(afterEnd));
} else {
  page = `# Benchmarks\n\n${generated}\n\n## Notes\n\n${previous.replace(/^# Benchmarks\n+/, "")}`;
}
writeFileSync(out, page.endsWith("\n") ? page : `${page}\n`);
process.stdout.write(`${generated}\n`);
log(
  `wrote ${out} in ${num(seconds / 60, 2)} min${
    failures.length ? `; ${failures.length} failed` : ""
  }`,
);
if (failures.length) process.exitCode = 1;
