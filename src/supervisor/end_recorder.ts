/**
 * The batched recording of run ends: ends and started pids queue up and are stored in one
 * `finish()` transaction per turn of the loop. One batch is in flight at a time; ends arriving
 * meanwhile form the next, so under load batches grow by themselves. When the store refuses (a
 * full disk, a lost connection), the queue is kept and stored again later, with a growing
 * delay up to a minute, until it is stored.
 *
 * @example
 * ```ts
 * const recorder = new EndRecorder({ store, owner, onStored: (events) => waiters.seen(events) });
 * recorder.end({ id: 7, attempt: 1, outcome: { status: "succeeded", exitCode: 0 } });
 * await recorder.stored();
 * ```
 */
import type { RunEnd, RunStart, TaskStore } from "../store/task_store.ts";
import type { TaskEvent } from "../task/events.ts";

/** Options for {@linkcode EndRecorder}. */
export interface EndRecorderOptions {
  store: Pick<TaskStore, "finish">;
  /** The supervisor whose runs these are (finish() is fenced by it). */
  owner: string;
  /** Told after each stored batch: the events it wrote, and the ends it held. */
  onStored?: (events: readonly TaskEvent[], ends: readonly RunEnd[]) => void;
  /** Where to report a batch the store refused. */
  log?: (line: string) => void;
  /** How long a started pid alone waits for an end to go with. @default 20 */
  pidDelayMs?: number;
}

/** Queues run ends and starts, and stores them in batches. */
export class EndRecorder {
  #options: EndRecorderOptions;
  #ends: RunEnd[] = [];
  #started: RunStart[] = [];
  /** The ends being stored now. */
  #inFlight: readonly RunEnd[] = [];
  #flushing: Promise<void> | undefined;
  #flushQueued = false;
  #pidsTimer: ReturnType<typeof setTimeout> | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #failures = 0;
  #storedWaiters: (() => void)[] = [];

  constructor(options: EndRecorderOptions) {
    this.#options = options;
  }

  /** Queues how a run ended; stored on the next turn of the loop. */
  end(end: RunEnd): void {
    this.#ends.push(end);
    this.#schedule(true);
  }

  /**
   * Queues a started run's pid; it waits up to `pidDelayMs` to go with the next end in the same
   * transaction (it is there for `show`: recovery reads the waiter's own record).
   */
  started(start: RunStart): void {
    this.#started.push(start);
    this.#schedule(false);
  }

  /** The end of task `id` queued or being stored, if any (its state is "just ending"). */
  pending(id: number): RunEnd | undefined {
    return this.#ends.find((end) => end.id === id) ?? this.#inFlight.find((end) => end.id === id);
  }

  /**
   * Resolves once every end queued so far is stored (at once when none waits). While the store
   * refuses writes, it waits for the retry that succeeds.
   */
  stored(): Promise<void> {
    if (!this.#ends.length && !this.#started.length && !this.#flushing) return Promise.resolve();
    return new Promise((resolve) => this.#storedWaiters.push(resolve));
  }

  /** Stores the queue now (joining a batch in flight); resolves when that pass is done. */
  flush(): Promise<void> {
    this.#flushQueued = false;
    // This pass takes the pids and a refused batch along: their timers are moot.
    clearTimeout(this.#pidsTimer);
    clearTimeout(this.#retryTimer);
    this.#pidsTimer = this.#retryTimer = undefined;
    this.#flushing ??= this.#loop().finally(() => {
      this.#flushing = undefined;
      // Queued between the loop's last look and now: the next turn stores it.
      if (this.#ends.length || this.#started.length) this.#schedule(true);
      else this.#tellStored();
    });
    return this.#flushing;
  }

  #schedule(soon: boolean): void {
    if (this.#flushQueued) return;
    if (!soon) {
      this.#pidsTimer ??= setTimeout(() => {
        this.#pidsTimer = undefined;
        this.#schedule(true);
      }, this.#options.pidDelayMs ?? 20);
      return;
    }
    this.#flushQueued = true;
    setImmediate(() => void this.flush());
  }

  async #loop(): Promise<void> {
    while (this.#ends.length || this.#started.length) {
      const ends = this.#ends;
      const started = this.#started;
      this.#ends = [];
      this.#started = [];
      this.#inFlight = ends;
      let events: TaskEvent[];
      try {
        events = await this.#options.store.finish(this.#options.owner, ends, started);
        this.#failures = 0;
      } catch (error) {
        this.#ends.unshift(...ends);
        this.#started.unshift(...started);
        this.#inFlight = [];
        const delay = Math.min(1000 * 2 ** this.#failures++, 60_000);
        this.#options.log?.(
          `cannot record ${ends.length} task end(s) (${
            (error as Error).message
          }); retrying in ${delay} ms`,
        );
        this.#flushQueued = true;
        this.#retryTimer = setTimeout(() => void this.flush(), delay);
        return;
      }
      this.#inFlight = [];
      this.#options.onStored?.(events, ends);
    }
  }

  #tellStored(): void {
    if (this.#ends.length || this.#started.length || this.#flushing) return;
    const waiters = this.#storedWaiters;
    this.#storedWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
