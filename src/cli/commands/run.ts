/**
 * `bgt run`: submits a module, command or shell task; prints its id (or, with --wait, streams
 * its output, prints a module's return value as JSON and exits with its code; Ctrl-C leaves the
 * task running).
 *
 * @example
 * ```sh
 * id=$(bgt run fit.ts#train data.csv --epochs 3)
 * bgt run --wait -- make all
 * ```
 */
import { Command } from "@commander-js/extra-typings";
import { type RunOptions, runTask } from "../run_task.ts";
import { addTaskOptions, followsDoubleDash } from "../task_options.ts";

/** The `run` command. */
export function runCommand() {
  const command = new Command("run")
    .description("run a module export, a command or a shell line in the background")
    .usage(
      "[options] <file[#export]> [args...] | [options] -- <command> [args...] | [options] --shell '<line>'",
    )
    .argument(
      "[target]",
      "a .ts/.js module (optionally #export), a command after --, or the line after --shell",
    )
    .argument("[args...]", "the task's arguments (for a module: JSON values, --key value options)");
  return addTaskOptions(command, { dependencies: true })
    .option("--in <duration>", "run after this delay ('10 minutes', '30s')")
    .option("--at <time>", "run at this time (ISO 8601, '2026-12-31 23:59', 'tomorrow 9am')")
    .option("--at-past <policy>", "when --at is in the past: refuse, or run now", "refuse")
    .option("--tz <zone>", "the time zone --at is read in (default: the system's)")
    .option(
      "-w, --wait",
      "stream the output (then a module's return value as JSON) and exit with the task's exit code",
    )
    .option(
      "--stdin",
      "give the task a standard input fed by 'bgt send' (and by this command's own stdin when it is a pipe or a file)",
    )
    .option("--json", 'print {"id": …} as JSON')
    .passThroughOptions()
    .action(async (target, args, rawOptions, command) => {
      await runTask(target, args, rawOptions as RunOptions, {
        afterDashDash: followsDoubleDash(command.parent?.args ?? [], target, args),
        rawArgs: command.parent?.args,
      });
    });
}
