import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  CRON_NICKNAMES,
  describeRecurrence,
  nextFiring,
  parseRecurrence,
  type Recurrence,
} from "../../src/schedule/recurrence.ts";
import { assertScheduleError } from "./_one_line.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The next `count` firings after `after`. */
function firings(rec: Recurrence, after: number, count: number, anchor = 0): number[] {
  const result: number[] = [];
  for (let t = after; result.length < count;) result.push(t = nextFiring(rec, t, anchor));
  return result;
}

const utc = (y: number, mo: number, d: number, h = 0, mi = 0) => Date.UTC(y, mo - 1, d, h, mi);

describe("parseRecurrence()", () => {
  it("turns every nickname into its cron pattern, in any case", () => {
    const expected: Record<string, string> = {
      minute: "* * * * *",
      hour: "0 * * * *",
      hourly: "0 * * * *",
      "@hourly": "0 * * * *",
      day: "0 0 * * *",
      daily: "0 0 * * *",
      "@daily": "0 0 * * *",
      "@midnight": "0 0 * * *",
      week: "0 0 * * 0",
      weekly: "0 0 * * 0",
      "@weekly": "0 0 * * 0",
      month: "0 0 1 * *",
      monthly: "0 0 1 * *",
      "@monthly": "0 0 1 * *",
      year: "0 0 1 1 *",
      yearly: "0 0 1 1 *",
      annually: "0 0 1 1 *",
      "@yearly": "0 0 1 1 *",
      "@annually": "0 0 1 1 *",
    };
    assert.deepEqual({ ...CRON_NICKNAMES }, expected);
    for (const [nickname, pattern] of Object.entries(expected)) {
      for (const spelling of [nickname, nickname.toUpperCase()]) {
        assert.deepEqual(parseRecurrence(spelling), {
          kind: "cron",
          pattern,
          timeZone: null,
          text: spelling,
        });
      }
    }
  });

  it("turns a duration into an interval of at least 1s", () => {
    assert.deepEqual(parseRecurrence("2s"), { kind: "interval", everyMs: 2000, text: "2s" });
    assert.equal((parseRecurrence("30s") as { everyMs: number }).everyMs, 30_000);
    assert.equal((parseRecurrence("4 hours") as { everyMs: number }).everyMs, 4 * HOUR);
    assert.equal((parseRecurrence("1h30m") as { everyMs: number }).everyMs, 1.5 * HOUR);
    assert.equal(
      (parseRecurrence("1 hour 30 minutes 10 seconds") as { everyMs: number }).everyMs,
      5_410_000,
    );
    assertScheduleError(
      () => parseRecurrence("500ms"),
      "Invalid schedule '500ms': an interval must be at least 1s",
    );
    assertScheduleError(() => parseRecurrence("10 parsecs"), "unknown unit 'parsecs'");
  });

  it("checks the zone, keeps it for cron and drops it for intervals", () => {
    assert.deepEqual(parseRecurrence("0 */4 * * *", { timeZone: "europe/berlin" }), {
      kind: "cron",
      pattern: "0 */4 * * *",
      timeZone: "Europe/Berlin",
      text: "0 */4 * * *",
    });
    assert.deepEqual(parseRecurrence("4 hours", { timeZone: "Europe/Berlin" }), {
      kind: "interval",
      everyMs: 4 * HOUR,
      text: "4 hours",
    });
    assertScheduleError(
      () => parseRecurrence("day", { timeZone: "Europe/Berln" }),
      "Unknown time zone 'Europe/Berln'",
    );
  });

  it("reads 5- and 6-field cron patterns and refuses bad ones by field", () => {
    assert.equal(parseRecurrence("*/2 * * * * *").kind, "cron");
    assertScheduleError(
      () => parseRecurrence("61 * * * *"),
      "minute field '61' is out of range 0-59",
    );
    assertScheduleError(() => parseRecurrence("0 0 0 1 1 * 2026"), "it has 7 fields");
    assertScheduleError(() => parseRecurrence("0 0 * *"), "it has 4 fields");
    assertScheduleError(() => parseRecurrence("a b c d e"), "minute field 'a'");
  });

  it("refuses text that is none of nickname, duration or cron", () => {
    assertScheduleError(
      () => parseRecurrence("fortnightly"),
      "Invalid schedule 'fortnightly': not understood",
    );
    assertScheduleError(() => parseRecurrence("every day"), "'every day'");
    assertScheduleError(() => parseRecurrence("  "), "it is empty");
  });
});

describe("nextFiring() for intervals", () => {
  const every2s = parseRecurrence("2s");

  it("returns the smallest slot anchor + k·every greater than `after`", () => {
    assert.equal(nextFiring(every2s, 500, 1000), 1000);
    assert.equal(nextFiring(every2s, 1000, 1000), 3000);
    assert.equal(nextFiring(every2s, 2999, 1000), 3000);
    assert.equal(nextFiring(every2s, 3000, 1000), 5000);
    assert.deepEqual(firings(every2s, 0, 3, 1500), [1500, 3500, 5500]);
  });

  it("jumps over huge gaps by arithmetic", () => {
    const anchor = utc(2026, 1, 1) + 123;
    const yearLater = anchor + 365 * DAY;
    assert.equal(nextFiring(parseRecurrence("1s"), yearLater + 1, anchor), yearLater + 1000);
    assert.equal(nextFiring(parseRecurrence("7d"), yearLater, anchor), anchor + 53 * 7 * DAY);
  });
});

describe("nextFiring() for cron", () => {
  it("fires a nickname at the zone's midnight, not UTC's", () => {
    const daily = parseRecurrence("day", { timeZone: "Europe/Berlin" });
    assert.equal(nextFiring(daily, utc(2026, 6, 15, 12), 0), utc(2026, 6, 15, 22));
    const nyDaily = parseRecurrence("@daily", { timeZone: "America/New_York" });
    assert.equal(nextFiring(nyDaily, utc(2026, 6, 15, 12), 0), utc(2026, 6, 16, 4));
    const weekly = parseRecurrence("week", { timeZone: "UTC" });
    assert.equal(nextFiring(weekly, utc(2026, 6, 17), 0), utc(2026, 6, 21)); // Wednesday → Sunday
    const kolkata = parseRecurrence("hourly", { timeZone: "Asia/Kolkata" });
    assert.equal(nextFiring(kolkata, utc(2026, 6, 15, 12), 0), utc(2026, 6, 15, 12, 30));
  });

  it("is strictly after `after`, on whole seconds", () => {
    const minute = parseRecurrence("minute", { timeZone: "UTC" });
    const slot = utc(2026, 6, 15, 12, 1);
    assert.equal(nextFiring(minute, slot - 1, 0), slot);
    assert.equal(nextFiring(minute, slot, 0), slot + 60_000);
    assert.equal(nextFiring(minute, slot + 500, 0), slot + 60_000);
    assert.deepEqual(firings(parseRecurrence("*/2 * * * * *", { timeZone: "UTC" }), slot, 2), [
      slot + 2000,
      slot + 4000,
    ]);
  });

  it("fires '0 2 * * *' and '30 2 * * *' once on the Berlin spring-forward day, at 03:00 CEST", () => {
    const beforeSpring = utc(2026, 3, 27, 12);
    const twoAm = parseRecurrence("0 2 * * *", { timeZone: "Europe/Berlin" });
    assert.deepEqual(firings(twoAm, beforeSpring, 3), [
      utc(2026, 3, 28, 1), // 02:00 CET
      utc(2026, 3, 29, 1), // 02:00 does not exist: 03:00 CEST, the first time after the gap
      utc(2026, 3, 30, 0), // 02:00 CEST
    ]);
    const halfPastTwo = parseRecurrence("30 2 * * *", { timeZone: "Europe/Berlin" });
    assert.deepEqual(firings(halfPastTwo, beforeSpring, 3), [
      utc(2026, 3, 28, 1, 30),
      utc(2026, 3, 29, 1), // 03:00 CEST (croner), where parseAt reads '02:30' as 03:30
      utc(2026, 3, 30, 0, 30),
    ]);
  });

  it("fires '0 2 * * *' and '30 2 * * *' once on the Berlin fall-back day, at the first 02:xx", () => {
    const beforeFall = utc(2026, 10, 24, 12);
    const twoAm = parseRecurrence("0 2 * * *", { timeZone: "Europe/Berlin" });
    assert.deepEqual(firings(twoAm, beforeFall, 2), [utc(2026, 10, 25, 0), utc(2026, 10, 26, 1)]);
    const halfPastTwo = parseRecurrence("30 2 * * *", { timeZone: "Europe/Berlin" });
    assert.deepEqual(firings(halfPastTwo, beforeFall, 2), [
      utc(2026, 10, 25, 0, 30), // 02:30 CEST; 02:30 CET (01:30Z) does not fire again
      utc(2026, 10, 26, 1, 30),
    ]);
  });

  it("runs a stepped pattern by elapsed time: skips the gap, repeats the overlap", () => {
    const halfHourly = parseRecurrence("*/30 * * * *", { timeZone: "Europe/Berlin" });
    assert.deepEqual(firings(halfHourly, utc(2026, 3, 29, 0, 10), 2), [
      utc(2026, 3, 29, 0, 30), // 01:30 CET
      utc(2026, 3, 29, 1), // 03:00 CEST: 02:00 and 02:30 do not exist
    ]);
    assert.deepEqual(firings(halfHourly, utc(2026, 10, 24, 23, 50), 4), [
      utc(2026, 10, 25, 0), // 02:00 CEST
      utc(2026, 10, 25, 0, 30), // 02:30 CEST
      utc(2026, 10, 25, 1), // 02:00 CET
      utc(2026, 10, 25, 1, 30), // 02:30 CET
    ]);
  });

  it("follows Lord Howe's 30-minute DST change", () => {
    const twoAm = parseRecurrence("0 2 * * *", { timeZone: "Australia/Lord_Howe" });
    assert.deepEqual(firings(twoAm, utc(2026, 10, 3), 2), [
      utc(2026, 10, 3, 15, 30), // 2026-10-04 02:00 is skipped: 02:30 (+11)
      utc(2026, 10, 4, 15), // 02:00 (+11)
    ]);
  });

  it("skips months without a 31st and finds the last day with L", () => {
    const the31st = parseRecurrence("0 0 31 * *", { timeZone: "UTC" });
    assert.deepEqual(firings(the31st, utc(2026, 1, 1), 7), [
      utc(2026, 1, 31),
      utc(2026, 3, 31),
      utc(2026, 5, 31),
      utc(2026, 7, 31),
      utc(2026, 8, 31),
      utc(2026, 10, 31),
      utc(2026, 12, 31),
    ]);
    const lastDay = parseRecurrence("0 0 L * *", { timeZone: "UTC" });
    assert.deepEqual(firings(lastDay, utc(2026, 2, 1), 3), [
      utc(2026, 2, 28),
      utc(2026, 3, 31),
      utc(2026, 4, 30),
    ]);
    assert.equal(nextFiring(lastDay, utc(2028, 2, 1), 0), utc(2028, 2, 29));
  });

  it("waits for a leap day", () => {
    const leapDay = parseRecurrence("0 0 29 2 *", { timeZone: "UTC" });
    assert.equal(nextFiring(leapDay, utc(2026, 3, 1), 0), utc(2028, 2, 29));
    assert.equal(nextFiring(leapDay, utc(2028, 2, 29), 0), utc(2032, 2, 29));
  });

  it("reads a null zone as the process's zone", () => {
    const after = utc(2026, 6, 15, 12);
    const next = nextFiring(parseRecurrence("day"), after, 0);
    assert.equal(new Date(next).getHours(), 0);
    assert.equal(new Date(next).getMinutes(), 0);
    assert.ok(next > after && next - after <= 25 * HOUR);
  });
});

describe("describeRecurrence()", () => {
  it("says the interval or the pattern and its zone", () => {
    assert.equal(describeRecurrence(parseRecurrence("2s")), "every 2s");
    assert.equal(describeRecurrence(parseRecurrence("4 hours")), "every 4h");
    assert.equal(describeRecurrence(parseRecurrence("1h30m")), "every 1h30m");
    assert.equal(
      describeRecurrence(parseRecurrence("@daily", { timeZone: "Europe/Berlin" })),
      "cron '0 0 * * *' (Europe/Berlin)",
    );
    assert.equal(describeRecurrence(parseRecurrence("0 */4 * * *")), "cron '0 */4 * * *'");
  });
});
