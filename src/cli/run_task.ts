/**
 * What `bgt run` does once its words are parsed: builds the task, submits it, prints its id (or,
 * with --wait, follows it). Kept apart from the command's definition (`commands/run.ts`) so that
 * the plain form `bgt run -- <command> [args…]`, the one scripts call in loops, runs without
 * loading commander ({@linkcode plainRunCall}): loading it and building `run`'s 34 options cost
 * ~4 ms of a ~16 ms `bgt run -- true`.
 *
 * @example
 * ```ts
 * const call = plainRunCall(["run", "--", "make", "all"]);
 * if (call) await runTask(call.target, call.args, call.options, call.context);
 * ```
 */
import { fstatSync } from "node:fs";
import { type Client, connect } from "../client/client.ts";
import { exitCodeOf } from "../task/exit_code.ts";
import { isTerminal, type SubmitResult } from "../task/types.ts";
import { UsageError } from "./cli_error.ts";
import { localTime, printable, toJson } from "./format.ts";
import { noteInterrupt } from "./interrupt_note.ts";
import { parseChoice } from "./parse_options.ts";
import { buildTask, type TaskOptionValues } from "./task_options.ts";
import { parseDurationOption, parseTimeOption } from "./time_options.ts";
import { stderr, stdout } from "../runtime/std_output.ts";

/** The option values of `bgt run`, as commander hands them over. */
export type RunOptions = TaskOptionValues & {
  in?: string;
  at?: string;
  atPast: string;
  tz?: string;
  wait?: boolean;
  stdin?: boolean;
  json?: boolean;
};

/** How the words were written: the target after `--`, and every word of the call. */
export interface RunContext {
  afterDashDash: boolean;
  rawArgs?: readonly string[];
}

/**
 * The values commander gives `bgt run` when no option is written (pinned against commander's by
 * tests/cli/plain_forms_test.ts).
 */
export function runDefaults(): RunOptions {
  return {
    group: "default",
    priority: "0",
    env: [],
    meta: [],
    retries: "0",
    backoff: "1s",
    onKey: "skip",
    restartDelay: "100ms",
    need: [],
    after: [],
    atPast: "refuse",
  } as RunOptions;
}

/**
 * The call of {@linkcode runTask} that `words` ask for when they are `run -- <command> [args…]`
 * (nothing else: no option, no alias); undefined for any other words (commander parses those).
 */
export function plainRunCall(words: readonly string[]):
  | { target: string; args: string[]; options: RunOptions; context: RunContext }
  | undefined {
  if (words.length < 3 || words[0] !== "run" || words[1] !== "--") return undefined;
  return {
    target: words[2],
    args: words.slice(3),
    options: runDefaults(),
    context: { afterDashDash: true, rawArgs: words },
  };
}

/** Submits the task `target args options` describe; see `bgt run --help`. */
export async function runTask(
  target: string | undefined,
  args: string[],
  options: RunOptions,
  context: RunContext,
): Promise<void> {
  const task = await buildTask(target, args, options, {
    afterDashDash: context.afterDashDash,
    verb: "run",
    rawArgs: context.rawArgs,
  });
  task.runAt = await runTime(options, Date.now());
  if (options.stdin) {
    if (task.spec.kind === "module") {
      throw new UsageError("Cannot use --stdin: it is for command and --shell tasks");
    }
    task.stdin = true;
  }
  const client = await connect();
  try {
    // Nothing is submitted for a wait that no supervisor would end.
    if (options.wait) await client.requireSupervisor();
    const [result] = await client.submitAll([task]);
    _reportKey(result);
    const id = result.id;
    const forwarded = options.stdin && result.key?.action !== "skipped" && _stdinIsData()
      ? _forwardStdin(client, id)
      : undefined;
    if (!options.wait) {
      stdout.write(options.json ? `${toJson(result)}\n` : `${id}\n`);
      const error = await forwarded;
      if (error) throw error;
      return;
    }
    if (options.json) stderr.write(`${toJson({ id })}\n`);
    const { followStreams } = await import("../client/follow_streams.ts");
    const forgetInterrupt = noteInterrupt([id]);
    let lastOut = 0x0a;
    const done = await followStreams(client, id, ["stdout", "stderr"], (stream, bytes) => {
      if (stream === "stdout" && bytes.length) lastOut = bytes[bytes.length - 1];
      (stream === "stderr" ? stderr : stdout).write(bytes);
    });
    forgetInterrupt();
    if (done.kind === "module" && done.status === "succeeded" && done.result !== undefined) {
      // The module's return value, after its output, on a line of its own.
      stdout.write(`${lastOut === 0x0a ? "" : "\n"}${toJson(done.result)}\n`);
    }
    const error = await forwarded;
    if (error) stderr.write(`bgt: ${error.message}\n`);
    process.exitCode = exitCodeOf(done);
    if (done.error) {
      stderr.write(
        `bgt: task ${id} ${done.status}: ${printable(done.error.message)}\n`,
      );
    }
  } finally {
    await client.close();
  }
}

/** The run time `--in` / `--at` ask for (epoch ms), or undefined for now. */
export async function runTime(
  options: { in?: string; at?: string; atPast: string; tz?: string },
  now: number,
): Promise<number | undefined> {
  if (options.in !== undefined && options.at !== undefined) {
    throw new UsageError("Cannot use --in and --at together: choose one");
  }
  if (options.tz !== undefined && options.at === undefined) {
    throw new UsageError("Cannot use --tz without --at");
  }
  const atPast = parseChoice("--at-past", options.atPast, ["refuse", "run"] as const);
  if (options.in !== undefined) return now + parseDurationOption("--in", options.in);
  if (options.at === undefined) return undefined;
  const at = await parseTimeOption("--at", options.at, { now, timeZone: options.tz });
  if (at < now && atPast === "refuse") {
    throw new UsageError(
      `Cannot use --at '${options.at}': it is in the past (${
        localTime(at, { now })
      }); add --at-past run to run it now`,
    );
  }
  return at;
}

/**
 * True when this process's standard input is a pipe, a socket or a file — data to forward with
 * `--stdin` — and not a terminal or /dev/null.
 */
function _stdinIsData(): boolean {
  try {
    const stat = fstatSync(0);
    return stat.isFIFO() || stat.isFile() || stat.isSocket();
  } catch {
    return false;
  }
}

/**
 * Copies this process's stdin into the task's once it runs, then ends the task's input (EOF).
 * Stops when the task ends; a task that ends before reading all of it is no error (as in a shell
 * pipeline). Resolves with the error to report, if any (it never rejects).
 */
async function _forwardStdin(client: Client, id: number): Promise<Error | undefined> {
  const stop = new AbortController();
  const sent = client.send(id, process.stdin as AsyncIterable<Uint8Array>, {
    eof: true,
    untilStarted: true,
    signal: stop.signal,
  }).then(() => undefined, (error: Error) => error);
  const ended = client.wait([id], { signal: stop.signal }).then(() => "ended", () => "ended");
  const first = await Promise.race([sent, ended]);
  stop.abort();
  if (first === "ended") {
    // The task ended while this stdin had more to give (or gave nothing yet): stop reading it.
    process.stdin.destroy();
    await sent;
    return undefined;
  }
  return first instanceof Error && !isTerminal((await client.get(id)).status) ? first : undefined;
}

/** Tells the user on stderr what a --key did (stdout keeps just the id). */
function _reportKey(result: SubmitResult): void {
  const key = result.key;
  if (!key) return;
  const holder = `task ${key.holder} (${key.holderRunning ? "running" : "waiting"})`;
  const text = key.action === "skipped"
    ? `not submitted: ${holder} holds the key; its id follows`
    : key.action === "replaced"
    ? `replaces ${holder}${key.holderRunning ? ", which is being killed" : ", now canceled"}`
    : `queued after ${holder}, which holds the key`;
  stderr.write(`bgt: ${text}\n`);
}
