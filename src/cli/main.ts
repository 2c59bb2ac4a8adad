/**
 * The `bgt` command tree: one file per command under `commands/`, each loaded only when it is
 * the one being run (start-up time is most of a `bgt run`); the plainest calls run without
 * commander (see `_plainForm`). Errors become one line on stderr and
 * a non-zero exit (see `cli_error.ts`).
 *
 * @example
 * ```ts
 * process.exitCode = await main(process.argv.slice(2));
 * ```
 */
import type { Command } from "@commander-js/extra-typings";
import { VERSION } from "../task/version.ts";
import { ALIASES, expandAlias, HABIT_ALIASES } from "./aliases.ts";
import { reportError } from "./cli_error.ts";
import { COLOR_MODES, setColorMode } from "./color.ts";
import { parseChoice } from "./parse_options.ts";
import { stderr, stdout } from "../runtime/std_output.ts";

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
  events: load(async () => (await import("./commands/events.ts")).eventsCommand()),
  hooks: load(async () => (await import("./commands/hooks.ts")).hooksCommand()),
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
  parallel: load(async () => (await import("./commands/parallel.ts")).parallelCommand()),
  config: load(async () => (await import("./commands/config.ts")).configCommand()),
  daemon: load(async () => (await import("./commands/daemon.ts")).daemonCommand()),
  supervise: load(async () => (await import("./commands/supervise.ts")).superviseCommand()),
  hosts: load(async () => (await import("./commands/hosts.ts")).hostsCommand()),
  ui: load(async () => (await import("./commands/ui.ts")).uiCommand()),
  completions: load(async () => (await import("./commands/completions.ts")).completionsCommand()),
  __complete: load(async () => (await import("./commands/completions.ts")).completeCommand()),
};

/** Where commander writes help and errors: bgt's own streams (see `std_output.ts`). */
const OUTPUT = {
  writeOut: (text: string) => stdout.write(text),
  writeErr: (text: string) => stderr.write(text),
  outputError: (text: string, write: (text: string) => void) =>
    write(`bgt: ${text.replace(/^error: /, "").trim()}\n`),
};

/** Commands whose words after the command name belong to the task (never taken as `--color`). */
const TASK_WORDS = new Set(["run", "every", "send"]);

/**
 * Builds the command tree with these commands (default: all of them, as help, suggestions after
 * a typo and completions need; a normal call needs only its own).
 */
export async function buildProgram(names = Object.keys(COMMANDS)): Promise<Command> {
  const { Command } = await import("@commander-js/extra-typings");
  const program = new Command("bgt")
    .description(
      "Background tasks for TypeScript: run, schedule and keep every task, its output and its result.",
    )
    .version(VERSION, "-V, --version")
    .option("--color <when>", "colour the output: always, never or auto (NO_COLOR, FORCE_COLOR)")
    .enablePositionalOptions()
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput(OUTPUT);
  for (const command of await Promise.all(names.map((name) => COMMANDS[name]()))) {
    // `__complete` serves the completion scripts: not shown in help.
    program.addCommand(command as unknown as Command, { hidden: command.name().startsWith("__") });
  }
  const aliasHelp = HABIT_ALIASES.map((alias) => `${alias} → ${ALIASES[alias].join(" ")}`);
  program.addHelpText("after", `\nAliases: ${aliasHelp.join(", ")}`);
  _exitOverrideAll(program);
  return program;
}

/** The commands a call needs: its own when it names a known one, none for the version, else all. */
function _commandsFor(words: readonly string[]): string[] | undefined {
  const first = words[0];
  if (first === "-V" || first === "--version") return [];
  const name = ALIASES[first ?? ""]?.[0] ?? first;
  return name !== undefined && name in COMMANDS && name !== "completions" ? [name] : undefined;
}

/** Runs the CLI with these words; resolves with the exit code. */
export async function main(given: readonly string[]): Promise<number> {
  let words: string[];
  try {
    words = expandAlias(_takeColorOption(given));
  } catch (error) {
    return reportError(error);
  }
  if (words.length === 0) return await _bare();
  const plain = await _plainForm(words);
  if (plain !== undefined) return plain;
  const program = await buildProgram(_commandsFor(words));
  const { CommanderError } = await import("@commander-js/extra-typings");
  try {
    await program.parseAsync(words, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are "errors" with exit code 0; commander already printed the message.
      return error.exitCode;
    }
    return reportError(error);
  }
}

/**
 * The calls scripts make most, run without commander (loading it and building the command is
 * ~4 ms, a fifth of such a call): `--version`, `run -- <command> [args…]`, `ls`, `show <id>` and `logs <id>`, each exactly
 * so (no option), with the option values commander would give (pinned by
 * tests/cli/plain_forms_test.ts). Undefined for any other words.
 */
async function _plainForm(words: readonly string[]): Promise<number | undefined> {
  let action: (() => Promise<void>) | undefined;
  if (words.length === 1 && (words[0] === "-V" || words[0] === "--version")) {
    action = () => Promise.resolve(stdout.write(`${VERSION}\n`)); // as commander writes it
  } else if (words[0] === "run") {
    const { plainRunCall, runTask } = await import("./run_task.ts");
    const call = plainRunCall(words);
    if (call) action = () => runTask(call.target, call.args, call.options, call.context);
  } else if (words.length === 1 && words[0] === "ls") {
    const { listTasks, lsDefaults } = await import("./list_tasks.ts");
    action = () => listTasks(lsDefaults());
  } else if (words.length === 2 && words[0] === "show" && /^[0-9]+$/.test(words[1])) {
    const { showTask } = await import("./show_task.ts");
    action = () => showTask(words[1], {});
  } else if (words.length === 2 && words[0] === "logs" && /^[0-9]+$/.test(words[1])) {
    const { logsDefaults, printLogs } = await import("./print_logs.ts");
    action = () => printLogs(words[1], logsDefaults());
  }
  if (action === undefined) return undefined;
  try {
    await action();
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (error) {
    return reportError(error);
  }
}

/** `bgt` alone: the task list, or help (on stdout, exit 0) when there is no task yet. */
async function _bare(): Promise<number> {
  const { bgtHome } = await import("../store/home.ts");
  const { storeExists } = await import("../store/open_store.ts");
  let hasTasks = false;
  let exists: boolean;
  try {
    exists = storeExists(process.env, bgtHome(process.env));
  } catch (error) {
    return reportError(error);
  }
  if (exists) {
    try {
      const { withClient } = await import("./with_client.ts");
      hasTasks = await withClient(async (client) => (await client.count({}, 1)) > 0);
    } catch (error) {
      return reportError(error);
    }
  }
  if (hasTasks) return await main(["ls"]);
  (await buildProgram()).outputHelp();
  return 0;
}

/**
 * Takes `--color WHEN` / `--color=WHEN` out of the words and records it (see `color.ts`): before
 * the command's name, or anywhere before `--` for commands whose words are not a task's.
 */
function _takeColorOption(words: readonly string[]): string[] {
  const kept: string[] = [];
  let command: string | undefined;
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    const free = command === undefined || !TASK_WORDS.has(command);
    if (word === "--" || !free) {
      kept.push(...words.slice(i));
      break;
    }
    const match = /^--colou?r(?:=(.*))?$/.exec(word);
    if (!match) {
      if (command === undefined && !word.startsWith("-")) {
        command = ALIASES[word]?.[0] ?? word;
      }
      kept.push(word);
      continue;
    }
    const value = match[1] ?? words[++i];
    setColorMode(parseChoice("--color", value ?? "", COLOR_MODES));
  }
  return kept;
}

function _exitOverrideAll(command: Command): void {
  for (const sub of command.commands) {
    sub.exitOverride();
    sub.configureOutput(OUTPUT);
    _exitOverrideAll(sub as Command);
  }
}
