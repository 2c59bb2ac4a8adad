/**
 * Runs `module` tasks: the task's export is called in the worker of a one-worker pool, in a
 * process that runs this task alone (a worker host, or `--isolate`), in the task's directory and
 * environment. Its console output goes to the task's stdout/stderr files as it is produced, `context.emit()`
 * records to its data file, progress to the store.
 *
 * @example
 * ```ts
 * const run = startModule(pool, task, files, { onProgress: (f, m) => store.setProgress(id, f, m) });
 * await run.done; // { status: "succeeded", result: 42 }
 * ```
 */
import { existsSync, mkdirSync } from "node:fs";
import { hostname } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Pool } from "../pool/pool.ts";
import { hasRawBytes, textToBytes } from "../runtime/raw_bytes.ts";
import { rawModuleUrl } from "../runtime/raw_path_modules.ts";
import { appendOwnFile } from "../store/own_files.ts";
import { prepareTaskFiles, type TaskFiles, writeAtomic } from "../store/task_files.ts";
import type { RunFence, TaskStore } from "../store/task_store.ts";
import { maxResultBytes, resultOverCap } from "../task/result_cap.ts";
import type { Task, TaskOutcome } from "../task/types.ts";
import type { RunningTask } from "./running_task.ts";
import { keepStreams } from "./stream_keeper.ts";
import { errorText } from "./user_stack.ts";

/** Options for {@linkcode startModule}. */
export interface ModuleRunOptions {
  /** Called with each progress report. */
  onProgress?: (fraction: number, message: string | null) => unknown;
  /**
   * Set inside an isolated task's own process (`--isolate`): the waiter's records stay, and the
   * supervisor's keeper, not this runner, trims the streams.
   */
  isolated?: boolean;
  /** Called with each `context.meta(patch)`. */
  onMeta?: (patch: Record<string, unknown>) => unknown;
  /** Called with each `context.checkpoint(value)`. */
  onCheckpoint?: (value: unknown) => unknown;
  /** Time between abort and terminating the worker. @default 2000 */
  graceMs?: number;
}

/**
 * The `file://…#export` URL a module task runs, resolved against the task's cwd. A pinned task
 * runs its bundled code, written to `pinned.mjs` in its log directory (`dir`); a task whose
 * file does not exist here runs the code it carries from submission (a shared store), written
 * to `carried.mjs` there.
 */
export function moduleUrl(task: Task, dir?: string): string {
  if (task.spec.kind !== "module") {
    throw new TypeError(`Cannot run a ${task.kind} task as a module`);
  }
  const { module, export: name, pinned, carried } = task.spec;
  if (pinned !== undefined && dir !== undefined) {
    const path = join(dir, "pinned.mjs");
    writeAtomic(path, pinned);
    return `${pathToFileURL(path).href}#${name}`;
  }
  if (carried !== undefined && dir !== undefined && carriedInstead(task) !== undefined) {
    const path = join(dir, "carried.mjs");
    writeAtomic(path, carried);
    return `${pathToFileURL(path).href}#${name}`;
  }
  if (hasRawBytes(module)) {
    // Not UTF-8: Bun's path functions would replace those bytes; the stand-in keeps them.
    const path = isAbsolute(module) ? module : `${task.cwd}/${module}`;
    return `${rawModuleUrl(textToBytes(path))}#${name}`;
  }
  const url = /^[a-z][a-z0-9+.-]*:/i.test(module) && !isAbsolute(module)
    ? module
    : pathToFileURL(resolve(task.cwd, module)).href;
  return `${url}#${name}`;
}

/**
 * The missing file a module task names when the code it carries from submission runs instead
 * (a shared store: see `src/client/carry_modules.ts`); undefined when its file exists here (it
 * runs, as it is now) or it carries no code.
 *
 * @example
 * ```ts
 * carriedInstead(task); // "/home/me/jobs/report.ts" on a host that lacks it
 * ```
 */
export function carriedInstead(task: Task): string | undefined {
  if (task.spec.kind !== "module" || task.spec.carried === undefined) return undefined;
  if (task.spec.pinned !== undefined) return undefined;
  const { module } = task.spec;
  if (hasRawBytes(module)) return undefined;
  if (/^[a-z][a-z0-9+.-]*:/i.test(module) && !isAbsolute(module) && !module.startsWith("file:")) {
    return undefined;
  }
  const path = module.startsWith("file:") ? fileURLToPath(module) : resolve(task.cwd, module);
  return existsSync(path) ? undefined : path;
}

/**
 * The report callbacks that store what a module task reports: progress, meta and checkpoints.
 *
 * @example
 * ```ts
 * startModule(pool, task, files, storeReports(store, task.id));
 * ```
 */
export function storeReports(
  store: TaskStore,
  id: number,
  fence?: RunFence,
): Pick<ModuleRunOptions, "onProgress" | "onMeta" | "onCheckpoint"> {
  // Meta and checkpoints are stored one after another, in the order reported: two writes in
  // flight at once may land in either order on a store with several connections (PostgreSQL).
  let last: Promise<unknown> = Promise.resolve();
  const inOrder = (write: () => Promise<unknown>): Promise<unknown> => {
    const next = last.then(write, write);
    last = next.catch(() => {});
    return next;
  };
  return {
    onProgress: coalescedProgress(store, id, fence),
    onMeta: (patch) => inOrder(() => store.mergeMeta(id, patch, fence)),
    onCheckpoint: (value) => inOrder(() => store.setCheckpoint(id, value, fence)),
  };
}

/**
 * Stores a task's progress reports with at most one write in flight; reports arriving meanwhile
 * are coalesced (the latest wins). Returns the write's promise, or undefined when coalesced.
 *
 * @example
 * ```ts
 * const report = coalescedProgress(store, 41);
 * report(0.5, "half"); report(0.6, null); // two writes at most
 * ```
 */
export function coalescedProgress(
  store: Pick<TaskStore, "setProgress">,
  id: number,
  fence?: RunFence,
): (fraction: number, message: string | null) => Promise<void> | undefined {
  let writing: Promise<void> | undefined;
  let latest: [number, string | null] | undefined;
  const write = (fraction: number, message: string | null): Promise<void> => {
    writing = store.setProgress(id, fraction, message, fence).finally(() => {
      writing = undefined;
      if (latest) {
        const [next, text] = latest;
        latest = undefined;
        void write(next, text).catch(() => {}); // the next report's write says why
      }
    });
    return writing;
  };
  return (fraction, message) => {
    if (writing) {
      latest = [fraction, message];
      return undefined;
    }
    return write(fraction, message);
  };
}

/** Starts the module task on the pool. */
export function startModule(
  pool: Pool,
  task: Task,
  files: TaskFiles,
  options: ModuleRunOptions = {},
): RunningTask {
  if (task.spec.kind !== "module") {
    throw new TypeError(`Cannot run a ${task.kind} task as a module`);
  }
  // The log directory is made up front only when something needs it now (a pinned bundle, the
  // keeper of --retain); otherwise the worker makes it with the task's first output, so a task
  // that prints nothing costs no file at all.
  const spec = task.spec;
  if (!options.isolated && (spec.pinned !== undefined || task.retain !== null)) {
    prepareTaskFiles(files);
  }
  const missing = carriedInstead(task);
  if (missing !== undefined) {
    appendTaskStderr(
      files,
      `bgt: ran the code carried from submission because ${missing} does not exist on host ${
        task.host ?? hostname()
      }\n`,
    );
  }
  // With --retain, the same keeper as a command's trims the files the worker appends to.
  const keeper = options.isolated ? undefined : keepStreams(files, { retain: task.retain });
  const abort = new AbortController();
  /** Report writes (progress, meta, checkpoint) not yet stored. */
  const reports = new Set<Promise<unknown>>();
  const track = (written: unknown) => {
    if (!(written instanceof Promise)) return;
    const settled = written.then(() => {}, () => {}).finally(() => reports.delete(settled));
    reports.add(settled);
  };
  /** The signal the task was killed with, if it was. */
  let killedWith: string | undefined;
  const done: Promise<TaskOutcome> = pool
    .run(moduleUrl(task, files.dir), task.spec.args, {
      signal: abort.signal,
      graceMs: options.graceMs ?? 2000,
      // The worker appends output and data records to the files itself, before console.log
      // returns: a supervisor that dies a moment later loses none of it.
      outputFiles: { stdout: files.stdout, stderr: files.stderr, data: files.data },
      // Its own process (a worker host, or --isolate): the task's directory and environment,
      // as captured at submission (a task submitted without one gets the host's own).
      cwd: task.cwd,
      env: Object.keys(task.env).length ? task.env : undefined,
      context: {
        id: task.id,
        attempt: task.attempt,
        meta: task.meta,
        checkpoint: task.checkpoint,
      },
      onEvent: (event) => {
        if (event.type === "progress") {
          track(options.onProgress?.(event.fraction, event.message ?? null));
        } else if (event.type === "meta") track(options.onMeta?.(event.patch));
        else if (event.type === "checkpoint") track(options.onCheckpoint?.(event.value));
      },
    })
    .then(
      (result): TaskOutcome => {
        // A result over the cap fails the task here, on both paths (worker host, --isolate):
        // no frame or store write is tried with it.
        let message: string;
        try {
          const problem = resultOverCap(result, maxResultBytes(process.env));
          if (problem === undefined) return { status: "succeeded", result };
          message = `Cannot keep the task's result: ${problem}`;
        } catch (error) {
          // MessagePack cannot hold it (a cycle, …): the task fails, its host lives on.
          message = `Cannot store the task's result: ${(error as Error).message}`;
        }
        appendTaskStderr(files, `bgt: ${message}\n`);
        return { status: "failed", error: { name: "RangeError", message } };
      },
      (error: Error): TaskOutcome => taskFailure(error, files, killedWith),
    )
    .then(async (outcome) => {
      // The task's last reports are stored before its end is: on a store with several
      // connections (PostgreSQL) a checkpoint still in flight could otherwise land after the
      // next attempt has read the row.
      while (reports.size) await Promise.allSettled([...reports]);
      return outcome;
    })
    .finally(async () => {
      await keeper?.stop();
    });
  return {
    pid: null,
    started: Promise.resolve(null),
    kill: (signal) => {
      killedWith ??= signal;
      abort.abort(new Error(`killed with ${signal}`));
    },
    done,
  };
}

/**
 * How a module task that threw (or was stopped) ended. Its stderr gets the error's stack with the
 * user's frames only (see {@linkcode userStack}); a task stopped by bgt — killed, timed out — gets
 * nothing there: the stored error says why, in one line.
 *
 * @example
 * ```ts
 * taskFailure(new Error("boom"), files); // { status: "failed", error: { name: "Error", message: "boom", stack } }
 * ```
 */
export function taskFailure(error: Error, files: TaskFiles, killedWith?: string): TaskOutcome {
  const code = (error as { code?: unknown }).code;
  if (code === "ABORTED" || code === "TIMEOUT") {
    const message = code === "ABORTED" && killedWith !== undefined
      ? `Cannot finish the task: it was killed (${killedWith})`
      : error.message;
    return {
      status: code === "TIMEOUT" ? "timed_out" : "failed",
      error: { name: error.name, message },
    };
  }
  const stack = errorText(error);
  appendTaskStderr(files, `${stack}\n`);
  return { status: "failed", error: { name: error.name, message: error.message, stack } };
}

/**
 * Appends a line about how the task ended to its stderr (a full disk fails the write, not the
 * supervisor).
 *
 * @example
 * ```ts
 * appendTaskStderr(files, "bgt: The worker process running this task was killed by SIGKILL\n");
 * ```
 */
export function appendTaskStderr(files: TaskFiles, text: string): void {
  try {
    mkdirSync(files.dir, { recursive: true, mode: 0o700 });
    appendOwnFile(files.stderr, text);
  } catch { /* the stack is lost; the error stays in the task's row */ }
}
