/**
 * The stable `--json` shapes of a task and a schedule (DESIGN §3 names, camelCase, ISO times),
 * shared by the CLI's `--json` and the dashboard's API.
 *
 * @example
 * ```ts
 * toJson(taskJson(task, { result: false }), 2);
 * ```
 */
import type { Schedule } from "./schedule.ts";
import { type Attempt, describeTask, shellOf, type Task } from "./types.ts";

/**
 * An epoch-ms time as ISO 8601 for JSON output (null stays null).
 *
 * @example
 * ```ts
 * iso(0); // "1970-01-01T00:00:00.000Z"
 * ```
 */
export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/**
 * The stable JSON shape of a task (DESIGN §3 names, camelCase, ISO times). A list (`ls --json`)
 * passes `{ result: false }`: its tasks are read without results, so the field is left out.
 *
 * @example
 * ```ts
 * "result" in taskJson(task, { result: false }); // false
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
    host: task.host ?? null,
    ...(task.onHost ? { on: task.onHost } : {}),
    ...(task.needLabels?.length ? { need: task.needLabels } : {}),
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
  };
}

/**
 * The stable JSON shape of a schedule.
 *
 * @example
 * ```ts
 * scheduleJson(await client.getSchedule(3)).nextAt; // "2026-12-01T10:00:00.000Z"
 * ```
 */
export function scheduleJson(schedule: Schedule): Record<string, unknown> {
  return {
    id: schedule.id,
    every: schedule.every,
    timeZone: schedule.timeZone,
    task: describeTask({ name: schedule.template.name ?? null, spec: schedule.template.spec }),
    overlap: schedule.overlap,
    catchUp: schedule.catchUp,
    startAt: iso(schedule.startAt),
    stopAt: iso(schedule.stopAt),
    maxRuns: schedule.maxRuns,
    keep: schedule.keep,
    runs: schedule.runs,
    skipped: schedule.skipped,
    nextAt: iso(schedule.nextAt),
    paused: schedule.paused,
    createdAt: iso(schedule.createdAt),
    lastTaskId: schedule.lastTaskId,
    lastStatus: schedule.lastStatus,
  };
}

/**
 * JSON text of a value; bigints become numbers or strings, typed arrays become arrays.
 *
 * @example
 * ```ts
 * toJson({ n: 10n }); // '{"n":10}'
 * ```
 */
export function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(
    value,
    (_key, v) =>
      typeof v === "bigint"
        ? (Number.isSafeInteger(Number(v)) ? Number(v) : String(v))
        : ArrayBuffer.isView(v) && !(v instanceof DataView)
        ? Array.from(v as unknown as ArrayLike<number>)
        : v,
    indent,
  );
}

/**
 * The stable JSON shape of an attempt.
 *
 * @example
 * ```ts
 * attemptJson((await client.attempts(4))[0]).finishedAt; // an ISO time or null
 * ```
 */
export function attemptJson(attempt: Attempt): Record<string, unknown> {
  return {
    ...attempt,
    startedAt: iso(attempt.startedAt),
    finishedAt: iso(attempt.finishedAt),
    result: attempt.result ?? null,
  };
}
