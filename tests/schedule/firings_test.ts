import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CRON_WALK_CAP, planFirings } from "../../src/schedule/firings.ts";
import { parseRecurrence } from "../../src/schedule/recurrence.ts";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const YEAR = 365 * 24 * HOUR;
const everyMinute = parseRecurrence("1m");
const utc = (y: number, mo: number, d: number, h = 0, mi = 0) => Date.UTC(y, mo - 1, d, h, mi);

/** Five one-minute slots (1..5 min) since lastSlot 0, the newest `lateMs` behind now. */
const missedFive = (lateMs: number) => ({ anchor: 0, lastSlot: 0, now: 5 * MINUTE + lateMs });

describe("planFirings() for intervals", () => {
  it("fires the anchor slot on time and plans the next", () => {
    const plan = planFirings(everyMinute, { anchor: 0, lastSlot: null, now: 200, catchUp: "once" });
    assert.deepEqual(plan, { fire: [0], skipped: 0, next: MINUTE, lastSlot: 0 });
  });

  it("fires nothing before a slot is due", () => {
    const plan = planFirings(everyMinute, { anchor: 0, lastSlot: 0, now: 30_000, catchUp: "all" });
    assert.deepEqual(plan, { fire: [], skipped: 0, next: MINUTE, lastSlot: 0 });
  });

  it("fires an on-time slot under every policy", () => {
    for (const catchUp of ["once", "all", "none"] as const) {
      const plan = planFirings(everyMinute, { anchor: 0, lastSlot: 0, now: MINUTE + 300, catchUp });
      assert.deepEqual(
        plan,
        { fire: [MINUTE], skipped: 0, next: 2 * MINUTE, lastSlot: MINUTE },
        catchUp,
      );
    }
  });

  it("catches up missed slots: once fires the newest, all fires each, none fires none", () => {
    const late = missedFive(30_000);
    const slots = [1, 2, 3, 4, 5].map((k) => k * MINUTE);
    const common = { next: 6 * MINUTE, lastSlot: 5 * MINUTE };
    assert.deepEqual(planFirings(everyMinute, { ...late, catchUp: "once" }), {
      fire: [5 * MINUTE],
      skipped: 4,
      ...common,
    });
    assert.deepEqual(planFirings(everyMinute, { ...late, catchUp: "all" }), {
      fire: slots,
      skipped: 0,
      ...common,
    });
    assert.deepEqual(planFirings(everyMinute, { ...late, catchUp: "none" }), {
      fire: [],
      skipped: 5,
      ...common,
    });
  });

  it("under 'none' still fires the newest slot when it is on time", () => {
    const plan = planFirings(everyMinute, { ...missedFive(200), catchUp: "none" });
    assert.deepEqual(plan.fire, [5 * MINUTE]);
    assert.equal(plan.skipped, 4);
    const strict = planFirings(everyMinute, { ...missedFive(200), catchUp: "none", onTimeMs: 100 });
    assert.deepEqual(strict.fire, []);
  });

  it("caps 'all' by limit and remainingRuns, keeping the newest slots", () => {
    const limited = planFirings(everyMinute, { ...missedFive(30_000), catchUp: "all", limit: 2 });
    assert.deepEqual(limited, {
      fire: [4 * MINUTE, 5 * MINUTE],
      skipped: 3,
      next: 6 * MINUTE,
      lastSlot: 5 * MINUTE,
    });
    const threeLeft = planFirings(everyMinute, {
      ...missedFive(30_000),
      catchUp: "all",
      window: { remainingRuns: 3 },
    });
    assert.deepEqual(threeLeft, {
      fire: [3 * MINUTE, 4 * MINUTE, 5 * MINUTE],
      skipped: 2,
      next: null, // no runs remain
      lastSlot: 5 * MINUTE,
    });
    const plenty = planFirings(everyMinute, {
      ...missedFive(30_000),
      catchUp: "all",
      window: { remainingRuns: 10 },
    });
    assert.equal(plenty.fire.length, 5);
    assert.equal(plenty.next, 6 * MINUTE);
  });

  it("fires nothing and plans nothing when no runs remain", () => {
    for (const catchUp of ["once", "all", "none"] as const) {
      const plan = planFirings(everyMinute, {
        ...missedFive(0),
        catchUp,
        window: { remainingRuns: 0 },
      });
      assert.deepEqual(plan.fire, []);
      assert.equal(plan.next, null);
    }
    const lastRun = planFirings(everyMinute, {
      ...missedFive(0),
      catchUp: "once",
      window: { remainingRuns: 1 },
    });
    assert.deepEqual(lastRun.fire, [5 * MINUTE]);
    assert.equal(lastRun.next, null);
  });

  it("keeps to the window: nothing before startAt, nothing after stopAt (both inclusive)", () => {
    const fromThird = planFirings(everyMinute, {
      ...missedFive(30_000),
      catchUp: "all",
      window: { startAt: 3 * MINUTE },
    });
    assert.deepEqual(fromThird.fire, [3 * MINUTE, 4 * MINUTE, 5 * MINUTE]);
    const untilThird = planFirings(everyMinute, {
      ...missedFive(30_000),
      catchUp: "all",
      window: { stopAt: 3 * MINUTE },
    });
    assert.deepEqual(untilThird, {
      fire: [MINUTE, 2 * MINUTE, 3 * MINUTE],
      skipped: 0,
      next: null,
      lastSlot: 3 * MINUTE,
    });
    const notYet = planFirings(everyMinute, {
      anchor: 0,
      lastSlot: null,
      now: 90_000,
      catchUp: "once",
      window: { startAt: 150_000 },
    });
    assert.deepEqual(notYet, { fire: [], skipped: 0, next: 3 * MINUTE, lastSlot: null });
  });

  it("plans from the last slot when the clock went back", () => {
    const plan = planFirings(everyMinute, {
      anchor: 0,
      lastSlot: 10 * MINUTE,
      now: 5 * MINUTE,
      catchUp: "all",
    });
    assert.deepEqual(plan, { fire: [], skipped: 0, next: 11 * MINUTE, lastSlot: 10 * MINUTE });
  });

  it("handles a 1s interval missed for a year by arithmetic", () => {
    const everySecond = parseRecurrence("1s");
    const state = { anchor: 0, lastSlot: 0, now: YEAR + 400 };
    assert.deepEqual(planFirings(everySecond, { ...state, catchUp: "once" }), {
      fire: [YEAR],
      skipped: YEAR / 1000 - 1,
      next: YEAR + 1000,
      lastSlot: YEAR,
    });
    const all = planFirings(everySecond, { ...state, catchUp: "all" });
    assert.equal(all.fire.length, 1000);
    assert.equal(all.fire[0], YEAR - 999_000);
    assert.equal(all.fire.at(-1), YEAR);
    assert.equal(all.skipped, YEAR / 1000 - 1000);
    assert.deepEqual(planFirings(everySecond, { ...state, catchUp: "none", onTimeMs: 100 }), {
      fire: [],
      skipped: YEAR / 1000,
      next: YEAR + 1000,
      lastSlot: YEAR,
    });
  });

  it("refuses nonsense limits", () => {
    const state = { ...missedFive(0), catchUp: "all" as const };
    assert.throws(
      () => planFirings(everyMinute, { ...state, window: { remainingRuns: -1 } }),
      RangeError,
    );
    assert.throws(() => planFirings(everyMinute, { ...state, limit: 0 }), RangeError);
    assert.throws(() => planFirings(everyMinute, { ...state, onTimeMs: -1 }), RangeError);
  });
});

describe("planFirings() for cron", () => {
  const hourly = parseRecurrence("hour", { timeZone: "UTC" });

  it("treats slots from the anchor on as due when nothing was handled yet", () => {
    const plan = planFirings(hourly, {
      anchor: utc(2026, 6, 15, 10, 30),
      lastSlot: null,
      now: utc(2026, 6, 15, 13) + 200,
      catchUp: "all",
    });
    assert.deepEqual(plan, {
      fire: [utc(2026, 6, 15, 11), utc(2026, 6, 15, 12), utc(2026, 6, 15, 13)],
      skipped: 0,
      next: utc(2026, 6, 15, 14),
      lastSlot: utc(2026, 6, 15, 13),
    });
  });

  it("applies once, all and none to missed hours", () => {
    const state = { anchor: 0, lastSlot: utc(2026, 6, 15, 10), now: utc(2026, 6, 15, 13, 20) };
    const common = { next: utc(2026, 6, 15, 14), lastSlot: utc(2026, 6, 15, 13) };
    assert.deepEqual(planFirings(hourly, { ...state, catchUp: "once" }), {
      fire: [utc(2026, 6, 15, 13)],
      skipped: 2,
      ...common,
    });
    assert.deepEqual(planFirings(hourly, { ...state, catchUp: "all" }), {
      fire: [utc(2026, 6, 15, 11), utc(2026, 6, 15, 12), utc(2026, 6, 15, 13)],
      skipped: 0,
      ...common,
    });
    assert.deepEqual(planFirings(hourly, { ...state, catchUp: "none" }), {
      fire: [],
      skipped: 3,
      ...common,
    });
  });

  it("keeps to the window and the run limit", () => {
    const plan = planFirings(hourly, {
      anchor: 0,
      lastSlot: utc(2026, 6, 15, 10),
      now: utc(2026, 6, 15, 13, 20),
      catchUp: "all",
      window: { startAt: utc(2026, 6, 15, 11, 30), stopAt: utc(2026, 6, 15, 14) },
    });
    assert.deepEqual(plan, {
      fire: [utc(2026, 6, 15, 12), utc(2026, 6, 15, 13)],
      skipped: 0,
      next: utc(2026, 6, 15, 14), // stopAt is inclusive
      lastSlot: utc(2026, 6, 15, 13),
    });
    const ended = planFirings(hourly, {
      anchor: 0,
      lastSlot: utc(2026, 6, 15, 10),
      now: utc(2026, 6, 15, 13, 20),
      catchUp: "once",
      window: { stopAt: utc(2026, 6, 15, 13, 59) },
    });
    assert.equal(ended.next, null);
  });

  it("fires both runs of a stepped pattern in the Berlin fall-back hour, one of a fixed one", () => {
    const halfHourly = parseRecurrence("*/30 * * * *", { timeZone: "Europe/Berlin" });
    const overlap = planFirings(halfHourly, {
      anchor: 0,
      lastSlot: utc(2026, 10, 24, 23, 30),
      now: utc(2026, 10, 25, 1, 45),
      catchUp: "all",
    });
    assert.deepEqual(overlap.fire, [
      utc(2026, 10, 25, 0),
      utc(2026, 10, 25, 0, 30),
      utc(2026, 10, 25, 1),
      utc(2026, 10, 25, 1, 30),
    ]);
    const halfPastTwo = parseRecurrence("30 2 * * *", { timeZone: "Europe/Berlin" });
    const weekend = planFirings(halfPastTwo, {
      anchor: 0,
      lastSlot: utc(2026, 10, 24, 0, 30),
      now: utc(2026, 10, 26, 12),
      catchUp: "all",
    });
    assert.deepEqual(weekend.fire, [utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)]);
  });

  it("stays fast for a every-second cron missed for a year, counting at most the walk cap", () => {
    const everySecond = parseRecurrence("* * * * * *", { timeZone: "UTC" });
    const state = { anchor: 0, lastSlot: 0, now: YEAR + 400 };
    const once = planFirings(everySecond, { ...state, catchUp: "once" });
    assert.deepEqual(once.fire, [YEAR]);
    assert.equal(once.skipped, CRON_WALK_CAP - 1); // a lower bound past the cap
    assert.equal(once.next, YEAR + 1000);
    const none = planFirings(everySecond, { ...state, catchUp: "none", onTimeMs: 100 });
    assert.deepEqual(none.fire, []);
    assert.equal(none.skipped, CRON_WALK_CAP);
    assert.equal(none.lastSlot, YEAR);
    const all = planFirings(everySecond, { ...state, catchUp: "all", limit: 50 });
    assert.equal(all.fire.length, 50);
    assert.equal(all.fire[0], YEAR - 49_000);
    assert.equal(all.fire.at(-1), YEAR);
  });
});
