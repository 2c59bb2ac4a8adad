/**
 * What every submission goes through before it is stored, from the CLI and the library alike
 * (DESIGN §3): the caller's environment and working directory are captured — `env` is merged over
 * the caller's environment, a relative `cwd` is resolved against the caller's — a shell line that
 * names no shell gets `sh`, and what cannot run is refused at once with an InvalidTaskError that
 * says why: a cwd that is not a directory or cannot be entered, a module file that is missing, is
 * not a regular file, does not parse, lacks the export or exports something that is not a function,
 * a command that is not found. Nothing refused is stored.
 *
 * @example
 * ```ts
 * const [task] = prepareTasks([{ spec: { kind: "command", argv: ["date"] }, env: { X: "1" } }]);
 * task.env.HOME; // the caller's HOME
 * task.cwd; // the caller's directory
 * ```
 */
import { accessSync, constants, existsSync, statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { findExecutable } from "../runner/find_executable.ts";
import { nonFunctionExports, scanExports } from "../runtime/module_exports.ts";
import { fsPath, hasRawBytes } from "../runtime/raw_bytes.ts";
import { rawEnv } from "../runtime/raw_process.ts";
import type { NewTask, TaskSpec } from "../task/types.ts";
import { InvalidTaskError } from "../task/validate_task.ts";

/** Options for {@linkcode prepareTasks}. */
export interface PrepareOptions {
  /** The environment captured under each task's `env`. @default process.env */
  env?: Record<string, string | undefined>;
  /** The directory a relative (or missing) `cwd` is resolved against. @default process.cwd() */
  cwd?: string;
}

/**
 * The tasks as they will be stored: environment and directory captured, checked that they can
 * run. Returns new objects (the caller's are not changed); throws InvalidTaskError for the first
 * task that cannot run. Checks of the same module, command or directory are done once per call.
 */
export function prepareTasks(
  tasks: readonly NewTask[],
  options: PrepareOptions = {},
): NewTask[] {
  const base = _definedEntries(options.env ?? rawEnv(process.env));
  const from = options.cwd ?? process.cwd();
  const here = resolve(from);
  const checked = new Set<string>();
  const lastOfKind = new Map<string, readonly string[]>();
  /** Runs `check` once per key: [kind, ...what it depends on]. */
  const once = (key: readonly string[], check: () => void) => {
    // A batch's tasks usually repeat the check before of its kind: compare parts, join none.
    const last = lastOfKind.get(key[0]);
    if (last && key.every((part, i) => part === last[i])) return;
    const joined = key.join("\0");
    if (!checked.has(joined)) {
      check();
      checked.add(joined);
    }
    lastOfKind.set(key[0], key);
  };
  return tasks.map((task) => {
    if (task.cwd !== undefined && typeof task.cwd !== "string") {
      throw new InvalidTaskError("Cannot submit the task: its cwd is not a string");
    }
    if (task.env !== undefined && (typeof task.env !== "object" || task.env === null)) {
      throw new InvalidTaskError("Cannot submit the task: its env is not an object");
    }
    const cwd = task.cwd === undefined ? here : resolve(from, task.cwd);
    once(["cwd", cwd], () => checkCwd(cwd));
    const env = task.env === undefined ? base : { ...base, ...task.env };
    const spec = task.spec;
    if (spec?.kind === "command" && Array.isArray(spec.argv) && typeof spec.argv[0] === "string") {
      once(["command", spec.argv[0], cwd, env.PATH], () => _checkCommand(spec.argv, cwd, env));
    } else if (
      spec?.kind === "module" && spec.pinned === undefined && typeof spec.module === "string" &&
      typeof spec.export === "string"
    ) {
      once(["module", spec.module, spec.export, cwd], () => _checkModule(spec, cwd));
    }
    const shell = spec?.kind === "shell" && spec.shell === undefined
      ? { ...spec, shell: "sh" as const }
      : spec;
    return { ...task, spec: shell, env, cwd };
  });
}

/**
 * Refuses a working directory that does not exist or is not a directory. `name` is what the
 * message calls it (`--cwd` in the CLI).
 *
 * @example
 * ```ts
 * checkCwd("/nonexistent", "--cwd"); // throws "Cannot run the task: --cwd /nonexistent does not exist"
 * ```
 */
export function checkCwd(cwd: string, name = "cwd"): void {
  if (!existsSync(cwd)) {
    throw new InvalidTaskError(`Cannot run the task: ${name} ${cwd} does not exist`);
  }
  if (!statSync(cwd).isDirectory()) {
    throw new InvalidTaskError(`Cannot run the task: ${name} ${cwd} is not a directory`);
  }
  try {
    accessSync(cwd, constants.X_OK);
  } catch {
    throw new InvalidTaskError(
      `Cannot run the task: ${name} ${cwd} cannot be entered (permission denied)`,
    );
  }
}

/**
 * Refuses a command whose program is not found, as `execvp` would look for it: a name with a
 * slash relative to `cwd`, a bare name in the task's PATH.
 */
function _checkCommand(
  argv: readonly string[],
  cwd: string,
  env: Record<string, string>,
): void {
  if (!findExecutable(argv[0], { cwd, path: env.PATH })) {
    throw new InvalidTaskError(
      `Cannot run '${argv[0]}': command not found (PATH and ${cwd} searched)`,
    );
  }
}

/**
 * Refuses a module task whose file is missing, is not a regular file (a directory, a device, a
 * FIFO), does not parse, or lacks the export or exports something that is not a function (when its exports can be known without running it: on Bun). A URL other than `file:`
 * is not checked: it can only be known by importing it.
 */
function _checkModule(spec: Extract<TaskSpec, { kind: "module" }>, cwd: string): void {
  const { module, export: name } = spec;
  const path = _modulePath(module, cwd);
  if (path === undefined) return;
  const where = isAbsolute(module) || module.startsWith("file:") ? "" : ` in ${cwd}`;
  const stat = statSync(fsPath(path), { throwIfNoEntry: false });
  if (!stat) throw new InvalidTaskError(`Cannot run ${module}: no such file${where}`);
  if (stat.isDirectory()) {
    throw new InvalidTaskError(`Cannot run ${module}: it is a directory, not a module file`);
  }
  if (!stat.isFile()) {
    // /dev/zero would be read for ever, a FIFO would block the client: only regular files run.
    throw new InvalidTaskError(`Cannot run ${module}: it is not a regular file`);
  }
  const { exports, nonFunctions } = _exportsOf(module, path, stat);
  if (exports && !exports.includes(name)) {
    throw new InvalidTaskError(
      `Cannot run ${module}#${name}: ${module} has no export named '${name}' (it exports ${
        exports.join(", ")
      })`,
    );
  }
  if (exports && nonFunctions.includes(name)) {
    throw new InvalidTaskError(
      `Cannot run ${module}#${name}: its export '${name}' is not a function`,
    );
  }
}

/** What a module file exports: its names, and those known not to be functions. */
interface _Exports {
  exports: string[] | undefined;
  nonFunctions: string[];
}

/** Exports already read, by path, with the file's version they were read from. */
const _scanned = new Map<string, _Exports & { version: string }>();
/** Most files whose exports are remembered (a batch of one module's tasks needs one). */
const SCANNED_FILES = 256;

/**
 * The module's export names (see scanExports) and those that are not functions (see
 * nonFunctionExports), read once per version of the file.
 */
function _exportsOf(
  module: string,
  path: string,
  stat: { mtimeMs: number; size: number; ino: number },
): _Exports {
  const version = `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
  const known = _scanned.get(path);
  if (known?.version === version) return known;
  let exports: string[] | undefined;
  let nonFunctions: string[] = [];
  try {
    exports = scanExports(path);
    if (exports) nonFunctions = nonFunctionExports(path);
  } catch (error) {
    throw new InvalidTaskError(
      `Cannot run ${module}: it does not parse (${(error as Error).message.split("\n")[0]})`,
    );
  }
  if (_scanned.size >= SCANNED_FILES) _scanned.delete(_scanned.keys().next().value!);
  _scanned.set(path, { version, exports, nonFunctions });
  return { exports, nonFunctions };
}

/** The file a module specifier names (as the module runner resolves it); undefined for a URL. */
function _modulePath(module: string, cwd: string): string | undefined {
  // Bun's path functions replace bytes that are not UTF-8: such a name is joined as it is.
  if (hasRawBytes(module)) return isAbsolute(module) ? module : `${cwd}/${module}`;
  if (/^[a-z][a-z0-9+.-]*:/i.test(module) && !isAbsolute(module)) {
    if (!module.startsWith("file:")) return undefined;
    try {
      return fileURLToPath(module);
    } catch {
      throw new InvalidTaskError(`Cannot run ${module}: it is not a valid file URL`);
    }
  }
  return resolve(cwd, module);
}

/** The environment without its unset entries (process.env types them as possibly undefined). */
function _definedEntries(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  return out;
}
