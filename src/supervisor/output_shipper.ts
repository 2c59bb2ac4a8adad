/**
 * Ships the output of the tasks this supervisor runs into a shared store (PostgreSQL), so that
 * `bgt logs` reads it from every host, also after this one is gone (DESIGN §11). The task goes on
 * writing its local files (the fast path, and the truth while it runs); every 250 ms the shipper
 * reads what each stream gained and inserts it in chunks of at most 64 KiB, keyed by (task,
 * attempt, stream, offset), so a chunk sent twice is stored once (a longer one replaces it).
 * After a failed ship (its commit may have happened all the same: a lost acknowledgement) the
 * next pass asks the store where each stream ends.
 *
 * Crashes: a run's end is recorded once its last output is in the store, so a supervisor that
 * dies before leaves a task that is still `running`: the home's next supervisor re-adopts it,
 * asks the store where its streams end and ships the rest. Only when the store refuses that last
 * ship (the end is then recorded anyway) is a marker `BGT_HOME/shipping/<id>` written, removed
 * once the rest is shipped; the next supervisor ({@linkcode OutputShipper.resume}) finishes the
 * marked tasks. `--retain` bounds the table as it bounds the files: the
 * chunks in front of a stream's kept start are deleted when the start moves, in the transaction
 * that inserts the next chunks (a reader never sees chunks past a gap).
 *
 * @example
 * ```ts
 * const shipper = new OutputShipper({ output: store.output!, homeDir, logsDir });
 * shipper.track(task, files, offsetsAtStart);
 * await shipper.finish(task.id); // after the run ended: the rest, then the marker goes
 * await shipper.stop();
 * ```
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { OutputChunk, OutputStore, OutputTrim } from "../store/shared_io.ts";
import { copyShippedOutput } from "../store/shipped_copy.ts";
import {
  readStream,
  STREAM_NAMES,
  type StreamName,
  streamSize,
  streamStart,
  type TaskFiles,
  taskFiles,
} from "../store/task_files.ts";

/** How often the running tasks' output is shipped. */
export const SHIP_INTERVAL_MS = 250;
/** Most bytes of one chunk. */
export const CHUNK_BYTES = 64 * 1024;
/** Most bytes shipped in one statement (the rest goes in the next one, at once). */
const BATCH_BYTES = 256 * 1024;

/** Options for {@linkcode OutputShipper}. */
export interface OutputShipperOptions {
  output: OutputStore;
  /** The home (the markers live in its `shipping/`). */
  homeDir: string;
  logsDir: string;
  log?: (line: string) => void;
}

interface Shipping {
  id: number;
  attempt: number;
  /** `--retain`: only the last this many bytes of a stream are worth shipping. */
  retain: number | null;
  files: TaskFiles;
  /**
   * Where each stream is shipped up to; undefined until the store was asked (a resumed task, or
   * after a failed ship).
   */
  shipped?: Record<StreamName, number>;
  /** Each stream's end when the run started here: this run ships from there at least. */
  floor?: Record<StreamName, number>;
  /** Up to where the stored chunks were trimmed (`--retain`). */
  trimmed: Record<StreamName, number>;
  marked: boolean;
  /** The run ended: once all is shipped, the marker goes and the task is forgotten. */
  ended: boolean;
  /** Resolves the finish() calls waiting for the end's last ship. */
  onShipped: (() => void)[];
}

/** Ships running tasks' output, a pass every 250 ms. */
export class OutputShipper {
  #options: OutputShipperOptions;
  #markers: string;
  #tasks = new Map<number, Shipping>();
  #pass: Promise<void> | undefined;
  #again = false;
  #timer: ReturnType<typeof setInterval>;
  #failing = false;

  constructor(options: OutputShipperOptions) {
    this.#options = options;
    this.#markers = join(options.homeDir, "shipping");
    this.#timer = setInterval(() => this.#ship(), SHIP_INTERVAL_MS);
  }

  /**
   * Ships a run's output from now on: from `from` (each stream's end when the run started), or,
   * when not given (a run taken over from a dead supervisor), from where the store says.
   */
  track(
    task: { id: number; attempt: number; retain?: number | null },
    files: TaskFiles,
    from?: Record<StreamName, number>,
  ) {
    const known = this.#tasks.get(task.id);
    this.#tasks.set(task.id, {
      id: task.id,
      attempt: task.attempt,
      retain: task.retain ?? null,
      files,
      shipped: from ? { ...from } : known?.shipped,
      floor: from ? { ...from } : known?.floor,
      trimmed: known?.trimmed ?? { stdout: 0, stderr: 0, data: 0 },
      marked: known?.marked ?? false,
      ended: false,
      onShipped: known?.onShipped ?? [],
    });
  }

  /**
   * The run ended: ships what is left. Returns undefined when nothing was (the common case of a
   * task with no output: its end is recorded at once), else a promise that resolves once the last
   * ship was tried (a failed one is retried by the next passes).
   */
  finish(id: number): Promise<void> | undefined {
    const shipping = this.#tasks.get(id);
    if (!shipping) return undefined;
    shipping.ended = true;
    if (shipping.shipped && !shipping.marked && !_unshipped(shipping)) {
      this.#tasks.delete(id);
      return undefined;
    }
    return new Promise<void>((resolve) => {
      shipping.onShipped.push(resolve);
      this.#ship();
    });
  }

  /**
   * Before a retry or restart runs here: copies into the local files the output its earlier
   * attempts shipped from elsewhere, so that this attempt's bytes follow theirs (offsets stay
   * one sequence per task, whichever hosts ran it). A failure is logged; the run starts anyway.
   */
  async fetchEarlier(task: { id: number; attempt: number }, files: TaskFiles): Promise<void> {
    if (task.attempt <= 1) return;
    try {
      await copyShippedOutput(this.#options.output, task.id, files);
    } catch (error) {
      this.#options.log?.(
        `cannot fetch the earlier output of task ${task.id}: ${(error as Error).message}`,
      );
    }
  }

  /** Takes over the shipping a dead supervisor of this home left unfinished (its markers). */
  resume(): void {
    let names: string[];
    try {
      names = readdirSync(this.#markers);
    } catch {
      return; // none
    }
    for (const name of names) {
      const id = Number(name);
      if (!Number.isSafeInteger(id) || this.#tasks.has(id)) continue;
      const attempt = Number(_read(join(this.#markers, name))) || 1;
      this.#tasks.set(id, {
        id,
        attempt,
        retain: null,
        files: taskFiles(this.#options.logsDir, id),
        trimmed: { stdout: 0, stderr: 0, data: 0 },
        marked: true,
        ended: true,
        onShipped: [],
      });
    }
    if (this.#tasks.size) this.#ship();
  }

  /** Stops shipping a removed task (its rows went with it) and drops its marker. */
  forget(id: number): void {
    const shipping = this.#tasks.get(id);
    this.#tasks.delete(id);
    rmSync(join(this.#markers, String(id)), { force: true });
    for (const resolve of shipping?.onShipped.splice(0) ?? []) resolve();
  }

  /** Stops the passes after a last one (tasks still running resume with the next supervisor). */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#ship();
    await this.#pass;
  }

  /** Records on disk that the task's output is not all shipped (see resume()). */
  #mark(shipping: Shipping): void {
    try {
      mkdirSync(this.#markers, { recursive: true, mode: 0o700 });
      writeFileSync(join(this.#markers, String(shipping.id)), `${shipping.attempt}\n`);
      shipping.marked = true;
    } catch (error) {
      this.#options.log?.(
        `cannot mark task ${shipping.id}'s output unshipped: ${(error as Error).message}`,
      );
    }
  }

  /** Starts a pass, or asks for one more after the one in flight. */
  #ship(): void {
    if (this.#pass) {
      this.#again = true;
      return;
    }
    this.#pass = (async () => {
      do {
        this.#again = false;
        await this.#shipOnce();
      } while (this.#again);
    })().finally(() => (this.#pass = undefined));
  }

  async #shipOnce(): Promise<void> {
    const { output, log } = this.#options;
    const chunks: OutputChunk[] = [];
    try {
      const trims: [Shipping, OutputTrim][] = [];
      let bytes = 0;
      let leftover = false;
      for (const shipping of this.#tasks.values()) {
        shipping.shipped ??= _atLeast(await output.shippedEnds(shipping.id), shipping.floor);
        for (const stream of STREAM_NAMES) {
          const size = streamSize(shipping.files[stream]);
          if (size <= shipping.shipped[stream] && !shipping.marked) continue;
          // What --retain will drop is not shipped: a fast writer's front is dropped before the
          // next pass (the start moves in steps; the table is trimmed to it).
          const start = Math.max(
            streamStart(shipping.files, stream),
            shipping.retain === null || stream === "data" ? 0 : size - shipping.retain,
          );
          if (start > shipping.trimmed[stream]) {
            trims.push([shipping, { taskId: shipping.id, stream, before: start }]);
          }
          let from = Math.max(shipping.shipped[stream], start);
          while (from < size && bytes < BATCH_BYTES) {
            const read = readStream(shipping.files, stream, {
              from,
              to: Math.min(size, from + CHUNK_BYTES),
            });
            if (!read.bytes.length) break;
            chunks.push({
              taskId: shipping.id,
              attempt: shipping.attempt,
              stream,
              offset: read.from,
              data: read.bytes,
            });
            bytes += read.bytes.length;
            from = read.from + read.bytes.length;
          }
          // Cut short by the batch's size: the next pass goes on at once — except for a running
          // task's --retain'd stream, whose front is dropped soon anyway (one batch per period).
          if (from < size && (shipping.retain === null || shipping.ended)) leftover = true;
        }
      }
      // The trims and the chunks in one transaction: a reader never sees chunks past a gap.
      await output.ship(chunks, trims.map(([, trim]) => trim));
      for (const chunk of chunks) {
        const shipping = this.#tasks.get(chunk.taskId)!;
        const end = chunk.offset + chunk.data.length;
        shipping.shipped![chunk.stream] = Math.max(shipping.shipped![chunk.stream], end);
      }
      for (const [shipping, trim] of trims) shipping.trimmed[trim.stream] = trim.before;
      if (leftover) this.#again = true;
      this.#failing = false;
      for (const shipping of [...this.#tasks.values()]) {
        if (!shipping.ended || _unshipped(shipping)) continue;
        if (shipping.marked) rmSync(join(this.#markers, String(shipping.id)), { force: true });
        this.#tasks.delete(shipping.id);
        for (const resolve of shipping.onShipped.splice(0)) resolve();
      }
    } catch (error) {
      if (!this.#failing) log?.(`cannot ship task output: ${(error as Error).message}`);
      this.#failing = true;
      // The ends wait no longer: the passes go on trying. An end recorded before its output is
      // shipped is marked, so that a crash meanwhile leaves the rest to the next supervisor.
      // The failed statement may have committed (a lost acknowledgement): the next pass asks the
      // store where the streams it shipped end instead of trusting what this one thought.
      for (const chunk of chunks) {
        const shipping = this.#tasks.get(chunk.taskId);
        if (shipping) shipping.shipped = undefined;
      }
      for (const shipping of this.#tasks.values()) {
        if (shipping.ended && !shipping.marked) this.#mark(shipping);
        for (const resolve of shipping.onShipped.splice(0)) resolve();
      }
    }
  }
}

/** Each stream's end, raised to `floor`'s where given. */
function _atLeast(
  ends: Record<StreamName, number>,
  floor: Record<StreamName, number> | undefined,
): Record<StreamName, number> {
  if (!floor) return ends;
  return {
    stdout: Math.max(ends.stdout, floor.stdout),
    stderr: Math.max(ends.stderr, floor.stderr),
    data: Math.max(ends.data, floor.data),
  };
}

/** Whether a stream of the task has bytes past what was shipped. */
function _unshipped(shipping: Shipping): boolean {
  return STREAM_NAMES.some((stream) =>
    streamSize(shipping.files[stream]) > Math.max(shipping.shipped?.[stream] ?? 0, 0) &&
    streamSize(shipping.files[stream]) > streamStart(shipping.files, stream)
  );
}

function _read(path: string): string {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return "";
  }
}
