/**
 * The files of one task under `BGT_HOME/logs/<id>/`: its output streams, the `pid` record of its
 * waiter, and the `status` the waiter writes so that a task's end reaches the disk without a
 * supervisor.
 *
 * Offsets in a stream are absolute: byte n is the n-th byte the task ever wrote to it. With
 * `--retain`, the front of a stream file is punched out (a hole: the file keeps its apparent size,
 * its blocks are freed) and `<stream>.start` records the first byte still kept, so a stream's
 * readable window is [start, limit) where limit is the file's size. Readers read only that window
 * ({@linkcode readStream}); the punched bytes read as zeros and are treated as gone.
 *
 * @example
 * ```ts
 * const files = taskFiles(home.logs, 42);
 * readTail(files, "stdout", { lines: 100 }); // the last 100 lines
 * streamInfo(files, "stdout"); // { start: 0, limit: 1234 }
 * ```
 */
import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  watch,
} from "node:fs";
import { join } from "node:path";
import { checkOwnDir, writeNewOwnFile } from "./own_files.ts";

/** The output streams a task has. */
export type StreamName = "stdout" | "stderr" | "data";

/** Paths of one task's files. */
export interface TaskFiles {
  dir: string;
  stdout: string;
  stderr: string;
  data: string;
  /** JSON {@linkcode PidRecord}, written by the supervisor when the waiter started. */
  pid: string;
  /** {@linkcode StatusRecord}, written by the waiter when the command ended. */
  status: string;
  /** The FIFO a `--stdin` task reads as its standard input (made by its waiter). */
  stdin: string;
  /**
   * The pid of the process that holds the stdin FIFO open for writing while the task runs (so
   * that the command sees end-of-file only when it is killed: `bgt send --eof`).
   */
  stdinHolder: string;
}

/** The readable window of a stream: bytes [start, limit) are kept. */
export interface StreamWindow {
  /** The first byte still kept (0 unless `--retain` dropped the front). */
  start: number;
  /** The logical end: how many bytes were ever written. */
  limit: number;
}

/** The streams, in display order. */
export const STREAM_NAMES: readonly StreamName[] = ["stdout", "stderr", "data"];

/** What the supervisor records when a command's waiter starts (for re-adoption). */
export interface PidRecord {
  /** The waiter's pid, which is also the task's process group id. */
  pid: number;
  /** The waiter's start time (tells it from a later process with the same pid). */
  startTime: string | null;
  attempt: number;
}

/** What the waiter records when the command ends: `"<attempt> <exit code>\n"`. */
export interface StatusRecord {
  attempt: number;
  exitCode: number;
  /** When the waiter wrote it (the file's modification time, ms): when the command ended. */
  endedAt?: number;
}

/** Parses a status file's text; undefined while it is absent or incomplete. */
export function readStatus(path: string): StatusRecord | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  const match = /^(\d+) (\d+)\n$/.exec(text);
  if (!match) return undefined;
  let endedAt: number | undefined;
  try {
    endedAt = Math.floor(statSync(path).mtimeMs);
  } catch { /* gone meanwhile: the end is when it is recorded */ }
  return { attempt: Number(match[1]), exitCode: Number(match[2]), endedAt };
}

/**
 * When the waiter wrote the task's status (the file's modification time, ms): when the command
 * ended; undefined while it has not.
 *
 * @example
 * ```ts
 * statusTime(taskFiles(home.logs, 42)); // 1767225600123
 * ```
 */
export function statusTime(files: TaskFiles): number | undefined {
  try {
    const stat = statSync(files.status, { throwIfNoEntry: false });
    return stat && Math.floor(stat.mtimeMs);
  } catch {
    return undefined;
  }
}

/** The paths of task `id`'s files (nothing is created). */
export function taskFiles(logsDir: string, id: number): TaskFiles {
  const dir = join(logsDir, String(id));
  return {
    dir,
    stdout: join(dir, "stdout"),
    stderr: join(dir, "stderr"),
    data: join(dir, "data"),
    pid: join(dir, "pid"),
    status: join(dir, "status"),
    stdin: join(dir, "stdin"),
    stdinHolder: join(dir, "stdin.holder"),
  };
}

/**
 * Creates the task's directory (0700) and clears the records of an earlier attempt. One that
 * exists must be a directory of ours, not a symlink (ForeignPathError otherwise).
 */
export function prepareTaskFiles(files: TaskFiles): void {
  // A directory made just now holds no records of an earlier attempt.
  if (mkdirSync(files.dir, { recursive: true, mode: 0o700 }) !== undefined) return;
  checkOwnDir(files.dir, "the task's directory", "remove it");
  rmSync(files.pid, { force: true });
  rmSync(files.status, { force: true });
  rmSync(files.stdin, { force: true });
  rmSync(files.stdinHolder, { force: true });
}

/**
 * Writes a file atomically (temp file + rename), mode 0600: a reader sees the old content or the
 * new, never a part.
 *
 * @example
 * ```ts
 * writeAtomic(join(files.dir, "result"), encode(record));
 * ```
 */
export function writeAtomic(path: string, data: string | Uint8Array): void {
  const temp = `${path}.${process.pid}.tmp`;
  // Made new, never through a symlink; the rename replaces a symlink at `path`, not its target.
  writeNewOwnFile(temp, data);
  renameSync(temp, path);
}

/** Writes a JSON record atomically (see writeAtomic). */
export function writeRecord(path: string, value: unknown): void {
  writeAtomic(path, JSON.stringify(value));
}

/** Reads a JSON record, or undefined when it is absent or not yet complete. */
export function readRecord<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch {
    return undefined;
  }
}

/** Deletes the task's directory. */
export function removeTaskFiles(files: TaskFiles): void {
  rmSync(files.dir, { recursive: true, force: true });
}

/** Size in bytes of a stream file (0 when absent). */
export function streamSize(path: string): number {
  try {
    return statSync(path, { throwIfNoEntry: false })?.size ?? 0;
  } catch {
    return 0;
  }
}

/** Reads bytes [start, end) of a file (clamped to its size). */
export function readRange(path: string, start: number, end = Infinity): Uint8Array {
  if (!existsSync(path)) return new Uint8Array();
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    const from = Math.max(0, Math.min(start, size));
    const to = Math.max(from, Math.min(end, size));
    const buffer = new Uint8Array(to - from);
    let read = 0;
    while (read < buffer.length) {
      const n = readSync(fd, buffer, read, buffer.length - read, from + read);
      if (n === 0) break;
      read += n;
    }
    return buffer.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

/** Path of the file that records a stream's first kept byte (absent: 0). */
export function streamStartPath(files: TaskFiles, stream: StreamName): string {
  return join(files.dir, `${stream}.start`);
}

/** The first kept byte of a stream (0 when nothing was dropped). */
export function streamStart(files: TaskFiles, stream: StreamName): number {
  try {
    const value = Number(readFileSync(streamStartPath(files, stream), "utf8"));
    return Number.isSafeInteger(value) && value > 0 ? value : 0;
  } catch {
    return 0;
  }
}

/**
 * Records a stream's first kept byte, atomically (temp file + rename). Done *before* the bytes
 * in front of it are punched out, so a reader never takes a punched byte for output.
 */
export function setStreamStart(files: TaskFiles, stream: StreamName, start: number): void {
  writeAtomic(streamStartPath(files, stream), `${start}\n`);
}

/**
 * A stream's kept window: `limit` is the logical end (bytes ever written), `start` the first byte
 * still kept. The numbers of the seed's `stream->start` / `stream->limit`.
 */
export function streamInfo(files: TaskFiles, stream: StreamName): StreamWindow {
  const limit = streamSize(files[stream]);
  return { start: Math.min(streamStart(files, stream), limit), limit };
}

/** What {@linkcode readStream} read: `bytes` are the stream's bytes from offset `from`. */
export interface StreamBytes {
  /** Where the bytes begin: the requested offset, or the kept start if that was later. */
  from: number;
  bytes: Uint8Array;
}

/**
 * Reads bytes [from, to) of a stream, clamped to its kept window. When the front was dropped
 * (also while reading: the start is checked again afterwards), the bytes begin at the kept start,
 * and `from` says so.
 */
export function readStream(
  files: TaskFiles,
  stream: StreamName,
  range: { from: number; to?: number },
): StreamBytes {
  const before = streamStart(files, stream);
  let from = Math.max(range.from, before);
  let bytes = readRange(files[stream], from, range.to ?? Infinity);
  const after = streamStart(files, stream);
  if (after > from) {
    // Trimmed while we read: what lies before the new start may already be a hole.
    bytes = bytes.subarray(Math.min(bytes.length, after - from));
    from = after;
  }
  return { from, bytes };
}

/** Options for {@linkcode readTail}. */
export interface TailOptions {
  /** How many lines. */
  lines: number;
  /** Read the stream as if it ended here. @default its current end */
  end?: number;
  /** Read the stream as if it began here (or at the kept start, if later). @default 0 */
  start?: number;
}

/**
 * The last lines of a stream's kept bytes (read backwards in chunks, not whole). A line cut by
 * the kept start counts as a line.
 */
export function readTail(files: TaskFiles, stream: StreamName, options: TailOptions): Uint8Array {
  const size = options.end ?? streamSize(files[stream]);
  const lines = options.lines;
  const kept = () => Math.min(Math.max(streamStart(files, stream), options.start ?? 0), size);
  if (lines <= 0 || size <= kept()) return new Uint8Array();
  let start = size;
  let newlines = 0;
  const chunk = 64 * 1024;
  while (start > kept()) {
    const want = Math.max(kept(), start - chunk);
    const { from, bytes } = readStream(files, stream, { from: want, to: start });
    for (let i = bytes.length - 1; i >= 0; i--) {
      // A trailing newline ends the last line; it does not start a new one.
      if (bytes[i] === 10 && from + i !== size - 1 && ++newlines === lines) {
        return readStream(files, stream, { from: from + i + 1, to: size }).bytes;
      }
    }
    if (from >= start) break;
    start = from;
  }
  return readStream(files, stream, { from: kept(), to: size }).bytes;
}

/**
 * Calls `onChange` whenever something in a task's directory changes; undefined where the
 * directory does not exist yet or the file system cannot be watched (callers then look again
 * on a timer).
 */
export function watchTaskDir(dir: string, onChange: () => void): { close(): void } | undefined {
  try {
    return watch(dir, onChange);
  } catch {
    return undefined;
  }
}
