/**
 * The `bgt` command tree: one file per command under `commands/`. Errors become one line on
 * stderr and a non-zero exit (see `cli_error.ts`).
 *
 * @example
 * ```ts
 * process.exitCode = await main(process.argv.slice(2));
 * ```
 */
import { Command, CommanderError } from "@commander-js/extra-typings";
import { VERSION } from "../task/version.ts";
import { reportError } from "./cli_error.ts";
import { cleanCommand } from "./commands/clean.ts";
import { completionsCommand } from "./commands/completions.ts";
import { daemonCommand } from "./commands/daemon.ts";
import { everyCommand } from "./commands/every.ts";
import { groupCommand } from "./commands/group.ts";
import { killCommand } from "./commands/kill.ts";
import { logsCommand } from "./commands/logs.ts";
import { lsCommand } from "./commands/ls.ts";
import { metaCommand } from "./commands/meta.ts";
import { pauseCommand, resumeCommand } from "./commands/pause.ts";
import { restartCommand } from "./commands/restart.ts";
import { resultCommand } from "./commands/result.ts";
import { rmCommand } from "./commands/rm.ts";
import { runCommand } from "./commands/run.ts";
import { schedulesCommand } from "./commands/schedules.ts";
import { sendCommand } from "./commands/send.ts";
import { showCommand } from "./commands/show.ts";
import { superviseCommand } from "./commands/supervise.ts";
import { waitCommand } from "./commands/wait.ts";

/** Builds the command tree. */
export function buildProgram(): Command {
  const program = new Command("bgt")
    .description(
      "Background tasks for TypeScript: run, schedule and keep every task, its output and its result.",
    )
    .version(VERSION, "-V, --version")
    .enablePositionalOptions()
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({
      outputError: (text, write) => write(`bgt: ${text.replace(/^error: /, "").trim()}\n`),
    });
  for (
    const command of [
      runCommand(),
      everyCommand(),
      schedulesCommand(),
      groupCommand(),
      lsCommand(),
      showCommand(),
      logsCommand(),
      sendCommand(),
      resultCommand(),
      waitCommand(),
      killCommand(),
      pauseCommand(),
      resumeCommand(),
      restartCommand(),
      metaCommand(),
      rmCommand(),
      cleanCommand(),
      daemonCommand(),
      superviseCommand(),
      completionsCommand(),
    ]
  ) {
    program.addCommand(command as unknown as Command);
  }
  _exitOverrideAll(program);
  return program;
}

/** Runs the CLI with these words; resolves with the exit code. */
export async function main(words: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...words], { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are "errors" with exit code 0; commander already printed the message.
      return error.exitCode;
    }
    return reportError(error);
  }
}

function _exitOverrideAll(command: Command): void {
  for (const sub of command.commands) {
    sub.exitOverride();
    sub.configureOutput({
      outputError: (text, write) => write(`bgt: ${text.replace(/^error: /, "").trim()}\n`),
    });
    _exitOverrideAll(sub as Command);
  }
}
