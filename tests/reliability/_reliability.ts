/**
 * Shared tools of the reliability suites: CI or soak sizes, a seeded PRNG, figures printed as one
 * JSON line per suite, read-only access to a home's database, process facts from /proc, and bgt
 * calls that keep stdout as bytes. Builds on `tests/_helpers/bgt_home.ts` (TempHome).
 *
 * @example
 * ```ts
 * const rng = seededRandom(suiteSeed("crash"));
 * const n = SOAK ? 500 : 150;
 * report("crash", { crashes: 10, lost: 0 });
 * ```
 */
import { spawn, spawnSync } from "node:child_process";
import { appendFileSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BGT, type TempHome } from "../_helpers/bgt_home.ts";
import { isAlive } from "../../src/runtime/process.ts";

/** True when the process exists and is not a zombie (bgt's own check). */
export { isAlive };

/** True in the long mode (`npm run soak`, BGT_SOAK=1). */
export const SOAK = process.env.BGT_SOAK === "1";

/** The runtime running the suite. */
export const RUNTIME = "Bun" in globalThis ? "bun" : "Deno" in globalThis ? "deno" : "node";

/**
 * The seed of a suite: BGT_SEED when set (to replay a failure), else a fresh one. Printed, so a
 * failing run can be replayed with `BGT_SEED=<seed>`.
 */
export function suiteSeed(suite: string): number {
  const given = process.env.BGT_SEED;
  const seed = given ? Number(given) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;
  console.log(`${suite}: seed ${seed} (replay with BGT_SEED=${seed})`);
  return seed;
}

/** A PRNG (mulberry32): the same seed gives the same sequence in every runtime. */
export function seededRandom(seed: number): {
  next(): number;
  int(lo: number, hi: number): number;
  pick<T>(items: readonly T[]): T;
  bytes(n: number): Uint8Array;
} {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  return {
    next,
    int,
    pick: (items) => items[int(0, items.length - 1)],
    bytes(n) {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = int(0, 255);
      return out;
    },
  };
}

/**
 * Prints a suite's figures as one JSON line (and appends it to the file named by BGT_FIGURES,
 * from which RELIABILITY.md is updated).
 */
export function report(suite: string, figures: Record<string, unknown>): void {
  const line = JSON.stringify({ suite, runtime: RUNTIME, soak: SOAK, ...figures });
  console.log(line);
  if (process.env.BGT_FIGURES) appendFileSync(process.env.BGT_FIGURES, `${line}\n`);
}

/** A read-only connection to a database file (bun:sqlite on Bun, node:sqlite elsewhere). */
export interface ReadonlyDb {
  all<T = Record<string, unknown>>(sql: string): T[];
  close(): void;
}

/**
 * Read access to a home's store, whichever it is: its bgt.db read-only, or (a PostgreSQL run)
 * its schema through psql. Queries are plain SQL both accept.
 *
 * @example
 * ```ts
 * const db = await openHomeStore(home);
 * db.all<{ n: number }>("SELECT count(*) AS n FROM tasks");
 * ```
 */
export async function openHomeStore(home: TempHome): Promise<ReadonlyDb> {
  if (home.pgSchema === undefined) return await openReadonly(join(home.dir, "home", "bgt.db"));
  return {
    all: <T>(sql: string) =>
      JSON.parse(home.psql(`SELECT coalesce(json_agg(q), '[]') FROM (${sql}) q`)) as T[],
    close: () => {},
  };
}

/** `PRAGMA integrity_check` of a home's bgt.db; "ok" on PostgreSQL (which keeps its own). */
export async function homeIntegrity(home: TempHome): Promise<string> {
  if (home.pgSchema !== undefined) return "ok";
  return await integrityCheck(join(home.dir, "home", "bgt.db"));
}

/** Opens `path` read-only, so a check never changes what it checks. */
export async function openReadonly(path: string): Promise<ReadonlyDb> {
  if (RUNTIME === "bun") {
    const specifier = "bun:sqlite";
    const { Database } = await import(specifier);
    const db = new Database(path, { readonly: true });
    return {
      all(sql) {
        // Finalized at once: a statement left open would keep the file open after close().
        const statement = db.prepare(sql);
        try {
          return statement.all();
        } finally {
          statement.finalize();
        }
      },
      close: () => db.close(true),
    };
  }
  const { DatabaseSync } = await import("node:sqlite");
  const db = new DatabaseSync(path, { readOnly: true });
  return {
    all: <T>(sql: string) => db.prepare(sql).all().map((row) => ({ ...row }) as T),
    close: () => db.close(),
  };
}

/** `PRAGMA integrity_check` of the database at `path` ("ok" when sound). */
export async function integrityCheck(path: string): Promise<string> {
  const db = await openReadonly(path);
  try {
    const rows = db.all<{ integrity_check: string }>("PRAGMA integrity_check");
    return rows.map((row) => row.integrity_check).join("; ");
  } finally {
    db.close();
  }
}

/** Number of task rows in the database at `path`. */
export async function countRows(path: string): Promise<number> {
  const db = await openReadonly(path);
  try {
    return Number(db.all<{ n: number }>("SELECT count(*) AS n FROM tasks")[0].n);
  } finally {
    db.close();
  }
}

/** A process's peak resident set (VmHWM) in KiB, or undefined once it has gone. */
export function peakRssKiB(pid: number): number | undefined {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** A process's current resident set (VmRSS) in KiB. */
export function rssKiB(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Number of open file descriptors of a process. */
export function openFds(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
}

/** The pid of the home's live supervisor (the last one it logged), or undefined. */
export function liveSupervisor(home: TempHome): number | undefined {
  const pid = home.supervisorPids().at(-1);
  return pid !== undefined && isAlive(pid) ? pid : undefined;
}

/** What a bgt call printed, as bytes. */
export interface ByteResult {
  code: number;
  stdout: Uint8Array;
  stderr: string;
}

/** Runs bgt in the home and keeps its stdout as bytes (for `logs` of binary output). */
export function bgtBytes(home: TempHome, words: string[]): ByteResult {
  const result = spawnSync(BGT, words, {
    cwd: home.work,
    env: home.env(),
    timeout: 60_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  return {
    code: result.status ?? 128,
    stdout: new Uint8Array(result.stdout ?? []),
    stderr: result.stderr?.toString() ?? "",
  };
}

/** Runs a program without blocking the event loop; resolves with its code and output. */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (chunk) => (stdout += chunk));
    child.stderr!.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout,
        stderr,
        ms: Date.now() - started,
      });
    });
  });
}

/** Sleeps without an event loop (between calls to other processes, which send no events). */
export function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The shape every bad-input or fault error must have: one line, `bgt: `, no stack. */
export function assertOneLineError(stderr: string): string | undefined {
  if (!stderr.startsWith("bgt: ")) return `stderr does not start with 'bgt: ': ${stderr}`;
  if (stderr.trimEnd().includes("\n")) return `stderr has more than one line: ${stderr}`;
  if (/\n\s+at /.test(stderr) || /^\s+at .*:\d+/m.test(stderr)) return `stack trace: ${stderr}`;
  return undefined;
}
