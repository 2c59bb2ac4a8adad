/**
 * The claim loop: on a wake, one pass fires the due schedules, claims what fits (the `claim`
 * it is given) and sleeps until the next run_at or schedule firing — never polling the table.
 * One pass is in flight at a time (two would both see the same free slots); wakes during one
 * ask for one more after it, however many they are.
 *
 * @example
 * ```ts
 * const loop = new ClaimLoop({ store, claim: async () => startAll(await store.claim(owner, room)) });
 * loop.wake(); // a notify, a task's end
 * loop.stop(); // draining: no pass after this
 * ```
 */
import type { TaskStore } from "../store/task_store.ts";
import { fireDueSchedules } from "../schedule/fire_schedules.ts";

/** The longest delay setTimeout takes (a longer one fires at once). */
const MAX_DELAY_MS = 2 ** 31 - 1;

/** Options for {@linkcode ClaimLoop}. */
export interface ClaimLoopOptions {
  store: TaskStore;
  /** Claims the due tasks that fit, and starts them. */
  claim: () => Promise<void>;
  /** Where to report a pass that failed (the next wake tries again). */
  log?: (line: string) => void;
}

/** Runs claim passes on wakes, one at a time, and wakes itself at the next run time. */
export class ClaimLoop {
  #options: ClaimLoopOptions;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** The delay the timer was armed with (for tests and status). */
  #sleepMs: number | undefined;
  #wakeQueued = false;
  #stopped = false;
  /** A pass is in flight; a wake meanwhile asks for one more (`#again`). */
  #passing = false;
  #again = false;

  constructor(options: ClaimLoopOptions) {
    this.#options = options;
  }

  /** Ms the loop sleeps for until its own next pass, as armed after the last pass; undefined: none. */
  get sleepingFor(): number | undefined {
    return this.#sleepMs;
  }

  /** Asks for a pass soon (coalesced: many wakes, one pass; one more if a pass is in flight). */
  wake(): void {
    if (this.#stopped) return;
    if (this.#passing) {
      this.#again = true;
      return;
    }
    if (this.#wakeQueued) return;
    this.#wakeQueued = true;
    queueMicrotask(() => {
      this.#wakeQueued = false;
      void this.#loop();
    });
  }

  /** No pass starts after this (one in flight ends); the timer is cleared. */
  stop(): void {
    this.#stopped = true;
    this.#clearTimer();
  }

  async #loop(): Promise<void> {
    if (this.#passing) {
      this.#again = true;
      return;
    }
    this.#passing = true;
    try {
      do {
        this.#again = false;
        await this.#pass();
      } while (this.#again && !this.#stopped);
    } catch (error) {
      // The next wake (an end, a notify, the timer) tries again.
      this.#options.log?.(`cannot claim tasks: ${(error as Error).message}`);
    } finally {
      this.#passing = false;
    }
  }

  async #pass(): Promise<void> {
    this.#clearTimer();
    if (this.#stopped) return;
    await this.#fireSchedules();
    if (this.#stopped) return;
    await this.#options.claim();
    await this.#armTimer();
  }

  async #fireSchedules(): Promise<void> {
    try {
      await fireDueSchedules(this.#options.store, this.#options.log);
    } catch (error) {
      this.#options.log?.(`cannot fire schedules: ${(error as Error).message}`);
    }
  }

  /** Sleeps until the next run_at or schedule firing (a task's end also wakes the loop). */
  async #armTimer(): Promise<void> {
    // Only a run time still ahead: a task already due that the pass did not claim waits for a
    // slot, its group or a resume, and each of those wakes the loop. A delay, not an instant:
    // the store's clock decides.
    const delay = await this.#options.store.nextWakeIn();
    if (delay === undefined || this.#stopped) return;
    this.#clearTimer();
    this.#sleepMs = Math.min(delay, MAX_DELAY_MS);
    this.#timer = setTimeout(() => this.wake(), this.#sleepMs);
  }

  #clearTimer(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#sleepMs = undefined;
  }
}
