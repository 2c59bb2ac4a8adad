/**
 * `BackgroundTaskPool`: many pollable background tasks on `n` workers.
 *
 * @module
 */
import { BackgroundTask } from "./background_task.ts";
import { Pool, type RunTarget } from "./pool.ts";

/**
 * A pool of `n` workers for many {@linkcode BackgroundTask}s.
 *
 * @example
 * ```ts
 * import { BackgroundTaskPool } from "./background_task_pool.ts";
 * const pool = new BackgroundTaskPool(4);
 * const tasks = [1, 2, 3].map((x) => pool.add((y: number) => y * y, x));
 * console.log(pool.isDone(), await pool.results()); // false [1, 4, 9]
 * await pool.close();
 * ```
 */
export class BackgroundTaskPool {
  #pool: Pool;
  #tasks: BackgroundTask[] = [];

  /**
   * Creates the pool.
   *
   * @param n Workers. @default the available cores
   * @throws {RangeError} When `n` is not an integer ≥ 1.
   */
  constructor(n?: number) {
    this.#pool = new Pool(n === undefined ? {} : { size: n });
  }

  /**
   * Starts a task.
   *
   * @param target A function given by value or a module URL with an optional `#export`.
   * @param args Its arguments.
   * @returns The pollable task.
   * @throws {TypeError} At once for a native or bound function.
   *
   * @example
   * ```ts
   * import { BackgroundTaskPool } from "./background_task_pool.ts";
   * const pool = new BackgroundTaskPool(1);
   * const t = pool.add(() => 42);
   * await t.result();
   * await pool.close();
   * ```
   */
  add<R = unknown>(target: RunTarget, ...args: unknown[]): BackgroundTask<R> {
    const abort = new AbortController();
    const t = BackgroundTask._fromPromise(
      this.#pool.run<R>(target, args, { signal: abort.signal }),
      abort,
    );
    this.#tasks.push(t as BackgroundTask);
    return t;
  }

  /**
   * Whether every task added so far is done.
   *
   * @example
   * ```ts
   * import { BackgroundTaskPool } from "./background_task_pool.ts";
   * console.assert(new BackgroundTaskPool(1).isDone());
   * ```
   */
  isDone(): boolean {
    return this.#tasks.every((t) => t.isDone());
  }

  /**
   * The results of every task added so far, in order; rejects with the first failure.
   *
   * @example
   * ```ts
   * import { BackgroundTaskPool } from "./background_task_pool.ts";
   * const pool = new BackgroundTaskPool(1);
   * pool.add(() => 1);
   * console.assert((await pool.results())[0] === 1);
   * await pool.close();
   * ```
   */
  results(): Promise<unknown[]> {
    return Promise.all(this.#tasks.map((t) => t.result()));
  }

  /**
   * Waits for the tasks, then stops the workers.
   *
   * @example
   * ```ts
   * import { BackgroundTaskPool } from "./background_task_pool.ts";
   * await new BackgroundTaskPool(1).close();
   * ```
   */
  close(): Promise<void> {
    return this.#pool.close();
  }
}
