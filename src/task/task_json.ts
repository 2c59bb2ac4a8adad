/**
 * The one JSON shape of a task: what `bgt show --json` and `ls --json` print, what a hook reads
 * on stdin and a webhook receives, and what the library's `taskJson()` gives for a
 * {@linkcode Task} (DESIGN §3 names, camelCase, ISO times).
 *
 * @example
 * ```ts
 * import { taskJson } from "bgt";
 * const json = taskJson(await bgt.get(42)); // { id: 42, kind: "command", argv: [...], status: ... }
 * ```
 */
import { shellOf, type Task } from "./types.ts";

/** An epoch-ms time as ISO 8601 for JSON output (null stays null). */
export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/**
 * The stable JSON shape of a task (DESIGN §3 names, camelCase, ISO times). A list (`ls --json`)
 * passes `{ result: false }`: its tasks are read without results, so the field is left out.
 *
 * @example
 * ```ts
 * import { connect, taskJson } from "bgt";
 *
 * const bgt = await connect();
 * const [id] = await bgt.submit([{ spec: { kind: "command", argv: ["true"] } }]);
 * const [task] = await bgt.wait([id]);
 * console.log(taskJson(task).status); // "succeeded": the very JSON of `bgt show --json`
 * console.log("result" in taskJson(task, { result: false })); // false, as in `ls --json`
 * await bgt.close();
 * ```
 */
export function taskJson(
  task: Task,
  options: { result?: boolean } = {},
): Record<string, unknown> {
  const json = _taskJson(task);
  if (options.result === false) delete json.result;
  return json;
}

function _taskJson(task: Task): Record<string, unknown> {
  const spec = task.spec;
  return {
    id: task.id,
    kind: task.kind,
    ...(spec.kind === "command"
      ? { argv: spec.argv }
      : spec.kind === "shell"
      ? { line: spec.line, shell: shellOf(spec) }
      : { module: spec.module, export: spec.export, args: spec.args }),
    name: task.name,
    group: task.group,
    priority: task.priority,
    status: task.status,
    runAt: iso(task.runAt),
    createdAt: iso(task.createdAt),
    startedAt: iso(task.startedAt),
    finishedAt: iso(task.finishedAt),
    attempt: task.attempt,
    maxAttempts: task.maxAttempts,
    backoffMs: task.backoffMs,
    timeoutMs: task.timeoutMs,
    after: task.after,
    afterAny: task.afterAny,
    key: task.key,
    scheduleId: task.scheduleId,
    cwd: task.cwd,
    pid: task.pid,
    exitCode: task.exitCode,
    signal: task.signal,
    result: task.result ?? null,
    error: task.error,
    progress: task.progress === null
      ? null
      : { fraction: task.progress, message: task.progressMessage },
    meta: task.meta,
    restart: task.restart ?? null,
    restartDelayMs: task.restartDelayMs ?? null,
    maxRestarts: task.maxRestarts ?? null,
    restarts: task.restarts ?? 0,
    hooks: task.hooks ?? null,
  };
}
