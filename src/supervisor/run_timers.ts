/**
 * The timers of running tasks: each run's timeout, counted from the run's start with its
 * pauses aside (those before a crash included), and the kill grace — a stop's signal, then
 * SIGKILL. A stop's intent (`kill` or `timeout`) is stored before its signal, so that a crash
 * between the two still ends the task as asked, not `lost`.
 *
 * @example
 * ```ts
 * const timers = new RunTimers({ store, killGraceMs: 5000 });
 * timers.start(task, run); // SIGTERM at startedAt + timeoutMs + paused time
 * timers.pause(task.id); // the timeout stops counting...
 * timers.resume(task.id); // ...and goes on from where it was
 * const { timedOut } = timers.end(task.id); // at the run's end
 * ```
 */
import type { RunningTask } from "../runner/running_task.ts";
import type { TaskStore } from "../store/task_store.ts";
import type { Task } from "../task/types.ts";

/** The longest delay setTimeout takes (a longer one fires at once). */
const MAX_DELAY_MS = 2 ** 31 - 1;

/** Options for {@linkcode RunTimers}. */
export interface RunTimersOptions {
  store: Pick<TaskStore, "setStop">;
  /** Time between a stop's signal and SIGKILL. @default 5000 */
  killGraceMs?: number;
  /** Where to report a stop the store refused (its signal is sent all the same). */
  log?: (line: string) => void;
  /** The clock (epoch ms). @default Date.now */
  now?: () => number;
}

/** How a run is stopped: why, and with which signal. */
export interface RunStopRequest {
  reason: "kill" | "timeout";
  signal: NodeJS.Signals;
}

interface Timed {
  task: Pick<Task, "id" | "attempt">;
  run: Pick<RunningTask, "kill">;
  timedOut: boolean;
  timeout?: ReturnType<typeof setTimeout>;
  /** When the timeout fires (epoch ms), while running. */
  deadline?: number;
  /** The time left of the timeout while paused. */
  remainingMs?: number;
}

/** Times out running tasks and stops them with a grace. */
export class RunTimers {
  #options: RunTimersOptions;
  #runs = new Map<number, Timed>();

  constructor(options: RunTimersOptions) {
    this.#options = options;
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }

  /**
   * Starts timing a run: its timeout (if any) fires at startedAt + timeoutMs + paused time; a
   * paused run's waits for its resume. `timedOut` carries a timeout stored before a crash.
   */
  start(
    task: Task,
    run: Pick<RunningTask, "kill">,
    { timedOut = false }: { timedOut?: boolean } = {},
  ): void {
    const timed: Timed = { task, run, timedOut };
    this.#runs.set(task.id, timed);
    if (task.timeoutMs === null) return;
    const left = task.timeoutMs - _ranMs(task, this.#now());
    if (task.status === "paused") timed.remainingMs = Math.max(0, left);
    else this.#arm(timed, left);
  }

  /** When run `id`'s timeout fires (epoch ms); undefined when paused, ended or without one. */
  deadline(id: number): number | undefined {
    return this.#runs.get(id)?.deadline;
  }

  /** The time left of paused run `id`'s timeout; undefined when running, ended or without one. */
  remaining(id: number): number | undefined {
    return this.#runs.get(id)?.remainingMs;
  }

  /** Stops counting run `id`'s timeout. */
  pause(id: number): void {
    const timed = this.#runs.get(id);
    if (!timed) return;
    clearTimeout(timed.timeout);
    if (timed.deadline !== undefined) timed.remainingMs = timed.deadline - this.#now();
    timed.deadline = undefined;
  }

  /** Goes on counting run `id`'s timeout from where it was. */
  resume(id: number): void {
    const timed = this.#runs.get(id);
    if (timed?.remainingMs !== undefined) this.#arm(timed, timed.remainingMs);
  }

  /**
   * Stores the stop's intent (a store that refuses does not hold the signal back), then sends
   * its signal, and SIGKILL after the grace. False, and no signal, when the run ended meanwhile.
   */
  async stop(id: number, stop: RunStopRequest): Promise<boolean> {
    const timed = this.#runs.get(id);
    if (!timed) return false;
    const { task } = timed;
    try {
      await this.#options.store.setStop(task.id, task.attempt, stop);
    } catch (error) {
      this.#options.log?.(
        `cannot store the ${stop.reason} of task ${task.id}: ${(error as Error).message}`,
      );
    }
    if (this.#runs.get(id) !== timed) return false; // ended meanwhile
    this.#signal(timed.run, stop.signal);
    return true;
  }

  /** Forgets an ended run; says whether it outlived its timeout (it ends as `timed_out`). */
  end(id: number): { timedOut: boolean } {
    const timed = this.#runs.get(id);
    if (!timed) return { timedOut: false };
    this.#runs.delete(id);
    clearTimeout(timed.timeout);
    return { timedOut: timed.timedOut };
  }

  #arm(timed: Timed, ms: number): void {
    clearTimeout(timed.timeout);
    timed.deadline = this.#now() + ms;
    timed.remainingMs = undefined;
    timed.timeout = setTimeout(() => {
      if (this.#runs.get(timed.task.id) !== timed) return;
      timed.timedOut = true;
      void this.stop(timed.task.id, { reason: "timeout", signal: "SIGTERM" });
    }, Math.min(Math.max(0, ms), MAX_DELAY_MS));
  }

  /** Sends `signal`, then SIGKILL after the grace. */
  #signal(run: Pick<RunningTask, "kill">, signal: NodeJS.Signals): void {
    run.kill(signal);
    if (signal === "SIGKILL") return;
    // After the grace, SIGKILL the whole group even if the task has been recorded meanwhile:
    // its command may have died of the signal while a child that ignores it lives on.
    setTimeout(() => run.kill("SIGKILL"), this.#options.killGraceMs ?? 5000);
  }
}

/** How long a run has run, its pauses aside (those before a crash included), at `now`. */
function _ranMs(task: Task, now: number): number {
  const paused = (task.pausedMs ?? 0) +
    (task.status === "paused" && task.pausedAt != null ? Math.max(0, now - task.pausedAt) : 0);
  return now - (task.startedAt ?? now) - paused;
}
