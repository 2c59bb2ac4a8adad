/**
 * A piece of a task's stream from a byte offset, as text that never splits a UTF-8 character
 * while the rest of it can still come: `to` is where the next read starts, so a reader that keeps
 * asking from `to` gets every byte once, in order, across its own reconnects and the server's
 * restarts. Once the task has ended, an incomplete character at the stream's end is returned
 * whole (it shows as U+FFFD), so a reader always reaches `limit`.
 *
 * @example
 * ```ts
 * const chunk = readLogChunk(files, "stdout", 0);
 * // { stream: "stdout", from: 0, to: 12, start: 0, limit: 12, text: "hello\nworld\n" }
 * ```
 */
import { readStream, streamInfo, type StreamName, type TaskFiles } from "../store/task_files.ts";

/** What {@linkcode readLogChunk} read. */
export interface LogChunk {
  stream: StreamName;
  /** Where `text` begins (later than asked if `--retain` dropped the bytes before). */
  from: number;
  /** Where it ends: the offset to ask from next. */
  to: number;
  /** The stream's kept window now. */
  start: number;
  limit: number;
  text: string;
}

/** Most bytes one read returns. @default 256 KiB */
export const LOG_CHUNK_BYTES = 256 * 1024;

/** Options for {@linkcode readLogChunk}. */
export interface LogChunkOptions {
  /** Most bytes to read. @default LOG_CHUNK_BYTES */
  max?: number;
  /** The task has ended: its streams grow no more, so nothing is held back at their end. */
  ended?: boolean;
}

/**
 * Reads [from, from + max) of a stream, cut back to the last whole UTF-8 character — unless the
 * read reached the end of an ended task's stream: then the bytes are returned whole.
 *
 * @example
 * ```ts
 * readLogChunk(files, "stderr", 1024).to; // where to read from next
 * readLogChunk(files, "stderr", 1024, { ended: true }).to; // the stream's limit, at most 256 KiB on
 * ```
 */
export function readLogChunk(
  files: TaskFiles,
  stream: StreamName,
  from: number,
  options: LogChunkOptions = {},
): LogChunk {
  const window = streamInfo(files, stream);
  const read = readStream(files, stream, { from, to: from + (options.max ?? LOG_CHUNK_BYTES) });
  const atEnd = read.from + read.bytes.length >= window.limit;
  const whole = options.ended && atEnd
    ? read.bytes
    : read.bytes.subarray(0, wholeUtf8Length(read.bytes));
  return {
    stream,
    from: read.from,
    to: read.from + whole.length,
    start: window.start,
    limit: window.limit,
    text: new TextDecoder().decode(whole),
  };
}

/**
 * How many leading bytes form whole UTF-8 characters (a character cut at the end is left for
 * the next read; bytes that are not UTF-8 at all are kept, to show as U+FFFD).
 *
 * @example
 * ```ts
 * wholeUtf8Length(new Uint8Array([0x61, 0xc3])); // 1 ("a", then half of "é")
 * ```
 */
export function wholeUtf8Length(bytes: Uint8Array): number {
  const n = bytes.length;
  for (let back = 1; back <= Math.min(3, n); back++) {
    const byte = bytes[n - back];
    if ((byte & 0xc0) !== 0x80) {
      // A lead byte: how long its character is.
      const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
      return need > back ? n - back : n;
    }
  }
  return n;
}

/**
 * Where to start showing a stream so that about `bytes` of its end are shown: the kept start,
 * or a line start near `limit - bytes`.
 *
 * @example
 * ```ts
 * readLogChunk(files, "stdout", tailStart(files, "stdout")); // the last 64 KiB
 * ```
 */
export function tailStart(files: TaskFiles, stream: StreamName, bytes = 64 * 1024): number {
  const window = streamInfo(files, stream);
  return Math.max(window.start, window.limit - bytes);
}
