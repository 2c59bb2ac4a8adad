/**
 * `BackgroundTask`: seed 000's pollable background task.
 *
 * @module
 */
import { Pool, type RunTarget } from "./pool.ts";

let _wrapping: { promise: Promise<unknown>; abort: AbortController } | undefined;

/**
 * Runs one function (by value, in a clean scope) or module export in the background on its own
 * worker, and lets you poll it. The worker stops once the task is done.
 *
 * @example
 * ```ts
 * import { BackgroundTask } from "./background_task.ts";
 * import { writeFileSync } from "node:fs";
 * import { join } from "node:path";
 * import { tmpdir } from "node:os";
 *
 * const model = join(tmpdir(), `model-${process.pid}.bin`);
 * writeFileSync(model, "weights");
 * const bg = new BackgroundTask(async (file: string) => {
 *   const { execFileSync } = await import("node:child_process");
 *   const t0 = performance.now();
 *   execFileSync("cp", [file, file + ".bak"]);
 *   return [0, (performance.now() - t0) / 1000];
 * }, model);
 * while (!bg.isDone()) await new Promise((r) => setTimeout(r, 100));
 * const [code, secs] = await bg.result() as [number, number];
 * ```
 */
export class BackgroundTask<R = unknown> {
  #done = false;
  #promise: Promise<R>;
  #abort = new AbortController();

  /**
   * Starts the task now.
   *
   * @param target A function (closures are refused: a free variable fails the task) or a module
   * URL with an optional `#export`.
   * @param args Its arguments (structured-clonable).
   * @throws {TypeError} At once for a native or bound function.
   */
  constructor(target: RunTarget, ...args: unknown[]) {
    let p: Promise<R>;
    if (_wrapping !== undefined) {
      p = _wrapping.promise as Promise<R>;
      this.#abort = _wrapping.abort;
      _wrapping = undefined;
    } else {
      const pool = new Pool({ size: 1 });
      p = pool.run<R>(target, args, { signal: this.#abort.signal }).finally(() =>
        void pool.close()
      );
    }
    this.#promise = p.finally(() => {
      this.#done = true;
    });
    this.#promise.catch(() => {});
  }

  /** @internal Wraps a run on a shared pool ({@linkcode BackgroundTaskPool}). */
  static _fromPromise<R>(promise: Promise<R>, abort: AbortController): BackgroundTask<R> {
    _wrapping = { promise, abort };
    return new BackgroundTask<R>(() => {});
  }

  /**
   * Whether the task finished (successfully or not).
   *
   * @example
   * ```ts
   * import { BackgroundTask } from "./background_task.ts";
   * const bg = new BackgroundTask(() => 1);
   * while (!bg.isDone()) await new Promise((r) => setTimeout(r, 10));
   * ```
   */
  isDone(): boolean {
    return this.#done;
  }

  /**
   * The task's return value (return an array for several values); rejects with its error.
   *
   * @example
   * ```ts
   * import { BackgroundTask } from "./background_task.ts";
   * const [a, b] = await new BackgroundTask(() => [1, 2]).result() as number[];
   * ```
   */
  result(): Promise<R> {
    return this.#promise;
  }

  /**
   * Cancels the task: `result()` rejects with an `AbortError`.
   *
   * @example
   * ```ts
   * import { BackgroundTask } from "./background_task.ts";
   * const bg = new BackgroundTask(() => new Promise(() => {}));
   * bg.cancel();
   * await bg.result().catch(() => {});
   * ```
   */
  cancel(): void {
    this.#abort.abort();
  }
}
