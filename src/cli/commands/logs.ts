/**
 * `bgt logs`: a task's stdout (or --stderr, --data, several with --stream or --all), whole, its
 * last lines, a byte range, or followed until the task ends. One stream passes through byte for
 * byte; several get a prefix (`[out] `, `[err] `, `[data] `) at each line start. `--json` prints
 * each stream's kept window `{start, limit}`.
 *
 * @example
 * ```sh
 * bgt logs 42 --tail 20
 * bgt logs 42 --range 12:35
 * bgt logs 42 -f --all
 * ```
 */
import { Command } from "@commander-js/extra-typings";
import { connect } from "../../client/client.ts";
import { followStreams } from "../../client/follow_streams.ts";
import { noteInterrupt } from "../interrupt_note.ts";
import {
  readStream,
  readTail,
  STREAM_NAMES,
  streamInfo,
  type StreamName,
  type TaskFiles,
} from "../../store/task_files.ts";
import { UsageError } from "../cli_error.ts";
import { toJson } from "../format.ts";
import { collect, parseChoice, parseIds, parseInteger } from "../parse_options.ts";

/** The prefix of each line when several streams are printed. */
const PREFIX: Record<StreamName, Uint8Array> = {
  stdout: new TextEncoder().encode("[out] "),
  stderr: new TextEncoder().encode("[err] "),
  data: new TextEncoder().encode("[data] "),
};

/** Most bytes printed at once. */
const CHUNK = 4 << 20;

/** The `logs` command. */
export function logsCommand() {
  return new Command("logs")
    .description("print a task's output")
    .argument("<id>", "task id")
    .option("--stderr", "the error stream instead of stdout")
    .option("--data", "the data records (JSON lines) instead of stdout")
    .option(
      "-s, --stream <names>",
      "these streams (stdout, stderr, data; repeatable or comma-separated), each line prefixed",
      collect,
      [] as string[],
    )
    .option("-a, --all", "stdout, stderr and data, each line prefixed")
    .option("-f, --follow", "keep printing as the task writes, until it ends")
    .option("-t, --tail <n>", "only the last n lines")
    .option("-r, --range <from:to>", "bytes [from, to) of the stream ('12:35', '12:', ':35')")
    .option("--json", "print each stream's kept bytes as {start, limit}")
    .action(async (idWord, options) => {
      const [id] = parseIds([idWord]);
      const streams = _streams(options);
      const tail = options.tail === undefined
        ? undefined
        : parseInteger("--tail", options.tail, { min: 0 });
      if (options.range !== undefined) {
        if (streams.length > 1) throw new UsageError("Cannot use --range with several streams");
        if (options.follow || tail !== undefined) {
          throw new UsageError("Cannot use --range with --follow or --tail");
        }
      }
      const client = await connect();
      try {
        if (options.json) {
          process.stdout.write(`${toJson(client.streams(id), 2)}\n`);
          return;
        }
        const files = client.files(id);
        if (options.range !== undefined) {
          await _printRange(files, id, streams[0], options.range);
          return;
        }
        const prefixer = streams.length > 1 ? _prefixer(_write) : undefined;
        const print = prefixer?.print ?? ((_: StreamName, bytes: Uint8Array) => _write(bytes));
        const from: Partial<Record<StreamName, number>> = {};
        for (const stream of streams) {
          const { start, limit } = streamInfo(files, stream);
          // -f prints what is kept now, then what comes: from the kept start, or after the tail.
          from[stream] = start;
          if (tail !== undefined) {
            print(stream, readTail(files, stream, { lines: tail, end: limit }));
            from[stream] = limit;
          } else if (!options.follow) await _copy(files, stream, start, limit, print);
        }
        if (options.follow) {
          noteInterrupt([id]); // Ctrl-C ends the following, not the task: say so
          await followStreams(client, id, streams, print, {
            from,
            lines: streams.length > 1,
            onGap: (stream, start, end) =>
              process.stderr.write(
                `bgt: bytes ${start}:${end} of ${stream} were dropped by --retain before they could be read\n`,
              ),
          });
        }
        prefixer?.end();
        await _flush();
      } finally {
        client.close();
      }
    });
}

/** The streams the options name (stdout when none). */
function _streams(
  options: { stderr?: boolean; data?: boolean; stream: string[]; all?: boolean },
): StreamName[] {
  if (options.stderr && options.data) {
    throw new UsageError(
      "Cannot show logs: choose --stderr or --data, not both (--stream stderr,data or --all shows several)",
    );
  }
  const named = options.stream.flatMap((word) => word.split(","))
    .map((word) => parseChoice("--stream", word.trim(), STREAM_NAMES));
  const wanted = new Set<string>([
    ...(options.all ? STREAM_NAMES : []),
    ...named,
    ...(options.stderr ? ["stderr"] : []),
    ...(options.data ? ["data"] : []),
  ]);
  if (!wanted.size) return ["stdout"];
  return STREAM_NAMES.filter((name) => wanted.has(name));
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
  _write(read.bytes);
  await _flush();
}

/** Prints bytes [from, to) of a stream in chunks (the kept part of it). */
async function _copy(
  files: TaskFiles,
  stream: StreamName,
  from: number,
  to: number,
  print: (stream: StreamName, bytes: Uint8Array) => void,
): Promise<void> {
  let offset = Math.max(from, streamInfo(files, stream).start);
  while (offset < to) {
    const read = readStream(files, stream, { from: offset, to: Math.min(to, offset + CHUNK) });
    if (read.from >= to || !read.bytes.length) break;
    print(stream, read.bytes);
    offset = read.from + read.bytes.length;
    await _flush();
  }
}

/**
 * Writes a line prefix for `stream` at each line start; a line cut by another stream's output
 * is ended there (and goes on after a new prefix); `end()` ends an unfinished last line.
 */
function _prefixer(
  write: (bytes: Uint8Array) => void,
): { print: (stream: StreamName, bytes: Uint8Array) => void; end(): void } {
  let last: StreamName | undefined;
  let atLineStart = true;
  const end = () => {
    if (!atLineStart) write(new Uint8Array([10]));
    atLineStart = true;
  };
  const print = (stream: StreamName, bytes: Uint8Array) => {
    if (!bytes.length) return;
    const parts: Uint8Array[] = [];
    if (last !== stream) end();
    for (let i = 0; i < bytes.length;) {
      if (atLineStart) parts.push(PREFIX[stream]);
      const newline = bytes.indexOf(10, i);
      const stop = newline < 0 ? bytes.length : newline + 1;
      parts.push(bytes.subarray(i, stop));
      atLineStart = newline >= 0;
      i = stop;
    }
    last = stream;
    const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
    let offset = 0;
    for (const part of parts) {
      out.set(part, offset);
      offset += part.length;
    }
    write(out);
  };
  return { print, end };
}

let _pending: Promise<void> = Promise.resolve();

/** Writes to stdout; {@linkcode _flush} waits until everything written so far is taken. */
function _write(bytes: Uint8Array): void {
  if (!bytes.length) return;
  _pending = new Promise((resolve) => process.stdout.write(bytes, () => resolve()));
}

function _flush(): Promise<void> {
  return _pending;
}
