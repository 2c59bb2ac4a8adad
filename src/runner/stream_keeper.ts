/**
 * Watches a running task's stream files from the supervisor, without standing in their data path:
 * the task writes straight to its files, and the keeper
 *
 * - enforces `--retain`: when a stream holds more than twice the retained bytes, its kept start
 *   moves to `limit - retain` (recorded first, in `<stream>.start`) and the blocks in front of it
 *   are punched out of the file ({@linkcode punchHole}), so disk use stays bounded while offsets
 *   stay absolute. When the run ends, a last trim keeps exactly the last `retain` bytes. The data
 *   stream is trimmed at a record boundary (the start moves on to the next line). Where holes
 *   cannot be punched (no `fallocate`, a file system that refuses), one line says so in the
 *   task's stderr and the start still moves (readers show the retained window) but the file keeps
 *   its blocks;
 * - reads the data stream incrementally (from the offset it has seen, tolerating a partial last
 *   line) and reports the last `{"progress": 0.4, "message": "…"}` record of each look.
 *
 * From 50 ms after it starts, it looks when the task's directory changes (a watch) and at least
 * every second, at most every `intervalMs`, and at most one `fallocate` runs at a time.
 *
 * @example
 * ```ts
 * const keeper = keepStreams(files, { retain: 1 << 20, onProgress: (f, m) => console.log(f, m) });
 * // … the task runs …
 * await keeper?.stop(); // a final look and trim
 * ```
 */
import { appendOwnFile } from "../store/own_files.ts";
import { punchHole } from "../store/punch_hole.ts";
import {
  readRange,
  readStream,
  setStreamStart,
  STREAM_NAMES,
  streamInfo,
  type StreamName,
  streamSize,
  type TaskFiles,
  watchTaskDir,
} from "../store/task_files.ts";

/** Options for {@linkcode keepStreams}. */
export interface StreamKeeperOptions {
  /** Bytes kept of each stream; null or undefined keeps everything. */
  retain?: number | null;
  /** Called with the last progress record of each look at the data stream. */
  onProgress?: (fraction: number, message: string | null) => void;
  /**
   * Where in the data stream to start looking for progress records (a line start).
   * @default the data stream's current end
   */
  dataFrom?: number;
  /** Least time between two looks, in ms. @default 20 */
  intervalMs?: number;
}

/** The holes are punched in whole blocks of this size. */
const BLOCK = 4096;
/** Most bytes of the data stream read in one look (the next look carries on). */
const DATA_CHUNK = 1 << 20;
/** How far past a trim point the data stream is searched for the next record. */
const RECORD_SEARCH = 64 * 1024;

/** A running keeper; {@linkcode StreamKeeper.stop} ends it with a final look. */
export interface StreamKeeper {
  /** Asks for a look soon (coalesced, throttled). */
  poke(): void;
  /** Stops watching after a final look (and, with retain, a final trim to exactly `retain`). */
  stop(): Promise<void>;
}

/** Starts a keeper for the task's files, or returns undefined when there is nothing to keep. */
export function keepStreams(
  files: TaskFiles,
  options: StreamKeeperOptions,
): StreamKeeper | undefined {
  const retain = options.retain ?? null;
  if (retain === null && !options.onProgress) return undefined;
  return new _Keeper(files, { ...options, retain });
}

class _Keeper implements StreamKeeper {
  #files: TaskFiles;
  #retain: number | null;
  #onProgress?: (fraction: number, message: string | null) => void;
  #interval: number;
  #dataOffset: number;
  /** The next data line is the rest of a line too long to read: skip it. */
  #skipLine = false;
  #lastProgress: string | undefined;
  #punched: Record<StreamName, number> = { stdout: 0, stderr: 0, data: 0 };
  #punching: Promise<void> | undefined;
  #broken = false;
  #last = 0;
  #scheduled: ReturnType<typeof setTimeout> | undefined;
  #ticker: ReturnType<typeof setInterval> | ReturnType<typeof setTimeout>;
  #watcher: { close(): void } | undefined;
  #stopped = false;

  constructor(files: TaskFiles, options: StreamKeeperOptions & { retain: number | null }) {
    this.#files = files;
    this.#retain = options.retain;
    this.#onProgress = options.onProgress;
    this.#interval = options.intervalMs ?? 20;
    this.#dataOffset = options.dataFrom ?? streamSize(files.data);
    // The watch covers most changes; the ticker covers file systems without one. Both start
    // after a first look 50 ms in: a task that ends sooner (most do) costs neither.
    this.#ticker = setTimeout(() => {
      this.#watcher = watchTaskDir(files.dir, () => this.poke());
      this.#ticker = setInterval(() => this.poke(), 1000);
      this.poke();
    }, 50);
  }

  poke(): void {
    if (this.#stopped || this.#scheduled !== undefined) return;
    const wait = Math.max(0, this.#last + this.#interval - Date.now());
    this.#scheduled = setTimeout(() => {
      this.#scheduled = undefined;
      this.#last = Date.now();
      this.#look(false);
    }, wait);
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#scheduled);
    clearTimeout(this.#ticker);
    clearInterval(this.#ticker);
    this.#watcher?.close();
    await this.#punching;
    this.#look(true);
    await this.#punching;
  }

  #look(final: boolean): void {
    try {
      if (this.#onProgress) this.#scanData(final);
      if (this.#retain !== null && !this.#punching) this.#trim(this.#retain, final);
    } catch { /* a file removed under us (bgt rm): nothing to keep */ }
  }

  /** Moves each stream's start on and punches the blocks before it. */
  #trim(retain: number, final: boolean): void {
    const holes: [StreamName, number, number][] = [];
    for (const stream of STREAM_NAMES) {
      const { start, limit } = streamInfo(this.#files, stream);
      // While running, trim only past twice the retained size: a trim costs a process.
      if (limit - start <= (final ? retain : 2 * retain)) continue;
      let next = limit - retain;
      if (stream === "data") next = this.#recordStart(next, limit);
      if (next <= start) continue;
      setStreamStart(this.#files, stream, next);
      const block = Math.floor(next / BLOCK) * BLOCK;
      if (block > this.#punched[stream]) holes.push([stream, this.#punched[stream], block]);
    }
    if (!holes.length || this.#broken) return;
    this.#punching = (async () => {
      for (const [stream, from, to] of holes) {
        try {
          await punchHole(this.#files[stream], { offset: from, length: to - from });
          this.#punched[stream] = to;
        } catch (error) {
          this.#report((error as Error).message);
          break;
        }
      }
    })().finally(() => {
      this.#punching = undefined;
      // More may have been written while fallocate ran.
      this.poke();
    });
  }

  /** The first record start at or after `offset` (or `offset` when none is near). */
  #recordStart(offset: number, limit: number): number {
    if (offset === 0) return 0;
    const bytes = readRange(this.#files.data, offset - 1, Math.min(limit, offset + RECORD_SEARCH));
    const newline = bytes.indexOf(10);
    return newline < 0 ? offset : offset + newline;
  }

  #report(reason: string): void {
    if (this.#broken) return;
    this.#broken = true;
    try {
      appendOwnFile(
        this.#files.stderr,
        `bgt: cannot free the disk space of output dropped by --retain (${reason}); ` +
          `the stream files keep growing on disk, though only the last ${this.#retain} bytes ` +
          `of each stream are kept for reading\n`,
      );
    } catch { /* nowhere to say it */ }
  }

  /** Reads the data stream's new complete lines and reports the last progress record. */
  #scanData(final: boolean): void {
    let latest: { fraction: number; message: string | null } | undefined;
    for (let chunks = 0; chunks < (final ? Infinity : 16); chunks++) {
      const limit = streamSize(this.#files.data);
      if (this.#dataOffset >= limit) break;
      const { from, bytes } = readStream(this.#files, "data", {
        from: this.#dataOffset,
        to: Math.min(limit, this.#dataOffset + DATA_CHUNK),
      });
      this.#dataOffset = from;
      const end = bytes.lastIndexOf(10);
      if (end < 0) {
        if (bytes.length < DATA_CHUNK) break; // a partial line: wait for its end
        this.#dataOffset += bytes.length; // a line longer than a chunk is not a progress record
        this.#skipLine = true;
        continue;
      }
      const lines = new TextDecoder().decode(bytes.subarray(0, end)).split("\n");
      if (this.#skipLine) {
        lines.shift();
        this.#skipLine = false;
      }
      for (const line of lines) {
        const progress = line.includes('"progress"') ? _progressOf(line) : undefined;
        if (progress) latest = progress;
      }
      this.#dataOffset += end + 1;
    }
    if (!latest) return;
    const key = `${latest.fraction} ${latest.message}`;
    if (key === this.#lastProgress) return;
    this.#lastProgress = key;
    try {
      this.#onProgress?.(latest.fraction, latest.message);
    } catch { /* the store's problem, not the task's */ }
  }
}

/** The progress a data record reports, if it is `{"progress": <0..1>, "message"?: string}`. */
function _progressOf(line: string): { fraction: number; message: string | null } | undefined {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof record !== "object" || record === null || Array.isArray(record)) return undefined;
  const { progress, message } = record as { progress?: unknown; message?: unknown };
  if (typeof progress !== "number" || !Number.isFinite(progress)) return undefined;
  return {
    fraction: Math.min(1, Math.max(0, progress)),
    message: typeof message === "string" ? message : null,
  };
}
