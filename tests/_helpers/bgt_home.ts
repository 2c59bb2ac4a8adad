/**
 * A temporary BGT_HOME driven through the compiled binary, for end-to-end tests. `cleanup()`
 * stops the supervisor and every task process the home started (by pid), then deletes the home.
 *
 * @example
 * ```ts
 * const home = await TempHome.create();
 * const { stdout } = home.bgt(["run", "--", "true"]);
 * await home.cleanup();
 * ```
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { isAlive, pidsWithArgvTail } from "../../src/runtime/process.ts";
import { openStore, storeConfig } from "../../src/store/open_store.ts";
import type { TaskStore } from "../../src/store/task_store.ts";
import { taskProcessGroups } from "./processes.ts";
import { skipWithReason } from "./skip.ts";

/** The compiled binary under test (`npm run compile` builds it). */
export const BGT = resolve(import.meta.dirname ?? ".", "../../dist/bgt");

/** The PostgreSQL the end-to-end tests use on `BGT_TEST_STORE=postgres`. */
export const TEST_POSTGRES_URL = process.env.BGT_TEST_POSTGRES_URL ??
  "postgres://postgres@127.0.0.1:5432/postgres";

/** Whether this run drives every TempHome against PostgreSQL (`BGT_TEST_STORE=postgres`). */
export const ON_POSTGRES = process.env.BGT_TEST_STORE === "postgres";

/**
 * Skips a SQLite-only test on a PostgreSQL run, with its reason printed; returns whether it did.
 *
 * @example
 * ```ts
 * test("bgt.db is 0600", (t) => {
 *   if (sqliteOnly(t, "it reads bgt.db")) return;
 * });
 * ```
 */
export function sqliteOnly(
  t: { name?: string; skip(message?: string): void },
  why: string,
): boolean {
  if (!ON_POSTGRES) return false;
  skipWithReason(t, `SQLite only (${why}); this run uses PostgreSQL`);
  return true;
}

/** What one CLI call printed and returned. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A temporary home with helpers to run bgt in it. */
export class TempHome {
  readonly dir: string;
  readonly work: string;
  /** On a PostgreSQL run: the schema of this home's store (`bgt_e<random>`), dropped at cleanup. */
  readonly pgSchema: string | undefined;

  private constructor(dir: string) {
    this.dir = dir;
    this.work = join(dir, "work");
    this.pgSchema = ON_POSTGRES ? `bgt_e${Math.random().toString(36).slice(2, 12)}` : undefined;
  }

  /** The BGT_STORE of this home's bgt calls (PostgreSQL runs), else undefined (its bgt.db). */
  get storeUrl(): string | undefined {
    if (this.pgSchema === undefined) return undefined;
    const url = new URL(TEST_POSTGRES_URL);
    url.searchParams.set("schema", this.pgSchema);
    return url.toString();
  }

  /**
   * Runs one SQL text on this home's PostgreSQL store (with psql), returning its unaligned rows.
   *
   * @example
   * ```ts
   * home.psql("SELECT count(*) FROM tasks"); // "3"
   * ```
   */
  psql(sql: string): string {
    if (this.pgSchema === undefined) throw new Error("psql: this home uses SQLite");
    const result = spawnSync(
      "psql",
      [
        TEST_POSTGRES_URL,
        "-XAtq",
        "-v",
        "ON_ERROR_STOP=1",
        "-c",
        `SET search_path TO "${this.pgSchema}"`,
        "-c",
        sql,
      ],
      { encoding: "utf8", timeout: 30_000 },
    );
    if (result.status !== 0) throw new Error(`psql failed: ${result.stderr}`);
    return result.stdout.trim();
  }

  /** The config file of this home's bgt calls (BGT_CONFIG); absent unless a test writes it. */
  get configFile(): string {
    return join(this.dir, "config.toml");
  }

  /** Makes a fresh home (and a work directory beside it for task files). */
  static create(): TempHome {
    if (!existsSync(BGT)) throw new Error(`${BGT} is missing: run 'npm run compile' first`);
    const dir = mkdtempSync(join(tmpdir(), "bgt-test-"));
    const home = new TempHome(dir);
    spawnSync("mkdir", ["-p", home.work]);
    return home;
  }

  /** Environment for a bgt call in this home. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      ...(process.env as Record<string, string>),
      BGT_HOME: join(this.dir, "home"),
      // The home's own config file (absent unless a test writes it): never the user's.
      BGT_CONFIG: this.configFile,
      NO_COLOR: "1",
      ...(this.storeUrl === undefined ? {} : { BGT_STORE: this.storeUrl }),
      ...extra,
    };
  }

  /**
   * A store handle onto this home's store (its bgt.db, or its PostgreSQL schema), as a client
   * holds: to write rows the CLI cannot. Close it after.
   *
   * @example
   * ```ts
   * const store = await home.openStore();
   * await store.close();
   * ```
   */
  async openStore(): Promise<TaskStore> {
    const config = storeConfig(this.env(), { db: join(this.dir, "home", "bgt.db") });
    return await openStore(config, { role: "client" });
  }

  /** Runs bgt synchronously with these words, in the work directory. */
  bgt(
    words: string[],
    options: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {},
  ): CliResult {
    const result = spawnSync(BGT, words, {
      cwd: this.work,
      env: this.env(options.env),
      input: options.input,
      encoding: "utf8",
      timeout: options.timeoutMs ?? 60_000,
    });
    return { code: result.status ?? 128, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
  }

  /** Runs bgt and returns its trimmed stdout; throws with stderr when it exits non-zero. */
  ok(words: string[]): string {
    const result = this.bgt(words);
    if (result.code !== 0) {
      throw new Error(`bgt ${words.join(" ")} exited ${result.code}: ${result.stderr}`);
    }
    return result.stdout.trim();
  }

  /** The supervisor pids this home has logged (every start). */
  supervisorPids(): number[] {
    const log = join(this.dir, "home", "supervisor.log");
    if (!existsSync(log)) return [];
    return [...readFileSync(log, "utf8").matchAll(/started pid (\d+)/g)].map((m) => Number(m[1]));
  }

  /** Kills one task's process group (its waiter and command) with SIGKILL (to simulate a crash). */
  killTaskProcesses(id: number): void {
    try {
      const record = JSON.parse(
        readFileSync(join(this.dir, "home", "logs", String(id), "pid"), "utf8"),
      );
      for (const pid of [-record.pid]) {
        try {
          process.kill(pid, "SIGKILL");
        } catch { /* already gone */ }
      }
    } catch { /* no process recorded */ }
  }

  /** Kills the supervisors and every task process group and waiter the home knows of; deletes it. */
  cleanup(): void {
    const pids = taskProcessGroups(join(this.dir, "home")).map((group) => -group);
    const hosts = this.workerHostPids();
    // A supervisor that has not logged its start yet is found by its argv (`supervise <home>`).
    const supervisors = [
      ...new Set([
        ...this.supervisorPids(),
        ...pidsWithArgvTail(["supervise", join(this.dir, "home")]),
      ]),
    ];
    for (const pid of [...supervisors, ...pids, ...hosts]) {
      try {
        process.kill(pid, "SIGKILL");
      } catch { /* already gone */ }
    }
    // A host's worker, or a supervisor, may be writing to the home until the kernel has ended it.
    waitFor(() => [...hosts, ...supervisors].every((pid) => !isAlive(pid)), 5_000);
    rmSync(this.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    if (this.pgSchema !== undefined) {
      spawnSync("psql", [
        TEST_POSTGRES_URL,
        "-Xq",
        "-c",
        `DROP SCHEMA IF EXISTS "${this.pgSchema}" CASCADE`,
      ], {
        timeout: 30_000,
      });
    }
  }

  /** The worker hosts (`bgt __host <home>`) of this home's supervisors, found in /proc. */
  workerHostPids(): number[] {
    return pidsWithArgvTail(["__host", join(this.dir, "home")]);
  }
}

/** Pids of processes in group `pgid` that have not ended (zombies are ended). */
export function liveProcessesInGroup(pgid: number): number[] {
  return readdirSync("/proc").filter((name) => /^\d+$/.test(name)).filter((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return Number(fields[2]) === pgid && fields[0] !== "Z";
    } catch {
      return false;
    }
  }).map(Number);
}

/** Polls a condition of an external process (there is no event to await across processes). */
export function waitFor(condition: () => boolean, timeoutMs = 10_000): void {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
}
