/**
 * What every benchmark shares: sizes (full or `BENCH_QUICK=1`), temporary homes, cleanup of
 * every process a bench started (also on error and on SIGINT/SIGTERM), the peers' programs, the
 * rows a bench reports to `main.ts`, and the one JSON line it prints last.
 *
 * A bench is a script that also runs alone:
 *
 * @example
 * ```ts
 * import { bench, row, figure } from "./_harness.ts";
 * await bench("demo", async () => ({ rows: [row({ id: "x", ... })] }));
 * ```
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Database } from "bun:sqlite";
import { MIGRATIONS } from "../../src/store/migrations.ts";
import { median, quantile } from "./_stats.ts";

/** The repository root. */
export const ROOT = resolve(import.meta.dirname ?? ".", "../..");
/** The compiled bgt the end-to-end benches drive (never a binary of our own making). */
export const BGT = join(ROOT, "dist/bgt");
/** `BENCH_QUICK=1`: small sizes, a smoke test of the whole run in about a minute. */
export const QUICK = process.env.BENCH_QUICK === "1";

/** Positional argument `index` (0 = first after the script) as a number, else the default. */
export function numberArg(index: number, full: number, quick: number): number {
  const word = process.argv[2 + index];
  if (word === undefined || word === "") return QUICK ? quick : full;
  const value = Number(word);
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`Cannot parse argument ${index + 1} '${word}': expected a number > 0`);
  }
  return value;
}

/** How `main.ts` and a reader rerun a bench alone: `npx bun scripts/bench/<file> <args>`. */
export function commandLine(file: string, ...args: (string | number)[]): string {
  return ["npx bun", `scripts/bench/${file}`, ...args.map(String)].join(" ");
}

let benchName = "bench";

/** One line of progress on stderr. */
export function progress(message: string): void {
  process.stderr.write(`[${benchName}] ${message}\n`);
}

// ---------------------------------------------------------------------------------------------
// Cleanup: every process and directory a bench makes is registered here, undone in reverse.

const cleanups: (() => void | Promise<void>)[] = [];
let cleaning: Promise<void> | undefined;

/** Registers an undo step (run in reverse order at the end, on error, on SIGINT/SIGTERM). */
export function onCleanup(fn: () => void | Promise<void>): void {
  cleanups.push(fn);
}

/** Runs every registered undo step once (errors are reported, not thrown). */
export function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    while (cleanups.length) {
      const fn = cleanups.pop()!;
      try {
        await fn();
      } catch (error) {
        progress(`cleanup: ${(error as Error).message}`);
      }
    }
  })();
  return cleaning;
}

/** A temporary directory, removed at cleanup. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `bgt-bench-${prefix}-`));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Ends a child process: SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

/** True while a process with this pid lives (a zombie counts as ended). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return true;
  }
}

/** Resident and peak memory of a process, in MB (from /proc/<pid>/status). */
export function memoryMb(pid: number): { rss: number; peak: number } {
  const text = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text)?.[1]);
  return { rss: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 };
}

/**
 * CPU time a process has used so far (user + system, its own threads; not its waited children),
 * in ms, from /proc/<pid>/stat (clock ticks of 10 ms: CLK_TCK is 100 on Linux). Divided by the
 * tasks of a round it is a figure that a busy, shared machine disturbs far less than a rate.
 */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

export const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

// ---------------------------------------------------------------------------------------------
// bgt homes and supervisors.

/**
 * Why `dist/bgt` cannot be benchmarked together with this source tree, or undefined when it
 * can: the benches open homes with the library (src/) and drive them with the binary, so both
 * must know the same schema.
 */
export function staleBinary(): string | undefined {
  if (!existsSync(BGT)) return "dist/bgt is missing";
  const dir = mkdtempSync(join(tmpdir(), "bgt-bench-schema-"));
  try {
    const env = { ...process.env, BGT_HOME: join(dir, "home") };
    // `daemon status` opens (and migrates) the store but starts no supervisor, as `ls` would.
    spawnSync(BGT, ["daemon", "status"], { env, stdio: "ignore", timeout: 20_000 });
    const db = new Database(join(dir, "home/bgt.db"), { readonly: true });
    const version = (db.prepare("PRAGMA user_version").get() as { user_version: number })
      .user_version;
    db.close();
    return version === MIGRATIONS.length
      ? undefined
      : `dist/bgt has schema version ${version}, the source ${MIGRATIONS.length}`;
  } catch (error) {
    return `dist/bgt did not create a home: ${(error as Error).message}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Throws (with what to do) when `dist/bgt` does not match the source; see staleBinary(). */
export function requireBinary(): void {
  const why = staleBinary();
  if (why) throw new Error(`Cannot benchmark: ${why}; run \`npm run compile\` first`);
}

/** A fresh BGT_HOME and the environment that selects it; its supervisor is stopped at cleanup. */
export function bgtHomeEnv(prefix: string): Record<string, string | undefined> {
  const dir = tempDir(prefix);
  const env = { ...process.env, BGT_HOME: join(dir, "home") };
  onCleanup(() => stopHomeSupervisor(env));
  return env;
}

/** The pid of the supervisor serving this home, if one answers (`bgt daemon status --json`). */
export function supervisorPid(env: Record<string, string | undefined>): number | undefined {
  if (!existsSync(join(env.BGT_HOME!, "bgt.db"))) return undefined;
  const status = spawnSync(BGT, ["daemon", "status", "--json"], {
    env,
    encoding: "utf8",
    timeout: 10_000,
  });
  if (status.status !== 0) return undefined;
  try {
    return JSON.parse(status.stdout).pid ?? undefined;
  } catch {
    return undefined;
  }
}

/** Asks the home's supervisor to stop (`bgt daemon stop`), then kills it if it is still alive. */
export async function stopHomeSupervisor(env: Record<string, string | undefined>): Promise<void> {
  const pid = supervisorPid(env);
  if (pid === undefined) return;
  spawnSync(BGT, ["daemon", "stop"], { env, stdio: "ignore", timeout: 20_000 });
  for (let i = 0; i < 50 && alive(pid); i++) await sleep(20);
  if (alive(pid)) process.kill(pid, "SIGKILL");
}

/**
 * Starts `dist/bgt supervise` in the foreground as our child, waits until it answers on its
 * socket, and registers its stop. The client here never starts a supervisor itself.
 */
export async function startSupervisor(
  env: Record<string, string | undefined>,
  args: string[] = [],
): Promise<ChildProcess> {
  const child = spawn(BGT, ["supervise", ...args], { env, stdio: ["ignore", "ignore", "inherit"] });
  onCleanup(() => stopChild(child));
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`bgt supervise exited ${child.exitCode}`);
    if (supervisorPid(env)) return child;
    await sleep(10);
  }
  throw new Error("bgt supervise did not answer within 20 s");
}

// ---------------------------------------------------------------------------------------------
// Peers and floors.

/** A program from node_modules/.bin, else PATH; undefined when neither has it. */
export function program(name: string): string | undefined {
  const local = join(ROOT, "node_modules/.bin", name);
  if (existsSync(local)) return local;
  const found = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

/** How to install a missing peer, as the table says it. */
export const INSTALL: Record<string, string> = {
  tsp: "missing (apt-get install task-spooler)",
  pm2: "missing (npm install: pm2 is a devDependency)",
  deno: "missing (npm install: deno is a devDependency)",
  node: "missing (install Node.js ≥ 20)",
  hyperfine: "missing (apt-get install hyperfine)",
};

/**
 * The disk's own limit for what bgt writes per task: a directory `logs/<id>` and three files
 * created in it (stdout, stderr, data), `count` times, on the filesystem of the temporary homes;
 * tasks/s.
 */
export function taskFilesFloor(count: number): number {
  const dir = tempDir("files");
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const task = join(dir, String(i));
    mkdirSync(task, { mode: 0o700 });
    for (const name of ["stdout", "stderr", "data"]) {
      closeSync(openSync(join(task, name), "a", 0o600));
    }
  }
  const rate = count / ((performance.now() - start) / 1000);
  rmSync(dir, { recursive: true, force: true });
  return rate;
}

/**
 * A compiled Bun hello-world, the floor of any compiled Bun CLI. Built once per `main.ts` run
 * (in `BENCH_CACHE`), else once per bench.
 */
export function helloWorld(): string {
  const cache = process.env.BENCH_CACHE ?? tempDir("hello");
  mkdirSync(cache, { recursive: true });
  const binary = join(cache, "hello");
  if (!existsSync(binary)) {
    writeFileSync(join(cache, "hello.ts"), 'console.log("hello");\n');
    const built = spawnSync(process.execPath, [
      "build",
      "--compile",
      join(cache, "hello.ts"),
      "--outfile",
      binary,
    ], { stdio: ["ignore", "ignore", "pipe"] });
    if (built.status !== 0) throw new Error(`Cannot compile the hello-world: ${built.stderr}`);
  }
  return binary;
}

// ---------------------------------------------------------------------------------------------
// Figures and rows.

/** The unit of a figure; rates are per second. */
export type Unit = "ms" | "µs" | "s" | "/s" | "MB" | "B";

/** A measured value: the median of its samples and their spread. */
export interface Figure {
  /** The median, or the statistic `stat` names. */
  median: number;
  /** Set when `median` holds another statistic (e.g. "p99"). */
  stat?: string;
  unit: Unit;
  /** Number of samples (rounds). */
  n: number;
  min: number;
  max: number;
  p10: number;
  p90: number;
}

/** A figure from samples. */
export function figure(samples: readonly number[], unit: Unit): Figure {
  if (samples.length === 0) throw new RangeError("Cannot summarise no samples");
  return {
    median: median(samples),
    unit,
    n: samples.length,
    min: Math.min(...samples),
    max: Math.max(...samples),
    p10: quantile(samples, 0.1),
    p90: quantile(samples, 0.9),
  };
}

/** A contender beside bgt: measured in the same run, or missing (and how to install it). */
export interface Peer {
  name: string;
  figure?: Figure;
  missing?: string;
}

/** One line of BENCHMARKS.md's table. */
export interface Row {
  /** Stable key (main.ts checks that every DESIGN §9 row is present). */
  id: string;
  section: string;
  measure: string;
  /** bgt's figure; undefined with `bgtNote` when it cannot be measured. */
  bgt?: Figure;
  bgtNote?: string;
  peers: Peer[];
  /** Ratios to the peers, as text (e.g. "4.1× hello-world"). */
  ratio: string;
  target: string;
  /** True/false against the target; null when there is no target or a needed peer is missing. */
  met: boolean | null;
  command: string;
}

/** A bench's result: its rows and any raw figures worth keeping. */
export interface BenchResult {
  rows: Row[];
  [key: string]: unknown;
}

/**
 * Runs a bench (`binary`: it drives `dist/bgt`, which must match the source): `fn` measures,
 * then the cleanup runs (also on error or a signal), then one JSON
 * line `{bench, ...result}` goes to stdout, the last line the bench prints.
 */
export async function bench(
  name: string,
  fn: () => BenchResult | Promise<BenchResult>,
  options: { binary?: boolean } = {},
): Promise<void> {
  benchName = name;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      progress(`${signal}: cleaning up`);
      void cleanup().finally(() => process.exit(130));
    });
  }
  const start = performance.now();
  let result: BenchResult;
  try {
    if (options.binary) requireBinary();
    result = await fn();
  } catch (error) {
    progress(`failed: ${(error as Error).stack ?? error}`);
    await cleanup();
    process.exit(1);
  }
  await cleanup();
  for (const r of result.rows) {
    console.log(`${r.measure}: ${describe(r)}`);
  }
  progress(`done in ${((performance.now() - start) / 1000).toFixed(1)} s`);
  console.log(JSON.stringify({ bench: name, quick: QUICK, ...result }));
}

/** Formats a number with a few significant digits and thousands separators. */
export function num(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return String(value);
  const rounded = Math.abs(value) >= 10 ** digits
    ? Math.round(value)
    : Number(value.toPrecision(digits));
  return rounded.toLocaleString("en-US", { maximumFractionDigits: 6 });
}

/** "16.9 ms", "1,234/s", "38.2 MB". */
export function show(value: number, unit: Unit): string {
  if (unit === "/s") return `${num(value)}/s`;
  if (unit === "B") return `${num(value)} B`;
  return `${num(value)} ${unit}`;
}

/** A figure with its spread: p10–p90 over many samples, else the range of the rounds. */
export function showFigure(f: Figure): string {
  const head = `${f.stat ? `${f.stat} ` : ""}${show(f.median, f.unit)}`;
  if (f.n === 1) return `${head} (1 run)`;
  if (f.n >= 10) return `${head} (p10 ${num(f.p10)}, p90 ${num(f.p90)}; n=${f.n})`;
  return `${head} (range ${num(f.min)}–${num(f.max)}; ${f.n} runs)`;
}

/** Ratio "a / b" as "2.46×". */
export function times(a: number, b: number): string {
  return `${num(a / b)}×`;
}

/** One human line for a row. */
export function describe(r: Row): string {
  const bgt = r.bgt ? showFigure(r.bgt) : r.bgtNote ?? "—";
  const peers = r.peers.map((p) =>
    `${p.name} ${p.figure ? show(p.figure.median, p.figure.unit) : p.missing}`
  ).join("; ");
  const met = r.met === null ? "" : r.met ? " — met" : " — MISSED";
  return `${bgt}${peers ? ` | ${peers}` : ""} | ${r.ratio} | target ${r.target}${met}`;
}
