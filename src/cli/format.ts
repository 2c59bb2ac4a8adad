/**
 * Formatting for people and for scripts: tables, local and relative times, colours (when
 * `color.ts` says so) and the stable `--json` shape of a task.
 *
 * @example
 * ```ts
 * console.log(table([["ID", "STATUS"], ["1", "queued"]]));
 * relativeTime(Date.now() - 180_000); // "3m00s ago"
 * localTime(Date.now() + 60_000); // "2026-12-01 11:00 CET, in 1m00s"
 * ```
 */
import type { Schedule } from "../task/schedule.ts";
import { describeTask, shellOf, type Task, type TaskStatus } from "../task/types.ts";

export { useColor } from "./color.ts";

const STATUS_COLORS: Partial<Record<TaskStatus, number>> = {
  succeeded: 32,
  failed: 31,
  timed_out: 31,
  lost: 31,
  running: 36,
  canceled: 33,
  paused: 33,
};

/** The status word, coloured when `color`. */
export function colorStatus(status: TaskStatus, color: boolean): string {
  const code = STATUS_COLORS[status];
  return color && code ? `\x1b[${code}m${status}\x1b[0m` : status;
}

/**
 * Times for people, one format everywhere (see src/schedule/local_time.ts):
 * `localTime(ms)` gives "2026-12-01 11:00 CET, in 15h56m"; `relativeTime(ms)` the "in 15h56m"
 * alone (the AGE column); `duration(ms)` a compact "2h05m".
 */
export { compactDuration as duration, localTime, relativeTime } from "../schedule/local_time.ts";

/** A compact bar with the percentage: `[####------] 40%`. */
export function progressBar(fraction: number, width = 20): string {
  const clamped = Math.min(1, Math.max(0, fraction));
  const filled = Math.round(clamped * width);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${Math.round(clamped * 100)}%`;
}

/** Left-aligned columns separated by two spaces (ANSI colour codes are not counted). */
export function table(rows: readonly (readonly string[])[]): string {
  // deno-lint-ignore no-control-regex
  const visible = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, "").length;
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, visible(cell))));
  }
  return rows
    .map((row) =>
      row.map((
        cell,
        i,
      ) => (i === row.length - 1 ? cell : cell + " ".repeat(widths[i] - visible(cell))))
        .join("  ")
    )
    .join("\n");
}

/** Control characters, and the bytes that are not UTF-8 (U+DC80 + byte, see src/runtime/raw_bytes.ts). */
// deno-lint-ignore no-control-regex
const CONTROLS = /[\x00-\x1f\x7f-\x9f\uDC80-\uDCFF]/gu;

/**
 * Text a task controls (its name, command, progress message, meta, error), made safe for a
 * terminal: every control character is shown escaped (`\x1b`, `\x07`, `\u009b`), so that an
 * `ESC ]0;…BEL` or `ESC [2J` in it cannot retitle or clear the user's screen. Every human
 * formatter prints task text through this (or through `truncate()`, which calls it); `--json`
 * output keeps the text exact.
 *
 * @example
 * ```ts
 * printable("a\x1b[2Jb"); // "a\\x1b[2Jb"
 * printable("done\x07"); // "done\\x07"
 * printable("caf\udce9"); // "caf\\xe9": a byte that is not UTF-8
 * ```
 */
export function printable(text: string): string {
  return text.replace(CONTROLS, _escapeControl);
}

function _escapeControl(char: string): string {
  const code = char.charCodeAt(0);
  if (code >= 0xdc80) return `\\x${(code - 0xdc00).toString(16)}`;
  return code < 0x80
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
}

/**
 * Shortens text to `max` characters with an ellipsis, whitespace flattened and control
 * characters escaped (see `printable()`); a cut never splits an escape.
 */
export function truncate(text: string, max: number): string {
  const flat = printable(text.replace(/\s+/g, " "));
  if (flat.length <= max) return flat;
  let end = max - 1;
  // An escape is 4 (\xNN) or 6 (\uNNNN) characters: cut before one the end would split.
  const escape = /\\(x[0-9a-f]{2}|u[0-9a-f]{4})/g;
  for (let match; (match = escape.exec(flat)) && match.index < end;) {
    if (match.index + match[0].length > end) end = match.index;
  }
  return `${flat.slice(0, end)}…`;
}

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

/** The stable JSON shape of a schedule. */
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

/** JSON text of a value; bigints become numbers or strings, typed arrays become arrays. */
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
