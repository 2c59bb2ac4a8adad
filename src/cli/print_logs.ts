/**
 * What `bgt logs` does once its words are parsed: prints (or follows) a task's output. Kept
 * apart from the command's definition (`commands/logs.ts`) so that `bgt logs <id>` without
 * options runs without loading commander (see `main.ts`).
 *
 * @example
 * ```ts
 * await printLogs("41", logsDefaults()); // as `bgt logs 41`
 * ```
 */
import { RUNNING } from "../task/statuses.ts";
import type { Client } from "../client/client.ts";
import { connect } from "../client/client.ts";
import { type AttemptSegment, attemptSegments } from "../client/attempt_segments.ts";
import { followStreams } from "../client/follow_streams.ts";
import { followTasks } from "../client/follow_tasks.ts";
import {
  readStream,
  readTail,
  STREAM_NAMES,
  streamInfo,
  type StreamName,
  type TaskFiles,
} from "../store/task_files.ts";
import { exitCodeOf } from "../task/exit_code.ts";
import { describeTask, type Task } from "../task/types.ts";
import { UsageError } from "./cli_error.ts";
import { colorStatus, toJson, truncate, useColor } from "./format.ts";
import { noteInterrupt } from "./interrupt_note.ts";
import { DIM, type Fd, LogOutput, RED, type Route } from "./log_output.ts";
import { parseChoice, parseInteger } from "./parse_options.ts";
import { parseTaskId } from "./task_ids.ts";
import { superviseForRead } from "./with_client.ts";
import * as std from "../runtime/std_output.ts";

/** The prefix of each line when several streams are printed. */
const PREFIX: Record<StreamName, string> = { stdout: "[out] ", stderr: "[err] ", data: "[data] " };

/** Most bytes printed at once. */
const CHUNK = 4 << 20;

const encoder = new TextEncoder();

/**
 * How the streams are printed: `replay` (the default) stdout on stdout and stderr on stderr;
 * `one` a single stream on stdout; `prefixed` several on stdout, each line prefixed.
 */
type Layout = "replay" | "one" | "prefixed";

interface Selection {
  streams: StreamName[];
  layout: Layout;
}

/** The option values of `bgt logs`, as commander hands them over. */
export interface LogsOptions {
  stdout?: true;
  stderr?: true;
  data?: true;
  stream: string[];
  all?: true;
  attempt?: string;
  follow?: true;
  tail?: string;
  range?: string;
  json?: true;
}

/**
 * The values commander gives `bgt logs` when no option is written (pinned against commander's
 * by tests/cli/plain_forms_test.ts).
 */
export function logsDefaults(): LogsOptions {
  return { stream: [] };
}

/** Prints the output of the task `idWord` names (every running one for none with --follow). */
export async function printLogs(idWord: string | undefined, options: LogsOptions): Promise<void> {
  const selection = _selection(options);
  const tail = options.tail === undefined
    ? undefined
    : parseInteger("--tail", options.tail, { min: 0 });
  const attempt = options.attempt === undefined
    ? undefined
    : parseInteger("--attempt", options.attempt, { min: 1 });
  if (options.range !== undefined) {
    if (selection.layout === "prefixed") {
      throw new UsageError("Cannot use --range with several streams");
    }
    if (options.follow || tail !== undefined || attempt !== undefined) {
      throw new UsageError("Cannot use --range with --follow, --tail or --attempt");
    }
  }
  if (idWord === undefined) {
    if (!options.follow) {
      throw new UsageError(
        "Cannot show logs: give a task id, or -f alone to follow every running task",
      );
    }
    if (options.range !== undefined || attempt !== undefined || options.json) {
      throw new UsageError("Cannot use --range, --attempt or --json without a task id");
    }
  }
  const client = await connect();
  try {
    await superviseForRead(client);
    if (idWord === undefined) {
      await _followAll(client, selection, tail);
      return;
    }
    const id = await parseTaskId(idWord, { client });
    if (options.json) {
      std.stdout.write(`${toJson(await _windows(client, id, attempt), 2)}\n`);
      return;
    }
    if (options.range !== undefined) {
      const stream = selection.streams[0];
      await _printRange(await client.files(id), id, stream, options.range);
      return;
    }
    await _printTask(client, id, selection, { tail, attempt, follow: options.follow });
  } finally {
    await client.close();
  }
}

/** The streams and layout the options name. */
function _selection(
  options: { stdout?: boolean; stderr?: boolean; data?: boolean; stream: string[]; all?: boolean },
): Selection {
  const named = options.stream.flatMap((word) => word.split(","))
    .map((word) => parseChoice("--stream", word.trim(), STREAM_NAMES));
  const wanted = new Set<string>([
    ...(options.all ? STREAM_NAMES : []),
    ...named,
    ...(options.stdout ? ["stdout"] : []),
    ...(options.stderr ? ["stderr"] : []),
    ...(options.data ? ["data"] : []),
  ]);
  if (!wanted.size) return { streams: ["stdout", "stderr"], layout: "replay" };
  const streams = STREAM_NAMES.filter((name) => wanted.has(name));
  return { streams, layout: streams.length === 1 ? "one" : "prefixed" };
}

/** Where each stream goes, with `prefix` (a task's label) before each line if given. */
function _routes(layout: Layout, prefix = ""): Record<StreamName, Route> {
  const bytes = (text: string) => (text ? encoder.encode(text) : undefined);
  if (layout === "prefixed") {
    return Object.fromEntries(
      STREAM_NAMES.map((stream) => [stream, {
        fd: "stdout",
        prefix: bytes(prefix + PREFIX[stream]),
      }]),
    ) as Record<StreamName, Route>;
  }
  const plain: Route = { fd: "stdout", prefix: bytes(prefix) };
  if (layout === "one") return { stdout: plain, stderr: plain, data: plain };
  // Replay: stderr on stderr, marked on a terminal (red, or a prefix where colour is off).
  const terminal = std.stderr.isTTY;
  const color = useColor(std.stderr);
  const stderr: Route = {
    fd: "stderr",
    prefix: bytes(prefix + (terminal && !color ? PREFIX.stderr : "")),
    style: color ? RED : undefined,
  };
  return { stdout: plain, stderr, data: plain };
}

/** True when decorations (separators, notes) may be written to this fd: a terminal. */
function _decorates(fd: Fd): boolean {
  return Boolean(_stream(fd).isTTY);
}

/** Dim where colour may be used on this fd. */
function _dim(fd: Fd): readonly [string, string] | undefined {
  return useColor(_stream(fd)) ? DIM : undefined;
}

function _stream(fd: Fd): std.StdOutput {
  return fd === "stdout" ? std.stdout : std.stderr;
}

/** Each stream's kept window, or with --attempt the part of it that attempt wrote. */
async function _windows(client: Client, id: number, attempt: number | undefined) {
  const windows = await client.streams(id);
  if (attempt === undefined) return windows;
  const segments = await _segmentsOf(client, id, attempt);
  return Object.fromEntries(STREAM_NAMES.map((stream) => {
    const { start, limit } = windows[stream];
    const segment = segments[stream][0];
    return [stream, {
      start: Math.min(Math.max(segment.from, start), limit),
      limit: Math.min(segment.to, limit),
    }];
  }));
}

/**
 * Each stream's attempt segments: all of them, or only `attempt`'s (a usage error when the task
 * has not had that attempt).
 */
async function _segmentsOf(
  client: Client,
  id: number,
  attempt?: number,
): Promise<Record<StreamName, AttemptSegment[]>> {
  const task = await client.get(id);
  const attempts = await client.attempts(id);
  const count = Math.max(1, task.attempt, ...attempts.map((row) => row.attempt));
  if (attempt !== undefined && attempt > count) {
    throw new UsageError(
      `Cannot show attempt ${attempt} of task ${id}: it has had ${
        task.attempt === 0 ? "none yet" : count === 1 ? "1 attempt" : `${count} attempts`
      } (see 'bgt show ${id} --attempts')`,
    );
  }
  return Object.fromEntries(STREAM_NAMES.map((stream) => {
    const all = attemptSegments(attempts, task.attempt, stream);
    return [stream, attempt === undefined ? all : all.filter((s) => s.attempt === attempt)];
  })) as Record<StreamName, AttemptSegment[]>;
}

/** Prints one task's streams (whole, a tail, or one attempt), then follows them with -f. */
async function _printTask(
  client: Client,
  id: number,
  selection: Selection,
  options: { tail?: number; attempt?: number; follow?: boolean },
): Promise<void> {
  const output = new LogOutput();
  const routes = _routes(selection.layout);
  const files = await client.files(id);
  const segments = await _segmentsOf(client, id, options.attempt);
  const count = segments.stdout.length;
  const task = await client.get(id);
  const lastAttempt = options.attempt ?? Math.max(1, task.attempt);
  // What is printed now ends here; -f goes on from there.
  const ends = Object.fromEntries(
    selection.streams.map((stream) => [stream, streamInfo(files, stream).limit]),
  ) as Record<StreamName, number>;
  if (options.tail !== undefined) {
    for (const stream of selection.streams) {
      const segment = segments[stream];
      const bytes = readTail(files, stream, {
        lines: options.tail,
        start: segment[0].from,
        end: Math.min(segment[segment.length - 1].to, ends[stream]),
      });
      output.print(routes[stream], stream, bytes);
    }
  } else {
    // A separator before each attempt (on a terminal, when there is more than one).
    const separate = _decorates("stdout") && (count > 1 || options.attempt !== undefined) &&
      Math.max(1, task.attempt) > 1;
    for (let i = 0; i < count; i++) {
      if (separate) output.line("stdout", _separator(segments.stdout[i].attempt), _dim("stdout"));
      for (const stream of selection.streams) {
        const segment = segments[stream][i];
        const to = Math.min(segment.to, ends[stream]);
        await _copy(output, files, stream, { from: segment.from, to }, routes[stream]);
      }
    }
  }
  const following = options.follow && lastAttempt === Math.max(1, task.attempt);
  if (following) {
    noteInterrupt([id]); // Ctrl-C ends the following, not the task: say so
    let separated = lastAttempt;
    const done = await followStreams(
      client,
      id,
      selection.streams,
      async (stream, bytes, offset) => {
        // On a terminal, a new attempt (a retry) that begins while following gets its separator.
        if (_decorates("stdout")) {
          const next = (await _segmentsOf(client, id))[stream].filter((s) => s.attempt > separated);
          for (const segment of next) {
            if (offset + bytes.length <= segment.from) break;
            const cut = Math.max(0, segment.from - offset);
            output.print(routes[stream], stream, bytes.subarray(0, cut));
            output.line("stdout", _separator(segment.attempt), _dim("stdout"));
            separated = segment.attempt;
            bytes = bytes.subarray(cut);
            offset += cut;
          }
        }
        output.print(routes[stream], stream, bytes);
      },
      {
        from: ends,
        lines: selection.layout === "prefixed" || routes.stderr.prefix !== undefined,
        onGap: (stream, start, end) =>
          output.line(
            "stderr",
            `bgt: bytes ${start}:${end} of ${stream} were dropped by --retain before they could be read`,
          ),
      },
    );
    _endLines(output, routes, selection);
    output.line("stderr", _statusLine(done, useColor(std.stderr)));
    process.exitCode = exitCodeOf(done);
  } else _endLines(output, routes, selection);
  await output.flush();
}

/** Ends an unfinished last line of a prefixed stream. */
function _endLines(output: LogOutput, routes: Record<StreamName, Route>, selection: Selection) {
  for (const stream of selection.streams) {
    output.endLines(routes[stream].fd, routes[stream].prefix !== undefined);
  }
}

/** `── attempt 2 ──` */
function _separator(attempt: number): string {
  return `── attempt ${attempt} ──`;
}

/**
 * How a task ended, in one line: `task 7 succeeded`, `task 7 failed (exit 7)`,
 * `task 7 canceled (SIGTERM)`, `task 7 failed: TypeError: …`.
 */
function _statusLine(task: Task, color: boolean): string {
  const code = task.signal
    ? ` (${task.signal})`
    : task.exitCode !== null && task.exitCode !== 0
    ? ` (exit ${task.exitCode})`
    : "";
  const error = task.error && task.status !== "succeeded"
    ? `: ${task.error.name}: ${task.error.message}`
    : "";
  return `task ${task.id} ${colorStatus(task.status, color)}${code}${error}`;
}

/** Follows every running task (and those that start) until interrupted, lines labelled. */
async function _followAll(client: Client, selection: Selection, tail?: number): Promise<void> {
  const output = new LogOutput();
  const routes = new Map<number, Record<StreamName, Route>>();
  const color = useColor(std.stderr);
  const routesOf = (task: Task) => {
    let found = routes.get(task.id);
    if (!found) {
      found = _routes(selection.layout, `${task.id}|${truncate(describeTask(task), 24)} | `);
      routes.set(task.id, found);
    }
    return found;
  };
  const stop = new AbortController();
  process.once("SIGINT", () => stop.abort());
  process.once("SIGTERM", () => stop.abort());
  if (!(await client.list({ status: [...RUNNING], limit: 1 })).length) {
    std.stderr.write("bgt: no task runs now; waiting for one to start (Ctrl-C ends)\n");
  }
  await followTasks(
    client,
    (task, stream, bytes) => output.print(routesOf(task)[stream], `${task.id}:${stream}`, bytes),
    {
      streams: selection.streams,
      signal: stop.signal,
      onStart: (task, from) => {
        if (!tail) return;
        const files = client.filesSeen(task.id);
        for (const stream of selection.streams) {
          const bytes = readTail(files, stream, { lines: tail, end: from[stream] });
          output.print(routesOf(task)[stream], `${task.id}:${stream}`, bytes);
        }
      },
      onEnd: (task) => {
        for (const stream of selection.streams) {
          const route = routesOf(task)[stream];
          output.endLines(route.fd, route.prefix !== undefined);
        }
        output.line("stderr", _statusLine(task, color));
      },
      onGap: (task, stream, start, end) =>
        output.line(
          "stderr",
          `bgt: bytes ${start}:${end} of task ${task.id}'s ${stream} were dropped by --retain before they could be read`,
        ),
    },
  );
  await output.flush();
}

/** Prints bytes [from, to) of a stream if they are still kept; else one line naming the window. */
async function _printRange(
  files: TaskFiles,
  id: number,
  stream: StreamName,
  text: string,
): Promise<void> {
  const match = /^(\d*):(\d*)$/.exec(text.trim());
  if (!match) {
    throw new UsageError(
      `Cannot parse --range '${text}': expected from:to in bytes ('12:35', '12:', ':35')`,
    );
  }
  const { start, limit } = streamInfo(files, stream);
  const from = match[1] === "" ? start : Number(match[1]);
  const to = match[2] === "" ? limit : Number(match[2]);
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to)) {
    throw new UsageError(`Cannot parse --range '${text}': the offsets are too large`);
  }
  if (from < start || to < start) {
    throw new UsageError(
      `Cannot read bytes ${text} of task ${id}'s ${stream}: only ${start}:${limit} is kept ` +
        `(bytes before ${start} were dropped by --retain)`,
    );
  }
  if (from > to) throw new UsageError(`Cannot use --range '${text}': from is after to`);
  // Past the limit nothing was written yet: the range ends there.
  const end = Math.min(to, limit);
  const read = readStream(files, stream, { from, to: end });
  if (read.from > from) {
    throw new UsageError(
      `Cannot read bytes ${text} of task ${id}'s ${stream}: they were dropped by --retain ` +
        `while reading (kept now: from ${read.from})`,
    );
  }
  const output = new LogOutput();
  output.print({ fd: "stdout" }, stream, read.bytes);
  await output.flush();
}

/**
 * Prints bytes [from, to) of a stream in chunks (the kept part of it); on a terminal, a note
 * first says how many of them `--retain` dropped.
 */
async function _copy(
  output: LogOutput,
  files: TaskFiles,
  stream: StreamName,
  range: { from: number; to: number },
  route: Route,
): Promise<void> {
  const { start } = streamInfo(files, stream);
  const dropped = Math.min(range.to, start) - range.from;
  if (dropped > 0 && _decorates(route.fd)) {
    output.line(route.fd, `… ${_size(dropped)} of ${stream} dropped by --retain …`, _dim(route.fd));
  }
  let offset = Math.max(range.from, start);
  while (offset < range.to) {
    const read = readStream(files, stream, {
      from: offset,
      to: Math.min(range.to, offset + CHUNK),
    });
    if (read.from >= range.to || !read.bytes.length) break;
    output.print(route, stream, read.bytes);
    offset = read.from + read.bytes.length;
    await output.flush();
  }
}

/** A byte count for people: `512 B`, `12.3 KiB`, `4.0 MiB`. */
function _size(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}
