/**
 * `WorkQueue`: seed 001's bidirectional queue between an owner and pool workers.
 *
 * @module
 */
import { defaultPool } from "./default_pool.ts";
import type { Pool, RunOptions, RunTarget } from "./pool.ts";
import { _Deque } from "./_priority_queue.ts";
import { _checkItem, _decodeItem, _encodeFn, _takeItem } from "./_queue_items.ts";

/** Options of {@linkcode WorkQueue.read}. */
export interface ReadOptions {
  /** `false` returns `undefined` at once when no answer is ready (the seed's `read(true)`). @default true */
  wait?: boolean;
  /** Stops waiting; the read rejects with the signal's reason. @default undefined */
  signal?: AbortSignal;
}

let _nextQueueId = 1;

/**
 * A queue between this thread (the owner) and pool workers, both ways. The owner writes
 * questions and reads answers; workers (tasks started with {@linkcode WorkQueue.map}) read
 * questions and write answers through `import { workQueue } from "bgt"`. Values are copied;
 * ArrayBuffers in them move (the writer's copy is detached at once); SharedArrayBuffers are
 * shared.
 *
 * @example
 * ```ts
 * import { WorkQueue } from "./work_queue.ts";
 * const q = new WorkQueue();
 * const done = q.map(2, async () => {
 *   const { workQueue } = await import("bgt");
 *   for (let f; (f = await workQueue.read()) !== undefined;) workQueue.write(`loaded ${f}`);
 * });
 * q.write("f1", "f2", "f3");
 * console.log(await q.read(), await q.read(), await q.read());
 * q.close();
 * await done;
 * ```
 */
export class WorkQueue {
  /** @internal */
  readonly _id: number = _nextQueueId++;
  #pool: Pool;
  #questions = new _Deque<unknown>();
  #answers = new _Deque<unknown>();
  #readers = new _Deque<(value: unknown, done: boolean) => boolean>();
  #waiting = new _Deque<(value: unknown) => void>();
  #closed = false;

  /**
   * Creates a queue whose workers run on `pool`.
   *
   * @param pool The pool. @default the default pool
   */
  constructor(pool?: Pool) {
    this.#pool = pool ?? defaultPool();
    this.#pool._attachQueue(this._id, {
      read: (reply) => this.#workerRead(reply),
      write: (items) => this.#workerWrite(items),
    });
  }

  /** Questions written and not yet taken by a worker. */
  get pending(): number {
    return this.#questions.length;
  }

  /**
   * Starts `n` tasks that serve this queue (each runs alone on its worker, until it returns).
   *
   * @param n How many workers. An integer ≥ 1.
   * @param target A function by value or a module URL with an optional `#export`.
   * @param args Arguments for each task. @default []
   * @param options Run options (`capture`, `signal`, …). @default {}
   * @returns The tasks' return values once they all returned.
   * @throws {RangeError} When `n` is not an integer ≥ 1.
   *
   * @example
   * ```ts
   * import { WorkQueue } from "./work_queue.ts";
   * const q = new WorkQueue();
   * // A module file's default export (new URL("./loader.ts", import.meta.url)), or a function:
   * const done = q.map(1, async () => {
   *   const { workQueue } = await import("bgt");
   *   while ((await workQueue.read()) !== undefined);
   * });
   * q.close();
   * await done;
   * ```
   */
  map(
    n: number,
    target: RunTarget,
    args: readonly unknown[] = [],
    options: Omit<RunOptions, "queue"> = {},
  ): Promise<unknown[]> {
    if (!Number.isInteger(n) || n < 1) {
      throw new RangeError(`Cannot start queue workers: n must be an integer ≥ 1, got ${n}`);
    }
    const runs: Promise<unknown>[] = [];
    for (let i = 0; i < n; i++) {
      runs.push(this.#pool.run(target, args, { ...options, queue: this }));
    }
    return Promise.all(runs);
  }

  /**
   * Puts questions on the queue; each item is one worker `read()`.
   *
   * @param items Structured-clonable values; use {@linkcode WorkQueue.writeFn} for functions.
   * @throws {TypeError} For a function item.
   * @throws {Error} When the queue is closed.
   *
   * @example
   * ```ts
   * import { WorkQueue } from "./work_queue.ts";
   * new WorkQueue().write("f1", "f2", "f3");
   * ```
   */
  write(...items: unknown[]): void {
    if (this.#closed) throw new Error("Cannot write to the work queue: it is closed");
    for (const it of items) _checkItem(it);
    for (const it of items) this.#deliver(_takeItem(it));
  }

  /**
   * Puts a function on the queue by value, with its captured values (the seed's `writeup`).
   * A worker's `read()` returns a function it can call.
   *
   * @param fn A plain function (not native, not bound).
   * @param capture Values it uses by name. @default {}
   * @throws {TypeError} For a native or bound function.
   *
   * @example
   * ```ts
   * import { WorkQueue } from "./work_queue.ts";
   * new WorkQueue().writeFn((x: number) => x * scale, { scale: 2 });
   * ```
   */
  writeFn(fn: (...args: any[]) => unknown, capture: Record<string, unknown> = {}): void {
    if (this.#closed) throw new Error("Cannot write to the work queue: it is closed");
    this.#deliver(_takeItem(_encodeFn(fn, capture)));
  }

  /**
   * Takes the next answer a worker wrote. With `{ wait: false }` returns `undefined` at once if
   * none is ready.
   *
   * @example
   * ```ts
   * import { WorkQueue } from "./work_queue.ts";
   * const q = new WorkQueue();
   * console.assert(q.read({ wait: false }) === undefined);
   * ```
   */
  read(options: ReadOptions & { wait: false }): unknown;
  read(options?: ReadOptions): Promise<unknown>;
  read(options: ReadOptions = {}): unknown {
    if (options.wait === false) {
      return this.#answers.length > 0 ? this.#answers.shift() : undefined;
    }
    if (this.#answers.length > 0) return Promise.resolve(this.#answers.shift());
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const cb = (v: unknown) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(v);
      };
      const onAbort = () => {
        this.#waiting.remove(cb);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiting.push(cb);
    });
  }

  /**
   * No more questions: once the queue is empty, the workers' `read()` returns `undefined`.
   * Answers can still be read.
   *
   * @example
   * ```ts
   * import { WorkQueue } from "./work_queue.ts";
   * new WorkQueue().close();
   * ```
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#questions.length === 0) {
      let r;
      while ((r = this.#readers.shift()) !== undefined) r(undefined, true);
    }
  }

  #deliver(item: unknown): void {
    let r;
    while ((r = this.#readers.shift()) !== undefined) {
      if (r(item, false)) return;
    }
    this.#questions.push(item);
  }

  #workerRead(reply: (value: unknown, done: boolean) => boolean): void {
    while (this.#questions.length > 0) {
      const item = this.#questions.shift();
      if (reply(item, false)) {
        if (this.#closed && this.#questions.length === 0) {
          let r;
          while ((r = this.#readers.shift()) !== undefined) r(undefined, true);
        }
        return;
      }
      this.#questions.push(item);
      this.#questions.moveLastToFront();
      return;
    }
    if (this.#closed) reply(undefined, true);
    else this.#readers.push(reply);
  }

  #workerWrite(items: unknown[]): void {
    for (const raw of items) {
      const item = _decodeItem(raw);
      const w = this.#waiting.shift();
      if (w !== undefined) w(item);
      else this.#answers.push(item);
    }
  }
}
