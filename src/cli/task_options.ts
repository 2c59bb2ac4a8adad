/**
 * The options that describe a task, shared by `bgt run` and `bgt every`, and how they become a
 * NewTask: the spec (module, command or shell line), where and how it runs, its retry, timeout,
 * dependency and key policies. Every bad value is refused with a UsageError before anything is
 * stored.
 *
 * @example
 * ```ts
 * const command = addTaskOptions(new Command("run"), { dependencies: true });
 * const task = await buildTask(target, args, options, { afterDashDash: true });
 * ```
 */
import { resolve } from "node:path";
import type { Command, Option } from "@commander-js/extra-typings";
import { checkCwd, prepareTasks } from "../client/prepare_task.ts";
import { bundleModule } from "../runtime/bundle.ts";
import { loadConfig } from "../config/config_file.ts";
import { type ByteSizeError, parseByteSize } from "../task/byte_size.ts";
import { parseModuleArgs } from "../task/module_args.ts";
import {
  DEFAULT_RESTART_DELAY_MS,
  RESTART_POLICIES,
  STABLE_RUN_MS,
} from "../task/restart_policy.ts";
import { looksLikeModule, parseModuleTarget } from "../task/module_target.ts";
import {
  type KeyPolicy,
  type NewTask,
  SHELL_NAMES,
  type ShellName,
  type TaskSpec,
} from "../task/types.ts";
import { hookProblem, storedHooks, type TaskHooks } from "../task/task_hooks.ts";
import { validateTask } from "../task/validate_task.ts";
import { UsageError } from "./cli_error.ts";
import { collect, parseChoice, parseEnvPairs, parseInteger } from "./parse_options.ts";
import { parseTaskIds } from "./task_ids.ts";
import { parseDurationOption } from "./time_options.ts";

/** The values of the task options, as commander hands them over. */
export interface TaskOptionValues {
  name?: string;
  group: string;
  priority: string;
  env: string[];
  meta: string[];
  cwd?: string;
  argsJson?: string;
  /** `true` for a bare `--shell`; a string for `--shell=NAME` or the line's first word. */
  shell?: boolean | string;
  retries: string;
  backoff?: string;
  timeout?: string;
  after?: string[];
  afterAny?: boolean;
  key?: string;
  onKey: string;
  pin?: boolean;
  isolate?: boolean;
  retain?: string;
  onSuccess?: string;
  onFailure?: string;
  onFinish?: string;
  webhook?: string;
  on?: string;
  need?: string[];
  restart?: string;
  restartDelay?: string;
  maxRestarts?: string;
}

const KEY_POLICIES: readonly KeyPolicy[] = ["skip", "replace", "queue"];

/** Adds the task options to a command (`--after` only where dependencies make sense). */
export function addTaskOptions<C extends Command<[string | undefined, string[]]>>(
  command: C,
  features: { dependencies: boolean },
): C {
  command
    .option("-n, --name <name>", "a name shown by ls")
    .option("-g, --group <group>", "the task's group (see 'bgt group')", "default")
    .option("-p, --priority <n>", "higher runs first", "0")
    .option("-e, --env <K=V>", "set an environment variable (repeatable)", collect, [] as string[])
    .option("-m, --meta <k=v>", "attach metadata (repeatable)", collect, [] as string[])
    .option("--cwd <dir>", "working directory (default: the current one)")
    .option("--args-json <json>", "a module's arguments as a JSON array")
    .addOption(_shellOption(command))
    .option("--retries <n>", "retry a failed run up to n times", "0")
    .option("--backoff <duration>", "first retry delay, doubled per retry, ±20 % jitter", "1s")
    .option(
      "--timeout <duration>",
      "end a run that takes longer as timed_out (SIGTERM, then SIGKILL); a bare number is seconds",
    )
    .option("--key <key>", "at most one waiting or running task with this key")
    .option("--on-key <policy>", `when the key is held: ${KEY_POLICIES.join(", ")}`, "skip")
    .option("--pin", "bundle the module now: later runs execute exactly this code")
    .option(
      "--isolate",
      "run a module task in a process of its own, which outlives a supervisor crash",
    )
    .option(
      "--retain <bytes>",
      "keep only the last bytes of each output stream (1048576, 512KiB, 1MiB, 10MB; default: the config file's retain)",
    )
    .option(
      "--restart <policy>",
      `run it again when a run ends: ${RESTART_POLICIES.join(" or ")} ('bgt kill' stops it)`,
    )
    .option(
      "--restart-delay <duration>",
      `with --restart: first delay, doubled per quick restart, reset after a ${
        STABLE_RUN_MS / 1000
      }s run`,
      `${DEFAULT_RESTART_DELAY_MS}ms`,
    )
    .option("--max-restarts <n>", "with --restart: at most n restarts (default: no limit)")
    .option("--on <host>", "run only on this host (a shared store: see 'bgt hosts')")
    .option(
      "--need <label>",
      "run only on a host started with this label (repeatable)",
      collect,
      [] as string[],
    )
    .option("--on-success <cmd>", "run this sh -c line when the task succeeds (see README Hooks)")
    .option("--on-failure <cmd>", "run this sh -c line when the task ends any other way")
    .option("--on-finish <cmd>", "run this sh -c line whenever the task ends")
    .option("--webhook <url>", "POST the task's JSON, signed, to this URL when it ends");
  if (features.dependencies) {
    command
      .option(
        "--after <ids>",
        "run after these tasks succeed (comma-separated ids, or last; repeatable)",
        collect,
        [] as string[],
      )
      .option("--after-any", "with --after: run whatever the outcome of the dependencies");
  }
  return command;
}

/**
 * `--shell`, with `--shell=dax` as its one value. Its help shows `--shell[=dax]`: a value written
 * apart (`--shell 'echo hi'`) is the line, not a shell (see {@linkcode shellChoice}).
 */
function _shellOption(command: Command<[string | undefined, string[]]>): Option {
  // Made by the command (not `new Option`): this module must not load commander itself, so
  // that `bgt run -- …` can build its task without it (see `run_task.ts`).
  const option = command.createOption(
    "--shell [shell]",
    "run the words as one shell line with sh -c (--shell=dax: dax's cross-platform shell)",
  );
  option.flags = "--shell[=dax]";
  return option;
}

/**
 * The NewTask the options describe (without its run time). `afterDashDash` says the target came
 * after `--`, so it is a command whatever its name looks like.
 */
export async function buildTask(
  target: string | undefined,
  args: string[],
  options: TaskOptionValues,
  context: {
    afterDashDash: boolean;
    verb: string;
    /** The words as typed, to tell `--shell=dax` from `--shell dax` (see {@linkcode shellChoice}). */
    rawArgs?: readonly string[];
  },
): Promise<NewTask> {
  const cwd = resolve(options.cwd ?? process.cwd());
  checkCwd(cwd, "--cwd");
  let spec = _spec(target, args, {
    ...options,
    shell: shellChoice(options.shell, target, context.rawArgs),
    command: context.afterDashDash,
    verb: context.verb,
  });
  // The caller's environment is captured when the client submits (as for a library user).
  const env = parseEnvPairs(options.env);
  if (options.pin) {
    if (spec.kind !== "module") throw new UsageError("Cannot use --pin: it is for module tasks");
    prepareTasks([{ spec, env, cwd }]); // a missing file or export is refused before bundling
    try {
      spec = { ...spec, pinned: await bundleModule(resolve(cwd, spec.module)) };
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  if (options.isolate) {
    if (spec.kind !== "module") {
      throw new UsageError("Cannot use --isolate: it is for module tasks");
    }
    spec = { ...spec, isolate: true };
  }
  if (options.afterAny && !options.after?.length) {
    throw new UsageError("Cannot use --after-any without --after");
  }
  if (options.onKey !== "skip" && !options.key) {
    throw new UsageError("Cannot use --on-key without --key");
  }
  const restart = options.restart === undefined
    ? null
    : parseChoice("--restart", options.restart, RESTART_POLICIES);
  if (restart && parseInteger("--retries", options.retries, { min: 0 }) > 0) {
    throw new UsageError("Cannot use --restart with --retries: --restart runs it again already");
  }
  if (!restart && options.maxRestarts !== undefined) {
    throw new UsageError("Cannot use --max-restarts without --restart");
  }
  return {
    spec,
    name: options.name,
    group: options.group,
    priority: parseInteger("--priority", options.priority),
    maxAttempts: parseInteger("--retries", options.retries, { min: 0 }) + 1,
    backoffMs: parseDurationOption("--backoff", options.backoff ?? "1s"),
    timeoutMs: options.timeout === undefined
      ? null
      : parseDurationOption("--timeout", options.timeout),
    after: await parseTaskIds(
      (options.after ?? []).flatMap((ids) => ids.split(",")).map((w) => w.trim()),
    ),
    afterAny: Boolean(options.afterAny),
    key: options.key ?? null,
    onKey: parseChoice("--on-key", options.onKey, KEY_POLICIES),
    env,
    cwd,
    meta: parseEnvPairs(options.meta, "--meta"),
    retain: options.retain === undefined
      ? (loadConfig(process.env).retain ?? null)
      : parseByteSizeOption("--retain", options.retain),
    ...(restart
      ? {
        restart,
        restartDelayMs: _restartDelay(options.restartDelay),
        maxRestarts: options.maxRestarts === undefined
          ? null
          : parseInteger("--max-restarts", options.maxRestarts, { min: 0 }),
      }
      : {}),
    ...(options.on !== undefined ? { onHost: _nonEmpty("--on", options.on) } : {}),
    ...(options.need?.length
      ? { needLabels: [...new Set(options.need.map((label) => _nonEmpty("--need", label)))] }
      : {}),
    hooks: _hooks(options),
  };
}

function _nonEmpty(option: string, text: string): string {
  const value = text.trim();
  if (!value || /[,\s]/.test(value)) {
    throw new UsageError(`Cannot use ${option} '${text}': give one name, without spaces or commas`);
  }
  return value;
}

function _restartDelay(text: string | undefined): number {
  if (text === undefined) return DEFAULT_RESTART_DELAY_MS;
  if (/^\s*0+(\.0*)?\s*(ms|s)?\s*$/.test(text)) return 0;
  return parseDurationOption("--restart-delay", text);
}

/** The task's own hooks from its options (undefined: none); a bad URL is a UsageError. */
function _hooks(
  options: { onSuccess?: string; onFailure?: string; onFinish?: string; webhook?: string },
): TaskHooks | undefined {
  const hooks: TaskHooks = {
    onSuccess: options.onSuccess,
    onFailure: options.onFailure,
    onFinish: options.onFinish,
    webhook: options.webhook,
  };
  const problem = hookProblem(hooks);
  if (problem) throw new UsageError(`Cannot use the hooks: ${problem}`);
  return storedHooks(hooks) ?? undefined;
}

/**
 * A byte-count option (`--retain 10MB`; the forms of {@linkcode parseByteSize}); a UsageError
 * quotes a bad value.
 */
export function parseByteSizeOption(option: string, text: string): number {
  try {
    return parseByteSize(text);
  } catch (error) {
    const { problem, message } = error as ByteSizeError;
    throw new UsageError(
      `Cannot ${problem === "format" ? "parse" : "use"} ${option} '${text}': ${message}`,
    );
  }
}

/** True when the target came right after a `--` (a command, whatever its name looks like). */
export function followsDoubleDash(
  rawArgs: readonly string[],
  target: string | undefined,
  args: readonly string[],
): boolean {
  if (target === undefined) return false;
  const tail = [target, ...args];
  const start = rawArgs.length - tail.length;
  return start > 0 && rawArgs[start - 1] === "--" &&
    tail.every((word, i) => rawArgs[start + i] === word);
}

/**
 * What `--shell` asked for: undefined without it, else the shell and the words of the line.
 * Commander hands `--shell`'s optional value over as a string both for `--shell=dax` and for
 * `--shell 'echo hi'` (the next word); only the first names a shell: written apart, the word is
 * the line's first. Without `rawArgs` a value of `sh` or `dax` is taken for the shell.
 *
 * @example
 * ```ts
 * shellChoice("dax", "echo hi", ["--shell=dax", "echo hi"]); // { shell: "dax", words: ["echo hi"] }
 * shellChoice("echo hi", undefined, ["--shell", "echo hi"]); // { shell: "sh", words: ["echo hi"] }
 * ```
 */
export function shellChoice(
  value: boolean | string | undefined,
  target: string | undefined,
  rawArgs?: readonly string[],
): { shell: ShellName; words: string[] } | undefined {
  const rest = target === undefined ? [] : [target];
  if (value === undefined || value === false) return undefined;
  if (value === true) return { shell: "sh", words: rest };
  const joined = rawArgs
    ? rawArgs.includes(`--shell=${value}`)
    : SHELL_NAMES.includes(value as ShellName);
  if (!joined) return { shell: "sh", words: [value, ...rest] };
  if (!SHELL_NAMES.includes(value as ShellName)) {
    throw new UsageError(
      `Cannot parse --shell=${value}: expected ${
        SHELL_NAMES.map((n) => `--shell=${n}`).join(" or ")
      }`,
    );
  }
  return { shell: value as ShellName, words: rest };
}

function _spec(
  target: string | undefined,
  args: string[],
  options: {
    shell?: { shell: ShellName; words: string[] };
    command: boolean;
    argsJson?: string;
    verb: string;
  },
): TaskSpec {
  const missing = () =>
    new UsageError(
      `Cannot ${options.verb}: name a module file or a command (see 'bgt ${options.verb} --help')`,
    );
  if (options.shell) {
    if (options.argsJson) {
      throw new UsageError("Cannot run: --args-json is for module tasks, not --shell");
    }
    const line = [...options.shell.words, ...args].join(" ");
    if (!line.trim()) throw missing();
    return { kind: "shell", line, shell: options.shell.shell };
  }
  if (!target) throw missing();
  if (options.command || !looksLikeModule(target)) {
    if (options.argsJson) {
      throw new UsageError("Cannot run: --args-json is for module tasks, not commands");
    }
    return { kind: "command", argv: [target, ...args] };
  }
  const { module, export: name } = parseModuleTarget(target);
  let moduleArgs: unknown[];
  if (options.argsJson !== undefined) {
    if (args.length) {
      throw new UsageError(
        "Cannot run: give arguments either after the file or with --args-json, not both",
      );
    }
    try {
      moduleArgs = JSON.parse(options.argsJson);
    } catch (error) {
      throw new UsageError(`Cannot parse --args-json: ${(error as Error).message}`);
    }
    if (!Array.isArray(moduleArgs)) {
      throw new UsageError("Cannot parse --args-json: expected a JSON array");
    }
    try {
      validateTask({ spec: { kind: "module", module, export: name, args: moduleArgs } });
    } catch (error) {
      throw new UsageError(`Cannot use --args-json: ${(error as Error).message}`);
    }
  } else {
    moduleArgs = parseModuleArgs(args);
  }
  return { kind: "module", module, export: name, args: moduleArgs };
}
