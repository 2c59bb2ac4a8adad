/**
 * One reader of the store's events outbox for all of a dashboard's browsers: it polls
 * `store.events(cursor)` (every 100 ms while anyone listens; PostgreSQL's NOTIFY wakes it sooner)
 * and hands each subscriber the events past its own cursor, so a browser that reconnects with
 * Last-Event-ID gets exactly what it missed, once.
 *
 * @example
 * ```ts
 * const hub = new EventHub(store);
 * const stop = await hub.subscribe(lastEventId, (events) => send(events));
 * stop();
 * await hub.close();
 * ```
 */
import type { TaskStore } from "../store/task_store.ts";
import type { TaskEvent } from "../task/events.ts";

/** Options for {@linkcode EventHub}. */
export interface EventHubOptions {
  /** Ms between polls while someone listens. @default 100 */
  pollMs?: number;
}

interface Subscriber {
  cursor: number;
  deliver: (events: TaskEvent[]) => void;
}

/** The shared outbox reader. */
export class EventHub {
  readonly #store: TaskStore;
  readonly #pollMs: number;
  readonly #subscribers = new Set<Subscriber>();
  #cursor: number | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #polling: Promise<void> | undefined;
  #stopListening: (() => Promise<void>) | undefined;
  #closed = false;

  constructor(store: TaskStore, options: EventHubOptions = {}) {
    this.#store = store;
    this.#pollMs = options.pollMs ?? 100;
  }

  /**
   * Calls `deliver` with every event after `after` (undefined: from now on), in id order, until
   * the returned function is called. Events already past are replayed first.
   */
  async subscribe(
    after: number | undefined,
    deliver: (events: TaskEvent[]) => void,
  ): Promise<() => void> {
    if (this.#cursor === undefined) this.#cursor = await this.#store.lastEventId();
    const subscriber: Subscriber = { cursor: after ?? this.#cursor, deliver };
    // Replay up to the hub's cursor; the polls deliver the rest (each only past the cursor).
    while (subscriber.cursor < this.#cursor) {
      const events = await this.#store.events(subscriber.cursor, { limit: 1000 });
      if (!events.length) break;
      subscriber.cursor = events[events.length - 1].id;
      deliver(events);
    }
    this.#subscribers.add(subscriber);
    await this.#start();
    return () => {
      this.#subscribers.delete(subscriber);
    };
  }

  /** Polls once now (a test, or a hint that events were written). */
  async poll(): Promise<void> {
    this.#polling ??= this.#pollOnce().finally(() => (this.#polling = undefined));
    await this.#polling;
  }

  /** Stops polling and listening. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#polling;
    await this.#stopListening?.();
  }

  async #start(): Promise<void> {
    if (this.#timer !== undefined || this.#closed) return;
    this.#stopListening ??= await this.#store.listen("events", () => void this.poll());
    const tick = async () => {
      if (this.#closed) return;
      if (this.#subscribers.size) {
        try {
          await this.poll();
        } catch {
          // The store is away for a moment (PostgreSQL reconnecting): the next poll retries.
        }
      }
      this.#timer = setTimeout(tick, this.#pollMs);
    };
    this.#timer = setTimeout(tick, this.#pollMs);
  }

  async #pollOnce(): Promise<void> {
    for (;;) {
      const cursor = this.#cursor ?? 0;
      const events = await this.#store.events(cursor, { limit: 1000 });
      if (!events.length) return;
      this.#cursor = events[events.length - 1].id;
      for (const subscriber of this.#subscribers) {
        const fresh = events.filter((event) => event.id > subscriber.cursor);
        if (!fresh.length) continue;
        subscriber.cursor = fresh[fresh.length - 1].id;
        subscriber.deliver(fresh);
      }
      if (events.length < 1000) return;
    }
  }
}
