/**
 * The files of one task under `BGT_HOME/logs/<id>/`: its output streams, the `pid` record of its
 * waiter, and the `status` the waiter writes so that a task's end reaches the disk without a
 * supervisor.
 *
 * @example
 * ```ts
 * const files = taskFiles(home.logs, 42);
 * readTail(files.stdout, 100); // the last 100 lines
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
  watch,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";

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
}

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
  return match ? { attempt: Number(match[1]), exitCode: Number(match[2]) } : undefined;
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
  };
}

/** Creates the task's directory (0700) and clears the records of an earlier attempt. */
export function prepareTaskFiles(files: TaskFiles): void {
  mkdirSync(files.dir, { recursive: true, mode: 0o700 });
  rmSync(files.pid, { force: true });
  rmSync(files.status, { force: true });
}

/** Writes a JSON record atomically (temp file + rename), mode 0600. */
export function writeRecord(path: string, value: unknown): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(value), { mode: 0o600 });
  renameSync(temp, path);
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
    const fd = openSync(path, "r");
    try {
      return fstatSync(fd).size;
    } finally {
      closeSync(fd);
    }
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

/** The last `lines` lines of the file's first `end` bytes (read backwards in chunks, not whole). */
export function readTail(path: string, lines: number, end = streamSize(path)): Uint8Array {
  const size = end;
  if (lines <= 0 || size === 0) return new Uint8Array();
  let start = size;
  let newlines = 0;
  const chunk = 64 * 1024;
  while (start > 0) {
    const from = Math.max(0, start - chunk);
    const bytes = readRange(path, from, start);
    for (let i = bytes.length - 1; i >= 0; i--) {
      // A trailing newline ends the last line; it does not start a new one.
      if (bytes[i] === 10 && from + i !== size - 1 && ++newlines === lines) {
        return readRange(path, from + i + 1, size);
      }
    }
    start = from;
  }
  return readRange(path, 0, size);
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
