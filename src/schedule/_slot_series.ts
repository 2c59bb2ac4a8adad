/**
 * The slots of a recurrence as a searchable series, so that planning never enumerates a long
 * gap: intervals answer by arithmetic, cron by croner's forward and backward search (a forward
 * walk is capped at {@linkcode CRON_WALK_CAP} runs).
 *
 * @example
 * ```ts
 * const series = _slotSeries({ kind: "interval", everyMs: 1000, text: "1s" }, 0);
 * series.count(0, 10_000); // { count: 10, exact: true }
 * ```
 */
import { cronJob } from "./cron_pattern.ts";
import { _nextCronRun, _nextIntervalSlot, type Recurrence } from "./recurrence.ts";

/**
 * How many cron runs a forward walk visits at most (croner takes ~50-100 µs a run, so a capped
 * walk stays under ~0.1 s); past it a count is a lower bound.
 */
export const CRON_WALK_CAP = 1000;

/** Slots of one recurrence; every range is (after, upTo]: after exclusive, upTo inclusive. */
export interface _SlotSeries {
  /** The first slot > t, or null. */
  firstAfter(t: number): number | null;
  /** The newest `n` slots in (after, upTo], oldest first. */
  newest(after: number, upTo: number, n: number): number[];
  /** How many slots lie in (after, upTo]; `exact` false when a cron walk hit its cap. */
  count(after: number, upTo: number): { count: number; exact: boolean };
}

/** The series of `rec`, whose intervals start at `anchor`. */
export function _slotSeries(rec: Recurrence, anchor: number): _SlotSeries {
  return rec.kind === "interval" ? _intervalSeries(anchor, rec.everyMs) : _cronSeries(rec);
}

function _intervalSeries(anchor: number, everyMs: number): _SlotSeries {
  const lastAtOrBefore = (t: number) =>
    t < anchor ? null : anchor + Math.floor((t - anchor) / everyMs) * everyMs;
  const range = (after: number, upTo: number) => {
    const first = _nextIntervalSlot(anchor, everyMs, after);
    const last = lastAtOrBefore(upTo);
    return last === null || first > last ? null : { first, last };
  };
  return {
    firstAfter: (t) => _nextIntervalSlot(anchor, everyMs, t),
    newest(after, upTo, n) {
      const slots = range(after, upTo);
      if (!slots || n <= 0) return [];
      const total = (slots.last - slots.first) / everyMs + 1;
      const taken = Math.min(n, total);
      return Array.from({ length: taken }, (_, i) => slots.last - (taken - 1 - i) * everyMs);
    },
    count(after, upTo) {
      const slots = range(after, upTo);
      return { count: slots ? (slots.last - slots.first) / everyMs + 1 : 0, exact: true };
    },
  };
}

function _cronSeries(rec: Extract<Recurrence, { kind: "cron" }>): _SlotSeries {
  return {
    firstAfter: (t) => _nextCronRun(rec, t),
    newest(after, upTo, n) {
      if (upTo <= after || n <= 0) return [];
      // previousRuns is strictly before its reference: +1 ms keeps a run at upTo itself.
      return cronJob(rec.pattern, rec.timeZone)
        .previousRuns(n, new Date(upTo + 1))
        .map((date) => date.getTime())
        .filter((slot) => slot > after && slot <= upTo)
        .reverse();
    },
    count(after, upTo) {
      let count = 0;
      let slot = _nextCronRun(rec, after);
      while (slot !== null && slot <= upTo) {
        if (++count >= CRON_WALK_CAP) return { count, exact: _nextCronRun(rec, slot)! > upTo };
        slot = _nextCronRun(rec, slot);
      }
      return { count, exact: true };
    },
  };
}
