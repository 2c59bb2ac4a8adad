/**
 * Rings when events may have been written: the supervisor's own writes, a client's notify or
 * wake-up, a NOTIFY of the shared store. The hook loop and the `events` long polls listen.
 *
 * @example
 * ```ts
 * const bell = new EventBell();
 * bell.onRing(() => hooks.wake());
 * await bell.next(1000, signal); // a ring, the timeout or the abort, whichever comes first
 * ```
 */
export class EventBell {
  #listeners = new Set<() => void>();

  /** Tells every listener and every parked `next`. */
  ring(): void {
    for (const listener of [...this.#listeners]) listener();
  }

  /** Calls `listener` on every ring; returns what stops it. */
  onRing(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves at the next ring, after `timeoutMs`, or when the signal aborts. */
  next(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        stop();
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      const stop = this.onRing(done);
      if (signal?.aborted) done();
      else signal?.addEventListener("abort", done, { once: true });
    });
  }
}
