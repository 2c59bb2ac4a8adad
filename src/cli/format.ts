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
import type { TaskStatus } from "../task/types.ts";

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

/** The `--json` shapes live with the task model, so that the dashboard's API (src/ui) gives the same. */
export { iso, scheduleJson, taskJson, toJson } from "../task/task_json.ts";
