/**
 * `bgt run`: submits a module, command or shell task; prints its id (or, with --wait, streams
 * its output and exits with its code).
 *
 * @example
 * ```sh
 * id=$(bgt run fit.ts#train data.csv --epochs 3)
 * bgt run --wait -- make all
 * ```
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { Command } from "@commander-js/extra-typings";
import { connect } from "../../client/client.ts";
import { findExecutable } from "../../runner/find_executable.ts";
import { exitCodeOf } from "../../task/exit_code.ts";
import { parseModuleArgs } from "../../task/module_args.ts";
import { looksLikeModule, parseModuleTarget } from "../../task/module_target.ts";
import type { NewTask, TaskSpec } from "../../task/types.ts";
import { UsageError } from "../cli_error.ts";
import { toJson } from "../format.ts";
import { parseEnvPairs, parseInteger } from "../parse_options.ts";

/** The `run` command. */
export function runCommand() {
  return new Command("run")
    .description("run a module export, a command or a shell line in the background")
    .usage("[options] <file[#export]> [args...] | [options] -- <command> [args...]")
    .argument("[target]", "a .ts/.js module (optionally #export), or a command after --")
    .argument("[args...]", "the task's arguments (for a module: JSON values, --key value options)")
    .option("-n, --name <name>", "a name shown by ls")
    .option("-g, --group <group>", "the task's group", "default")
    .option("-p, --priority <n>", "higher runs first", "0")
    .option("-e, --env <K=V>", "set an environment variable (repeatable)", collect, [] as string[])
    .option("--cwd <dir>", "working directory (default: the current one)")
    .option("--args-json <json>", "a module's arguments as a JSON array")
    .option("--shell", "run the words as one shell line (dax's cross-platform shell)")
    .option("--retries <n>", "retry a failed run up to n times", "0")
    .option("-w, --wait", "stream the output and exit with the task's exit code")
    .option("--json", 'print {"id": …} as JSON')
    .passThroughOptions()
    .action(async (target, args, options, command) => {
      if (!target) {
        throw new UsageError("Cannot run: name a module file or a command (see 'bgt run --help')");
      }
      const cwd = resolve(options.cwd ?? process.cwd());
      if (!existsSync(cwd)) throw new UsageError(`Cannot run: --cwd ${cwd} does not exist`);
      const afterDashDash = _followsDoubleDash(command.parent?.args ?? [], target, args);
      const spec = _spec(target, args, cwd, { ...options, command: afterDashDash });
      const env = { ...(process.env as Record<string, string>), ...parseEnvPairs(options.env) };
      if (spec.kind === "command" && !findExecutable(spec.argv[0], { cwd, path: env.PATH })) {
        throw new UsageError(
          `Cannot run '${spec.argv[0]}': command not found (PATH and ${cwd} searched)`,
        );
      }
      const task: NewTask = {
        spec,
        name: options.name,
        group: options.group,
        priority: parseInteger("--priority", options.priority),
        maxAttempts: parseInteger("--retries", options.retries, { min: 0 }) + 1,
        env,
        cwd,
      };
      const client = await connect();
      try {
        const [id] = await client.submit([task]);
        if (!options.wait) {
          process.stdout.write(options.json ? `${toJson({ id })}\n` : `${id}\n`);
          return;
        }
        if (options.json) process.stderr.write(`${toJson({ id })}\n`);
        const { followStreams } = await import("../../client/follow_streams.ts");
        const done = await followStreams(client, id, ["stdout", "stderr"], (stream, bytes) => {
          (stream === "stderr" ? process.stderr : process.stdout).write(bytes);
        });
        process.exitCode = exitCodeOf(done);
        if (done.error) {
          process.stderr.write(`bgt: task ${id} ${done.status}: ${done.error.message}\n`);
        }
      } finally {
        client.close();
      }
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** True when the target came right after a `--` (a command, whatever its name looks like). */
function _followsDoubleDash(
  rawArgs: readonly string[],
  target: string,
  args: readonly string[],
): boolean {
  const tail = [target, ...args];
  const start = rawArgs.length - tail.length;
  return start > 0 && rawArgs[start - 1] === "--" &&
    tail.every((word, i) => rawArgs[start + i] === word);
}

function _spec(
  target: string,
  args: string[],
  cwd: string,
  options: { shell?: boolean; command: boolean; argsJson?: string },
): TaskSpec {
  if (options.shell) {
    if (options.argsJson) {
      throw new UsageError("Cannot run: --args-json is for module tasks, not --shell");
    }
    return { kind: "shell", line: [target, ...args].join(" ") };
  }
  if (options.command || !looksLikeModule(target)) {
    if (options.argsJson) {
      throw new UsageError("Cannot run: --args-json is for module tasks, not commands");
    }
    return { kind: "command", argv: [target, ...args] };
  }
  const { module, export: name } = parseModuleTarget(target);
  if (!existsSync(resolve(cwd, module))) {
    throw new UsageError(`Cannot run ${module}: no such file in ${cwd}`);
  }
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
  } else {
    moduleArgs = parseModuleArgs(args);
  }
  return { kind: "module", module, export: name, args: moduleArgs };
}
