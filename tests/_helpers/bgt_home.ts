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

/** The compiled binary under test (`npm run compile` builds it). */
export const BGT = resolve(import.meta.dirname ?? ".", "../../dist/bgt");

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

  private constructor(dir: string) {
    this.dir = dir;
    this.work = join(dir, "work");
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
      NO_COLOR: "1",
      ...extra,
    };
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
    const pids: number[] = [];
    const logs = join(this.dir, "home", "logs");
    if (existsSync(logs)) {
      for (const id of readdirSync(logs)) {
        try {
          const record = JSON.parse(readFileSync(join(logs, id, "pid"), "utf8"));
          pids.push(-record.pid);
        } catch { /* no process recorded */ }
      }
    }
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
