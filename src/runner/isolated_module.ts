/**
 * `--isolate`: a module task in a process of its own instead of a worker of the supervisor. The
 * process is the binary in a small mode (`bgt __module <home> <id>`) started under the same
 * waiter as a command, so a module task gets what commands have: pause/resume of its process,
 * output straight to its files, and survival (with re-adoption) of a supervisor crash. Inside,
 * the export runs on a one-worker pool with the usual `context`; its result (or error) is written
 * to `logs/<id>/result`, which the supervisor reads when the waiter reports the exit.
 *
 * @example
 * ```ts
 * const run = startIsolatedModule(task, files, home.dir); // in the supervisor
 * process.exitCode = await runIsolatedModule(home.dir, 42); // in `bgt __module`
 * ```
 */
import { join } from "node:path";
import { readFileSync, rmSync } from "node:fs";
import { Pool } from "../pool/pool.ts";
import { selfCommand } from "../runtime/process.ts";
import { bgtHome } from "../store/home.ts";
import { openStore, storeConfig } from "../store/open_store.ts";
import { type TaskFiles, taskFiles, writeAtomic } from "../store/task_files.ts";
import { decode, encode } from "../task/codec.ts";
import type { Task, TaskOutcome } from "../task/types.ts";
import { adoptCommand, startCommand } from "./command_runner.ts";
import { startModule, storeReports } from "./module_runner.ts";
import type { RunningTask } from "./running_task.ts";

/** The file an isolated module task's outcome is written to. */
export function resultPath(files: TaskFiles): string {
  return join(files.dir, "result");
}

/** The argv that runs task `id` of the home at `homeDir` isolated. */
export function isolatedArgv(homeDir: string, id: number): string[] {
  return [...selfCommand(), "__module", homeDir, String(id)];
}

/** What the isolated process writes: the attempt it ran and how that ended. */
interface ResultRecord {
  attempt: number;
  outcome: TaskOutcome;
}

/** Starts an isolated module task under a waiter (in the supervisor). */
export function startIsolatedModule(task: Task, files: TaskFiles, homeDir: string): RunningTask {
  // An earlier attempt's outcome must not pass for this one's.
  rmSync(resultPath(files), { force: true });
  // Its process opens the supervisor's store (BGT_STORE as the supervisor has it, or none).
  const env = { ...task.env };
  if (process.env.BGT_STORE) env.BGT_STORE = process.env.BGT_STORE;
  else delete env.BGT_STORE;
  const run = startCommand({ ...task, env }, files, { argv: isolatedArgv(homeDir, task.id) });
  return _withResult(run, files, task.attempt);
}

/** Re-adopts an isolated module task whose supervisor died (see adoptCommand). */
export function adoptIsolatedModule(task: Task, files: TaskFiles): RunningTask | undefined {
  const run = adoptCommand(task, files);
  return run && _withResult(run, files, task.attempt);
}

/** The outcome the waiter reported, completed with the result or error this attempt wrote. */
function _withResult(run: RunningTask, files: TaskFiles, attempt: number): RunningTask {
  return {
    ...run,
    done: run.done.then((outcome) => {
      const written = _readOutcome(files, attempt);
      return written ? { ...outcome, ...written, exitCode: outcome.exitCode } : outcome;
    }),
  };
}

function _readOutcome(files: TaskFiles, attempt: number): TaskOutcome | undefined {
  try {
    const record = decode(readFileSync(resultPath(files))) as ResultRecord;
    return record.attempt === attempt ? record.outcome : undefined;
  } catch {
    return undefined; // killed before it could write: the exit code tells
  }
}

/**
 * Runs task `id` in this process (the `bgt __module` mode): its export on a one-worker pool,
 * output appended to its files, progress, meta and checkpoints to the store. SIGTERM, SIGINT and
 * SIGHUP abort its `context.signal` (the worker is terminated after the grace). Resolves with the
 * exit code: 0 when it succeeded.
 */
export async function runIsolatedModule(homeDir: string, id: number): Promise<number> {
  const home = bgtHome({ BGT_HOME: homeDir });
  const store = await openStore(storeConfig(process.env, home), { role: "runner" });
  const pool = new Pool({ size: 1 });
  try {
    const task = await store.get(id);
    if (!task || task.spec.kind !== "module") {
      process.stderr.write(`bgt: Cannot run task ${id} isolated: no such module task\n`);
      return 2;
    }
    const files = taskFiles(home.logs, id);
    const run = startModule(pool, task, files, {
      isolated: true,
      ...storeReports(store, id, { attempt: task.attempt }),
    });
    for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
      process.on(signal, () => run.kill(signal));
    }
    const outcome = await run.done;
    const record: ResultRecord = { attempt: task.attempt, outcome };
    writeAtomic(resultPath(files), encode(record));
    return outcome.status === "succeeded" ? 0 : 1;
  } finally {
    await pool.terminate();
    await store.close();
  }
}
