/**
 * The worker-side view of the running task: `import { context } from "bgt"` inside a module or
 * function that runs on a pool worker.
 *
 * @module
 */
import { MSG_EVENT, type PoolEvent } from "./_protocol.ts";
import { _state, _writeOutput } from "./_worker_state.ts";

/** What a task can read about itself and report while it runs. */
export interface TaskContext {
  /** The id given with `run(…, { context: { id } })`; `undefined` when none was given. */
  readonly id: number | undefined;
  /** The attempt number given with the context; `undefined` when none was given. */
  readonly attempt: number | undefined;
  /**
   * The task's metadata. With a patch, merges it first (a `null` value deletes its key) and
   * reports it as a `{ type: "meta" }` event, so the supervisor stores it (seed 002's
   * `applyMeta`); returns the merged map either way.
   *
   * @example
   * ```ts
   * context.meta({ stage: "upload", retriesLeft: null });
   * context.meta().stage; // "upload"
   * ```
   */
  meta(patch?: Record<string, unknown>): Readonly<Record<string, unknown>>;
  /**
   * Saves a checkpoint as a `{ type: "checkpoint" }` event: a retried or restarted attempt of
   * the same task receives the last one as {@linkcode TaskContext.lastCheckpoint}.
   */
  checkpoint(value: unknown): void;
  /** The last checkpoint an earlier attempt saved; `undefined` when there is none. */
  readonly lastCheckpoint: unknown;
  /** Aborted when the run is cancelled or times out. The task has a grace period to stop. */
  readonly signal: AbortSignal;
  /**
   * Reports progress as a `{ type: "progress" }` event to the run's `onEvent`.
   *
   * @param fraction A number from 0 to 1.
   * @param message An optional note.
   * @throws {RangeError} When `fraction` is not a number from 0 to 1.
   */
  progress(fraction: number, message?: string): void;
  /**
   * Reports a data record as a `{ type: "data" }` event to the run's `onEvent`.
   *
   * @param value Any structured-clonable value.
   */
  emit(value: unknown): void;
}

const _neverAborted = new AbortController().signal;

function _post(event: PoolEvent): void {
  const cur = _state.current;
  if (cur === undefined || _state.post === undefined) return;
  _state.beforeEvent?.();
  _state.post({ t: MSG_EVENT, id: cur.id, e: event });
}

/**
 * The running task's context. Outside a pool worker (or between tasks) `id` is `undefined`,
 * `signal` never aborts and `progress`/`emit` do nothing, so library code may call them freely.
 *
 * @example
 * ```ts
 * // job.ts, run with pool.run(new URL("./job.ts", import.meta.url), [], { context: { id: 7 } })
 * import { context } from "bgt";
 * export default async function () {
 *   for (let i = 1; i <= 10 && !context.signal.aborted; i++) context.progress(i / 10, `step ${i}`);
 *   context.emit({ task: context.id, ok: true });
 * }
 * ```
 */
export const context: TaskContext = Object.freeze({
  get id(): number | undefined {
    const o = _state.current?.opts;
    return o ? o.ctx?.id : undefined;
  },
  get attempt(): number | undefined {
    const o = _state.current?.opts;
    return o ? o.ctx?.attempt : undefined;
  },
  meta(patch?: Record<string, unknown>): Readonly<Record<string, unknown>> {
    const ctx = _state.current?.opts ? _state.current.opts.ctx : undefined;
    if (patch === undefined) return { ...(ctx?.meta ?? {}) };
    if (typeof patch !== "object" || patch === null || Array.isArray(patch)) {
      throw new TypeError("Cannot merge meta: expected an object of keys and values");
    }
    const merged: Record<string, unknown> = { ...(ctx?.meta ?? {}) };
    for (const [key, value] of Object.entries(patch)) {
      if (value === null) delete merged[key];
      else merged[key] = value;
    }
    if (ctx) ctx.meta = merged;
    _post({ type: "meta", patch });
    return { ...merged };
  },
  checkpoint(value: unknown): void {
    const ctx = _state.current?.opts ? _state.current.opts.ctx : undefined;
    if (ctx) ctx.checkpoint = value;
    _post({ type: "checkpoint", value });
  },
  get lastCheckpoint(): unknown {
    const o = _state.current?.opts;
    return o ? o.ctx?.checkpoint : undefined;
  },
  get signal(): AbortSignal {
    const cur = _state.current;
    if (cur === undefined) return _neverAborted;
    if (cur.controller === undefined) {
      cur.controller = new AbortController();
      if (cur.aborted) cur.controller.abort(_abortReason());
    }
    return cur.controller.signal;
  },
  progress(fraction: number, message?: string): void {
    if (typeof fraction !== "number" || !(fraction >= 0 && fraction <= 1)) {
      throw new RangeError(`Cannot report progress: fraction must be from 0 to 1, got ${fraction}`);
    }
    _post(
      message === undefined ? { type: "progress", fraction } : {
        type: "progress",
        fraction,
        message: String(message),
      },
    );
  },
  emit(value: unknown): void {
    const cur = _state.current;
    if (cur?.opts?.out) {
      let line: string;
      try {
        line = `${JSON.stringify(value) ?? "null"}\n`;
      } catch (error) {
        throw new TypeError(`Cannot emit the record: ${(error as Error).message}`);
      }
      _writeOutput(cur, "data", line);
      return;
    }
    _post({ type: "data", value });
  },
});

/** @internal The reason a running task's signal is aborted with. */
export function _abortReason(): Error {
  const e = new Error("The task was cancelled");
  e.name = "AbortError";
  return e;
}
