/**
 * The `bgt` command tree: one file per command under `commands/`, each loaded only when it is
 * the one being run (start-up time is most of a `bgt run`). Errors become one line on stderr and
 * a non-zero exit (see `cli_error.ts`).
 *
 * @example
 * ```ts
 * process.exitCode = await main(process.argv.slice(2));
 * ```
 */
import { Command, CommanderError } from "@commander-js/extra-typings";
import { VERSION } from "../task/version.ts";
import { reportError } from "./cli_error.ts";

type Loader = () => Promise<Command>;
// deno-lint-ignore no-explicit-any
const load = (loader: () => Promise<any>): Loader => async () => (await loader()) as Command;

/** Every command, in help order, loaded on demand. */
const COMMANDS: Record<string, Loader> = {
  run: load(async () => (await import("./commands/run.ts")).runCommand()),
  every: load(async () => (await import("./commands/every.ts")).everyCommand()),
  schedules: load(async () => (await import("./commands/schedules.ts")).schedulesCommand()),
  group: load(async () => (await import("./commands/group.ts")).groupCommand()),
  ls: load(async () => (await import("./commands/ls.ts")).lsCommand()),
  show: load(async () => (await import("./commands/show.ts")).showCommand()),
  logs: load(async () => (await import("./commands/logs.ts")).logsCommand()),
  send: load(async () => (await import("./commands/send.ts")).sendCommand()),
  result: load(async () => (await import("./commands/result.ts")).resultCommand()),
  wait: load(async () => (await import("./commands/wait.ts")).waitCommand()),
  kill: load(async () => (await import("./commands/kill.ts")).killCommand()),
  pause: load(async () => (await import("./commands/pause.ts")).pauseCommand()),
  resume: load(async () => (await import("./commands/pause.ts")).resumeCommand()),
  restart: load(async () => (await import("./commands/restart.ts")).restartCommand()),
  meta: load(async () => (await import("./commands/meta.ts")).metaCommand()),
  rm: load(async () => (await import("./commands/rm.ts")).rmCommand()),
  clean: load(async () => (await import("./commands/clean.ts")).cleanCommand()),
  daemon: load(async () => (await import("./commands/daemon.ts")).daemonCommand()),
  supervise: load(async () => (await import("./commands/supervise.ts")).superviseCommand()),
  completions: load(async () => (await import("./commands/completions.ts")).completionsCommand()),
};

/** Other names of commands (commander knows them too, once the command is loaded). */
const ALIASES: Record<string, string> = { list: "ls", schedule: "schedules", groups: "group" };

/**
 * Builds the command tree with these commands (default: all of them, as help, suggestions after
 * a typo and completions need; a normal call needs only its own).
 */
export async function buildProgram(names = Object.keys(COMMANDS)): Promise<Command> {
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
  for (const command of await Promise.all(names.map((name) => COMMANDS[name]()))) {
    program.addCommand(command as unknown as Command);
  }
  _exitOverrideAll(program);
  return program;
}

/** The commands a call needs: its own when it names a known one, none for the version, else all. */
function _commandsFor(words: readonly string[]): string[] | undefined {
  const first = words[0];
  if (first === "-V" || first === "--version") return [];
  const name = ALIASES[first ?? ""] ?? first;
  return name !== undefined && name in COMMANDS && name !== "completions" ? [name] : undefined;
}

/** Runs the CLI with these words; resolves with the exit code. */
export async function main(words: readonly string[]): Promise<number> {
  const program = await buildProgram(_commandsFor(words));
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
