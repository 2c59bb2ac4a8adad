/**
 * A supervisor's lease on a shared store: it renews its heartbeat every tenth of its lease, and
 * sweeps for dead supervisors (any supervisor rescues the tasks of one whose lease ran out, on
 * the store's clock). When it cannot renew for 60 % of its lease it fences itself (stops
 * claiming, ends its own tasks: SIGTERM, SIGKILL a fifth of the lease later at most), so its
 * tasks have ended by 80–90 % of the lease — before the others may take it; an outage shorter
 * than half the lease costs nothing. When the store answers again it goes on. When the store
 * says its row is gone, it was declared dead: it must stop.
 *
 * The fencing deadline counts from when the last heartbeat that landed was *sent* (on this
 * host's monotonic clock); the store stamped it later than that, so the others' deadline (that
 * stamp + the lease, on the store's clock) falls after this host's tasks have ended.
 *
 * @example
 * ```ts
 * const lease = new HostLease({ store, owner, leaseMs: 10_000, onFence, onUnfence, onDead });
 * lease.start();
 * lease.stop();
 * ```
 */
import type { TaskStore } from "../store/task_store.ts";
import type { TaskEvent } from "../task/events.ts";

/** The part of the lease without a heartbeat after which a supervisor fences itself. */
export const FENCE_AT = 0.6;

/** Options for {@linkcode HostLease}. */
export interface HostLeaseOptions {
  store: Pick<TaskStore, "heartbeat" | "rescue">;
  owner: string;
  /** Dead after this long without a heartbeat. */
  leaseMs: number;
  /** Cut off for 60 % of the lease: stop claiming and end the running tasks (with this reason). */
  onFence(reason: string): void;
  /** The store answers again, and this supervisor still holds its lease. */
  onUnfence(): void;
  /** The others declared this supervisor dead (its row is gone): it must stop. */
  onDead(): void;
  /** Tasks of dead supervisors this one rescued (their events). */
  onRescued?(events: readonly TaskEvent[], deadHosts: readonly string[]): void;
  log?: (line: string) => void;
  /** The clock (ms, monotonic). @default performance.now */
  now?: () => number;
}

/** Keeps a supervisor's lease, fences it when cut off, and rescues dead supervisors' tasks. */
export class HostLease {
  #options: HostLeaseOptions;
  #timer: ReturnType<typeof setInterval> | undefined;
  #lastLanded: number;
  #inFlight = false;
  #fenced = false;
  #dead = false;

  constructor(options: HostLeaseOptions) {
    this.#options = options;
    this.#lastLanded = this.#now();
  }

  /** How often it renews and sweeps: a tenth of the lease (at least 100 ms). */
  get periodMs(): number {
    return Math.max(100, Math.floor(this.#options.leaseMs / 10));
  }

  /** Whether it is fenced now (cut off from the store for 60 % of its lease). */
  get fenced(): boolean {
    return this.#fenced;
  }

  start(): void {
    this.#lastLanded = this.#now();
    this.#timer = setInterval(() => this.#tick(), this.periodMs);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #now(): number {
    return (this.#options.now ?? (() => performance.now()))();
  }

  #tick(): void {
    if (this.#dead) return;
    const cutFor = this.#now() - this.#lastLanded;
    if (!this.#fenced && cutFor >= this.#options.leaseMs * FENCE_AT) {
      this.#fenced = true;
      this.#options.onFence(
        `the supervisor could not reach the store for ${
          (cutFor / 1000).toFixed(1)
        } s, so it ended its tasks before another host may run them again`,
      );
    }
    if (this.#inFlight) return;
    this.#inFlight = true;
    void this.#renew().finally(() => (this.#inFlight = false));
  }

  async #renew(): Promise<void> {
    const { store, owner, log } = this.#options;
    const sent = this.#now();
    let held: boolean;
    try {
      held = await _within(store.heartbeat(owner), this.periodMs * 2);
    } catch (error) {
      log?.(`cannot renew the heartbeat: ${(error as Error).message}`);
      return;
    }
    if (!held) {
      this.#dead = true;
      this.stop();
      this.#options.onDead();
      return;
    }
    this.#lastLanded = Math.max(this.#lastLanded, sent);
    if (this.#fenced) {
      this.#fenced = false;
      this.#options.onUnfence();
    }
    try {
      const { dead, events } = await _within(store.rescue(), this.periodMs * 2);
      if (dead.length || events.length) {
        this.#options.onRescued?.(events, dead.map((record) => record.host));
      }
    } catch (error) {
      log?.(`cannot look for dead hosts: ${(error as Error).message}`);
    }
  }
}

/** `promise`, or a rejection after `ms` (a store that hangs counts as one that fails). */
function _within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
  });
  promise.catch(() => {}); // a late failure after the timeout is not unhandled
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
