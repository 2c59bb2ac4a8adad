/**
 * A Promise you can poll and cancel, returned by the functions that {@linkcode task} makes.
 *
 * @module
 */

/**
 * A Promise with `isDone()`, `result()` and `cancel()` (seed 004's future). `then`/`catch` return
 * plain Promises.
 *
 * @example
 * ```ts
 * import { Future } from "./future.ts";
 * const f = new Future<number>((resolve) => setTimeout(() => resolve(42), 10));
 * f.isDone(); // false
 * await f.result(); // 42
 * f.isDone(); // true
 * ```
 */
export class Future<T> extends Promise<T> {
  /** `then`, `catch` and `finally` return plain Promises. */
  static override get [Symbol.species](): PromiseConstructor {
    return Promise;
  }

  #state: { done: boolean };
  #cancel: (reason?: unknown) => void;

  /**
   * Creates a future.
   *
   * @param executor As for `new Promise`.
   * @param cancel Called by {@linkcode Future.cancel}; it should make the future reject.
   * @default cancel does nothing
   */
  constructor(
    executor: (resolve: (value: T) => void, reject: (reason?: unknown) => void) => void,
    cancel: (reason?: unknown) => void = () => {},
  ) {
    const state = { done: false };
    super((resolve, reject) => {
      executor(
        (v) => {
          state.done = true;
          resolve(v);
        },
        (e) => {
          state.done = true;
          reject(e);
        },
      );
    });
    this.#state = state;
    this.#cancel = cancel;
    // A future that nobody awaits must not crash the process when it fails (as in Python).
    Promise.prototype.then.call(this, undefined, () => {});
  }

  /**
   * Whether the work finished (successfully or not).
   *
   * @example
   * ```ts
   * import { Future } from "./future.ts";
   * console.assert(!new Future(() => {}).isDone());
   * ```
   */
  isDone(): boolean {
    return this.#state.done;
  }

  /**
   * Waits for the value (rejects with the task's error).
   *
   * @param options `signal` stops waiting (the work goes on). @default {}
   * @example
   * ```ts
   * import { Future } from "./future.ts";
   * console.assert(await new Future<number>((r) => r(1)).result() === 1);
   * ```
   */
  result(options: { signal?: AbortSignal } = {}): Promise<T> {
    const signal = options.signal;
    if (signal === undefined) return Promise.resolve(this);
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      Promise.prototype.then.call(
        this,
        (v) => {
          signal.removeEventListener("abort", onAbort);
          resolve(v as T);
        },
        (e) => {
          signal.removeEventListener("abort", onAbort);
          reject(e);
        },
      );
    });
  }

  /**
   * Cancels the work: the future rejects with an `AbortError` (a running task gets its grace
   * period, then its worker is terminated). Does nothing once done.
   *
   * @example
   * ```ts
   * import { Future } from "./future.ts";
   * let stop = (_reason: unknown) => {};
   * const f = new Future((resolve, reject) => {
   *   const timer = setTimeout(resolve, 1e9);
   *   stop = (reason) => (clearTimeout(timer), reject(reason));
   * }, (reason) => stop(reason)); // a cancel should make the future reject
   * f.cancel(new Error("no longer needed"));
   * await f.result().catch((error) => console.log(error.message)); // "no longer needed"
   * ```
   */
  cancel(reason?: unknown): void {
    if (!this.#state.done) this.#cancel(reason);
  }
}
