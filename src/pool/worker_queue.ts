/**
 * The worker side of a {@linkcode WorkQueue}: `import { workQueue } from "bgt"` in a task started
 * by `queue.map(n, fn)` (or `pool.run(…, { queue })`).
 *
 * @module
 */
import { MSG_QUEUE_READ, MSG_QUEUE_WRITE } from "./_protocol.ts";
import { _state } from "./_worker_state.ts";
import { _checkItem, _decodeItem, _encodeFn } from "./_queue_items.ts";
import { findTransferables } from "./transfer.ts";

/** Options of {@linkcode WorkerQueue.read}. */
export interface WorkerReadOptions {
  /** Aborts the wait; the read then rejects with the signal's reason. @default undefined */
  signal?: AbortSignal;
}

/** The worker side of a work queue: read questions, write answers. */
export interface WorkerQueue {
  /**
   * Takes the next question, waiting for one. Resolves to `undefined` once the owner closed the
   * queue and every question was taken (the seed's `nil`).
   */
  read(options?: WorkerReadOptions): Promise<unknown>;
  /** Writes answers for the owner; each item is one owner `read()`. ArrayBuffers in them move. */
  write(...items: unknown[]): void;
  /** Writes a function by value with its captured values (the seed's `writeup`). */
  writeFn(fn: (...args: any[]) => unknown, capture?: Record<string, unknown>): void;
}

function _queueId(verb: string): number {
  const q = _state.current?.opts ? _state.current.opts.q : undefined;
  if (q === undefined || _state.post === undefined) {
    throw new Error(
      `Cannot ${verb} the work queue: this task was not started by a WorkQueue; start it with queue.map(n, fn)`,
    );
  }
  return q;
}

/**
 * The work queue bound to the running task.
 *
 * @example
 * ```ts
 * import { WorkQueue } from "bgt";
 *
 * const queue = new WorkQueue();
 * // Inside a function started with `queue.map(2, fn)`, workQueue is that queue:
 * const done = queue.map(2, async () => {
 *   const { workQueue } = await import("bgt");
 *   for (let name; (name = await workQueue.read()) !== undefined;) {
 *     workQueue.write(`loaded ${name}`);
 *   }
 * });
 * queue.write("a.csv");
 * console.log(await queue.read()); // "loaded a.csv"
 * queue.close();
 * await done;
 * ```
 */
export const workQueue: WorkerQueue = Object.freeze({
  read(options: WorkerReadOptions = {}): Promise<unknown> {
    const q = _queueId("read");
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const r = _state.nextRead++;
    return new Promise<unknown>((resolve, reject) => {
      const onAbort = () => {
        _state.reads.delete(r);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      _state.reads.set(r, (m) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(m.d ? undefined : _decodeItem(m.v));
      });
      _state.post!({ t: MSG_QUEUE_READ, q, r });
    });
  },
  write(...items: unknown[]): void {
    const q = _queueId("write to");
    for (const it of items) _checkItem(it);
    _state.beforeEvent?.();
    _state.post!({ t: MSG_QUEUE_WRITE, q, items }, findTransferables(items));
  },
  writeFn(fn: (...args: any[]) => unknown, capture?: Record<string, unknown>): void {
    const q = _queueId("write to");
    const item = _encodeFn(fn, capture);
    _state.beforeEvent?.();
    _state.post!({ t: MSG_QUEUE_WRITE, q, items: [item] }, findTransferables(item));
  },
});
