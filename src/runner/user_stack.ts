/**
 * A module task's error as its author should see it: the stack without bgt's own frames (the
 * pool's worker, the runner — `$bunfs/…` inside the compiled binary, bgt's `src/` when run from
 * source) and without the runtime's frames that only lead into them. The message lines and the
 * user's frames stay, in order.
 *
 * @example
 * ```ts
 * userStack("Error: boom\n    at job (/home/me/job.ts:2:9)\n    at An (/$bunfs/root/src/pool/worker.js:10:2284)");
 * // "Error: boom\n    at job (/home/me/job.ts:2:9)"
 * ```
 */
import { fileURLToPath } from "node:url";

/** bgt's own `src/` directory, as a path and as a URL (frames show either). */
const SRC_URL = new URL("../", import.meta.url).href;
const SRC_PATH = SRC_URL.startsWith("file:") ? fileURLToPath(SRC_URL) : SRC_URL;

/** Where the compiled binary's embedded files live (`/$bunfs/root/…`, `B:/~BUN/root/…`). */
const EMBEDDED = /\$bunfs|~BUN/;

/** Locations that belong to the runtime, not to a file. */
const RUNTIME_LOCATION = /^(native|unknown|node:|internal:|ext:|bun:|<anonymous>$)/;

/**
 * The stack without bgt's frames and the runtime frames after the last user frame. A stack with
 * no frame left is its message lines alone.
 */
export function userStack(stack: string): string {
  const lines = stack.split("\n");
  const kept = lines.filter((line) => !_isFrame(line) || !_isBgtFrame(line));
  let end = kept.length;
  while (end > 0 && _isFrame(kept[end - 1]) && _isRuntimeFrame(kept[end - 1])) end--;
  return kept.slice(0, end).join("\n");
}

/**
 * The text a failed module task leaves on its stderr: its user stack, or `name: message` when
 * the error carries no stack.
 *
 * @example
 * ```ts
 * errorText({ name: "Error", message: "no stack" }); // "Error: no stack"
 * ```
 */
export function errorText(error: { name: string; message: string; stack?: string }): string {
  return error.stack ? userStack(error.stack) : `${error.name}: ${error.message}`;
}

function _isFrame(line: string): boolean {
  return /^\s+at /.test(line);
}

function _isBgtFrame(line: string): boolean {
  return EMBEDDED.test(line) || line.includes(SRC_PATH) || line.includes(SRC_URL);
}

function _isRuntimeFrame(line: string): boolean {
  const inParens = /\(([^()]*)\)\s*$/.exec(line);
  const location = inParens ? inParens[1] : line.replace(/^\s+at\s+(async\s+)?/, "");
  return RUNTIME_LOCATION.test(location);
}
