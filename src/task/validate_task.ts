/**
 * Checks a task before it is stored, so that what cannot run is refused at submission with a
 * clear message rather than failing later (or, worse, running something else): an empty argv, a
 * NUL byte (no process argument or environment entry can hold one), module arguments that cannot
 * be stored (functions, symbols, cycles, nesting deeper than 1000 levels).
 *
 * @example
 * ```ts
 * validateTask({ spec: { kind: "command", argv: [] } }); // throws InvalidTaskError
 * ```
 */
import { hookProblem } from "./task_hooks.ts";
import { RESTART_POLICIES } from "./restart_policy.ts";
import { type NewTask, SHELL_NAMES } from "./types.ts";

/** A task that cannot be stored or run as given. */
export class InvalidTaskError extends TypeError {
  override name = "InvalidTaskError";
  readonly code = "INVALID_TASK";
}

/** Deepest nesting of a module task's arguments. */
export const MAX_ARGS_DEPTH = 1000;

/** Options for {@linkcode validateTask}. */
export interface ValidateOptions {
  /**
   * Whether `task.env` was already checked (it is the very object of a task checked just before,
   * as a batch's tasks share one captured environment): then it is not walked again.
   * @default false
   */
  envChecked?: boolean;
}

/** Throws InvalidTaskError naming the first problem of the task. */
export function validateTask(task: NewTask, options: ValidateOptions = {}): void {
  const hooks = hookProblem(task.hooks);
  if (hooks) throw new InvalidTaskError(`Cannot submit a task: ${hooks}`);
  const spec = task.spec;
  switch (spec?.kind) {
    case "command":
      if (!Array.isArray(spec.argv) || spec.argv.length === 0) {
        throw new InvalidTaskError("Cannot submit a command task: its argv is empty");
      }
      spec.argv.forEach((word, i) => _text(`argument ${i}`, word));
      break;
    case "shell":
      _text("the shell line", spec.line);
      if (!spec.line.trim()) {
        throw new InvalidTaskError("Cannot submit a shell task: the line is empty");
      }
      if (spec.shell !== undefined && !SHELL_NAMES.includes(spec.shell)) {
        throw new InvalidTaskError(
          `Cannot submit a shell task: shell '${spec.shell}' is unknown (expected ${
            SHELL_NAMES.join(" or ")
          })`,
        );
      }
      break;
    case "module":
      _text("the module", spec.module);
      _text("the export name", spec.export);
      if (!Array.isArray(spec.args)) {
        throw new InvalidTaskError("Cannot submit a module task: its args must be an array");
      }
      _storable(spec.args, "args", 0, new Set());
      break;
    default:
      throw new InvalidTaskError(
        `Cannot submit a task of kind '${
          (spec as { kind?: unknown })?.kind
        }': expected module, command or shell`,
      );
  }
  if (!options.envChecked) _validateEnv(task.env ?? {});
  if (task.cwd !== undefined) _text("the working directory", task.cwd);
  _validateRestart(task);
}

function _validateRestart(task: NewTask): void {
  const { restart, restartDelayMs, maxRestarts } = task;
  if (restart !== undefined && restart !== null && !RESTART_POLICIES.includes(restart)) {
    throw new InvalidTaskError(
      `Cannot submit the task: restart policy '${restart}' is unknown (expected ${
        RESTART_POLICIES.join(" or ")
      })`,
    );
  }
  if (
    restartDelayMs !== undefined && !(Number.isSafeInteger(restartDelayMs) && restartDelayMs >= 0)
  ) {
    throw new InvalidTaskError(
      "Cannot submit the task: its restart delay must be a whole number of ms ≥ 0",
    );
  }
  if (
    maxRestarts !== undefined && maxRestarts !== null &&
    !(Number.isSafeInteger(maxRestarts) && maxRestarts >= 0)
  ) {
    throw new InvalidTaskError("Cannot submit the task: its max restarts must be an integer ≥ 0");
  }
  if (restart && (task.maxAttempts ?? 1) > 1) {
    throw new InvalidTaskError(
      "Cannot submit the task with both a restart policy and retries: --restart runs it again already (drop --retries)",
    );
  }
}

function _validateEnv(env: Record<string, string>): void {
  for (const key of Object.keys(env)) {
    const value: unknown = env[key];
    // The common case (all fine) without building a message per variable.
    if (typeof value === "string" && !value.includes("\0") && !/[=\0]/.test(key)) continue;
    _text(`the environment variable name '${key}'`, key);
    _text(`the environment variable ${key}`, value);
    throw new InvalidTaskError(
      `Cannot submit a task: environment variable name '${key}' contains '='`,
    );
  }
}

function _text(what: string, value: unknown): void {
  if (typeof value !== "string") {
    throw new InvalidTaskError(`Cannot submit the task: ${what} is not a string`);
  }
  if (value.includes("\0")) {
    throw new InvalidTaskError(`Cannot submit the task: ${what} contains a NUL byte`);
  }
}

/** Refuses values MessagePack would drop or choke on. */
function _storable(value: unknown, path: string, depth: number, seen: Set<object>): void {
  if (depth > MAX_ARGS_DEPTH) {
    throw new InvalidTaskError(
      `Cannot submit a module task: its arguments nest deeper than ${MAX_ARGS_DEPTH} levels`,
    );
  }
  if (typeof value === "function" || typeof value === "symbol") {
    throw new InvalidTaskError(
      `Cannot submit a module task: ${path} is a ${typeof value}, which cannot be stored`,
    );
  }
  if (value === null || typeof value !== "object" || ArrayBuffer.isView(value)) return;
  if (seen.has(value)) {
    throw new InvalidTaskError(`Cannot submit a module task: ${path} refers back to itself`);
  }
  seen.add(value);
  if (value instanceof Map) {
    for (const [key, item] of value) _storableItem(item, path, key, depth, seen);
  } else {
    const object = value as Record<string, unknown>;
    for (const key of Object.keys(object)) _storableItem(object[key], path, key, depth, seen);
  }
  seen.delete(value);
}

/** An item of `path` at `key`: a number, string or boolean at once (most are), else walked. */
function _storableItem(
  item: unknown,
  path: string,
  key: unknown,
  depth: number,
  seen: Set<object>,
): void {
  const type = typeof item;
  if (item === null || type === "number" || type === "string" || type === "boolean") return;
  _storable(item, `${path}[${JSON.stringify(key)}]`, depth + 1, seen);
}
