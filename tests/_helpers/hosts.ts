/**
 * A host of a shared store, for end-to-end tests of many hosts on one PostgreSQL schema: a
 * TempHome and its `bgt supervise --host NAME` in the foreground, and bgt calls in that home that
 * do not block the event loop (a TCP proxy in the test goes on forwarding meanwhile).
 * `stopHosts()` stops their supervisors by pid before the homes go (and before the test drops
 * the schema: a supervisor left running holds PostgreSQL connections).
 *
 * @example
 * ```ts
 * const a = new Host("a", store);
 * await a.start(["--parallel", "2"]);
 * const id = await a.ok(["run", "--", "true"]);
 * await stopHosts([a]);
 * ```
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BGT, type CliResult, TempHome } from "./bgt_home.ts";
import { runAsync, stopChild } from "./processes.ts";
import { until } from "./until.ts";

/** A task as `bgt ls --json` prints it (the fields the tests read). */
export interface TaskJson {
  id: number;
  status: string;
  host: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  runAt: string;
  attempt: number;
  error: { message: string } | null;
}

/** One host: a home and its `bgt supervise --host NAME` on a store. */
export class Host {
  readonly home = TempHome.create();
  /** Its supervisor (the last started). */
  child: ChildProcess | undefined;
  /** Its supervisor's exit code: undefined while it runs, null when a signal ended it. */
  exitCode: number | null | undefined;

  /**
   * @param name its `--host`
   * @param store its BGT_STORE (changeable between starts, e.g. to go through a proxy)
   */
  constructor(readonly name: string, public store: string) {}

  /** Its BGT_HOME. */
  get homeDir(): string {
    return join(this.home.dir, "home");
  }

  /** Starts its supervisor in the foreground (its log: the home's supervisor.log). */
  async start(flags: string[] = []): Promise<void> {
    mkdirSync(this.homeDir, { recursive: true });
    const log = openSync(join(this.homeDir, "supervisor.log"), "a");
    this.exitCode = undefined;
    const child = spawn(BGT, ["supervise", "--host", this.name, ...flags], {
      env: this.env(),
      cwd: this.home.work,
      stdio: ["ignore", "ignore", log],
    });
    this.child = child;
    child.on("exit", (code) => (this.exitCode = code));
    await until(
      () => this.log().includes(`started pid ${child.pid}`) || this.exitCode !== undefined,
      60_000,
    )
      .catch((error) => {
        throw new Error(`host ${this.name} did not start (${error.message}): ${this.log()}`);
      });
    assert.equal(this.exitCode, undefined, `host ${this.name} exited: ${this.log()}`);
  }

  /** Stops its supervisor by pid (SIGTERM, then SIGKILL after 20 s) and waits for its exit. */
  async stop(): Promise<void> {
    if (this.child) await stopChild(this.child);
  }

  /** The environment of its bgt calls: its home, its store, no autostart. */
  env(): Record<string, string> {
    return this.home.env({ BGT_STORE: this.store, BGT_NO_AUTOSTART: "1" });
  }

  /** Its supervisor.log so far. */
  log(): string {
    const path = join(this.homeDir, "supervisor.log");
    return existsSync(path) ? readFileSync(path, "utf8") : "";
  }

  /** Runs bgt in this host's home without blocking the event loop. */
  bgt(words: string[]): Promise<CliResult> {
    return runAsync(BGT, words, { env: this.env(), cwd: this.home.work });
  }

  /** Like `bgt`, failing the test on a non-zero exit; its trimmed stdout. */
  async ok(words: string[]): Promise<string> {
    const result = await this.bgt(words);
    assert.equal(result.code, 0, `bgt ${words.join(" ")} on ${this.name}: ${result.stderr}`);
    return result.stdout.trim();
  }

  /** `bgt ls --json --limit 1000` with these words, parsed. */
  async tasks(words: string[] = []): Promise<TaskJson[]> {
    return JSON.parse(await this.ok(["ls", "--json", "--limit", "1000", ...words]));
  }

  /** The process group of a task this host runs (from its log directory's pid record). */
  taskGroup(id: number): number | undefined {
    try {
      return JSON.parse(readFileSync(join(this.homeDir, "logs", String(id), "pid"), "utf8")).pid;
    } catch {
      return undefined;
    }
  }
}

/**
 * Stops every host's supervisor (by pid, all at once), then cleans up their homes (their tasks'
 * processes killed, the directories deleted). For `afterEach`/`after`: it also runs when a test
 * failed, and before the schema is dropped.
 *
 * @example
 * ```ts
 * afterEach(() => stopHosts(hosts.splice(0)));
 * ```
 */
export async function stopHosts(hosts: readonly Host[]): Promise<void> {
  await Promise.all(hosts.map((host) => host.stop()));
  for (const host of hosts) host.home.cleanup();
}
