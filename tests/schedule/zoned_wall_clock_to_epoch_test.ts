import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  daysInMonth,
  wallClockOf,
  wallClockProblem,
  zoneOffsetMs,
} from "../../src/schedule/wall_clock.ts";
import { zonedWallClockToEpoch } from "../../src/schedule/zoned_wall_clock_to_epoch.ts";

const at = (year: number, month: number, day: number, hour: number, minute = 0, second = 0) => ({
  year,
  month,
  day,
  hour,
  minute,
  second,
});

describe("zonedWallClockToEpoch()", () => {
  it("reads a wall clock in the zone given, not the process's", () => {
    assert.equal(
      zonedWallClockToEpoch(at(2026, 7, 1, 12), "Europe/Berlin"),
      Date.UTC(2026, 6, 1, 10),
    );
    assert.equal(
      zonedWallClockToEpoch(at(2026, 1, 1, 12), "Europe/Berlin"),
      Date.UTC(2026, 0, 1, 11),
    );
    assert.equal(
      zonedWallClockToEpoch(at(2026, 12, 31, 23, 59), "Asia/Kolkata"),
      Date.UTC(2026, 11, 31, 18, 29),
    );
    assert.equal(
      zonedWallClockToEpoch(at(2026, 1, 15, 12), "Australia/Lord_Howe"),
      Date.UTC(2026, 0, 15, 1),
    );
  });

  it("moves a time in a spring-forward gap forward by the gap", () => {
    // Berlin 2026-03-29: 02:00 CET → 03:00 CEST, so 02:30 is read as 03:30 CEST.
    assert.equal(
      zonedWallClockToEpoch(at(2026, 3, 29, 2, 30), "Europe/Berlin"),
      Date.UTC(2026, 2, 29, 1, 30),
    );
    // New York 2026-03-08: 02:00 EST → 03:00 EDT.
    assert.equal(
      zonedWallClockToEpoch(at(2026, 3, 8, 2, 30), "America/New_York"),
      Date.UTC(2026, 2, 8, 7, 30),
    );
    // Lord Howe 2026-10-04: 02:00 → 02:30 (a 30-minute change), so 02:15 is read as 02:45 (+11).
    assert.equal(
      zonedWallClockToEpoch(at(2026, 10, 4, 2, 15), "Australia/Lord_Howe"),
      Date.UTC(2026, 9, 3, 15, 45),
    );
  });

  it("takes the first (earlier) instant of a time that occurs twice", () => {
    // Berlin 2026-10-25: 03:00 CEST → 02:00 CET; 02:30 CEST is 00:30Z, 02:30 CET 01:30Z.
    assert.equal(
      zonedWallClockToEpoch(at(2026, 10, 25, 2, 30), "Europe/Berlin"),
      Date.UTC(2026, 9, 25, 0, 30),
    );
    // New York 2026-11-01: 01:30 EDT (05:30Z) before 01:30 EST (06:30Z).
    assert.equal(
      zonedWallClockToEpoch(at(2026, 11, 1, 1, 30), "America/New_York"),
      Date.UTC(2026, 10, 1, 5, 30),
    );
    // Lord Howe 2026-04-05: 02:00 (+11) → 01:30 (+10:30); 01:45 is first at +11.
    assert.equal(
      zonedWallClockToEpoch(at(2026, 4, 5, 1, 45), "Australia/Lord_Howe"),
      Date.UTC(2026, 3, 4, 14, 45),
    );
  });

  it("round-trips with wallClockOf() outside gaps", () => {
    for (
      const zone of ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]
    ) {
      for (let t = Date.UTC(2026, 0, 1); t < Date.UTC(2027, 0, 1); t += 7 * 3_600_000 + 60_000) {
        const wall = wallClockOf(t, zone);
        const back = zonedWallClockToEpoch(wall, zone);
        // An overlap reads the earlier instant: equal, or one DST step before.
        assert.ok(back === t || (t - back > 0 && t - back <= 3_600_000), `${zone} ${t}`);
      }
    }
  });

  it("refuses fields that are no calendar day", () => {
    assert.throws(() => zonedWallClockToEpoch(at(2026, 2, 30, 0), "UTC"), RangeError);
  });
});

describe("wall clock helpers", () => {
  it("wallClockOf() and zoneOffsetMs() read a zone at an instant", () => {
    assert.deepEqual(wallClockOf(Date.UTC(2026, 0, 1, 0, 0, 0, 5), "Asia/Kolkata"), {
      year: 2026,
      month: 1,
      day: 1,
      hour: 5,
      minute: 30,
      second: 0,
      millisecond: 5,
    });
    assert.equal(zoneOffsetMs(Date.UTC(2026, 6, 1), "America/New_York"), -4 * 3_600_000);
    assert.equal(zoneOffsetMs(Date.UTC(2026, 6, 1), "Australia/Lord_Howe"), 10.5 * 3_600_000);
  });

  it("daysInMonth() and wallClockProblem() know month ends and leap years", () => {
    assert.equal(daysInMonth(2026, 2), 28);
    assert.equal(daysInMonth(2028, 2), 29);
    assert.equal(daysInMonth(2100, 2), 28);
    assert.equal(daysInMonth(2026, 4), 30);
    assert.equal(wallClockProblem(at(2028, 2, 29, 0)), null);
    assert.equal(
      wallClockProblem(at(2026, 2, 29, 0)),
      "day 29 is out of range 1-28 for February 2026",
    );
    assert.equal(
      wallClockProblem(at(2026, 4, 31, 0)),
      "day 31 is out of range 1-30 for April 2026",
    );
    assert.equal(wallClockProblem(at(2026, 13, 1, 0)), "month 13 is out of range 1-12");
    assert.equal(wallClockProblem(at(2026, 1, 1, 24)), "hour 24 is out of range 0-23");
  });
});
