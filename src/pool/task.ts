/**
 * `task(fn)`: seed 004's `@bg.task` decorator.
 *
 * @module
 */
import { defaultPool } from "./default_pool.ts";
import { fnSource } from "./fn_source.ts";
import { Future } from "./future.ts";
import type { Pool, RunOptions } from "./pool.ts";

/** Options of {@linkcode task}. */
export interface TaskOptions {
  /** The pool to run on. @default the default pool ({@linkcode setPoolSize}) */
  pool?: Pool;
  /** Values the function may use by name. @default {} */
  capture?: Readonly<Record<string, unknown>>;
  /** Milliseconds each call may run. @default undefined (no limit) */
  timeout?: number;
  /** Priority of each call. @default 0 */
  priority?: number;
  /** Move buffers: `"auto"` moves every ArrayBuffer in the arguments. @default [] (copy) */
  transfer?: "auto";
}

/**
 * Turns a function into one that runs on a pool worker and returns a {@linkcode Future}. The
 * function runs in a clean scope: hand outside values over with `capture`.
 *
 * @param fn The function (not native, not bound).
 * @param options See {@linkcode TaskOptions}.
 * @returns A function with the same parameters whose calls return futures.
 * @throws {TypeError} At once when `fn` is native, bound or not a function.
 *
 * @example
 * ```ts
 * import { task } from "./task.ts";
 * const double = task((x: number) => x * 2);
 * const f = double(21);
 * f.isDone(); // false for now
 * console.assert(await f === 42);
 * ```
 */
export function task<A extends unknown[], R>(
  fn: (...args: A) => R,
  options: TaskOptions = {},
): (...args: A) => Future<Awaited<R>> {
  fnSource(fn); // refuse native and bound functions now
  const { pool, capture, timeout, priority, transfer } = options;
  return (...args: A): Future<Awaited<R>> => {
    const ac = new AbortController();
    const opts: RunOptions = { capture, timeout, priority, signal: ac.signal, transfer };
    const p = (pool ?? defaultPool()).run<Awaited<R>>(fn, args, opts);
    return new Future<Awaited<R>>(
      (resolve, reject) => p.then(resolve, reject),
      (reason) => ac.abort(reason),
    );
  };
}
