import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isPast, parseAt, parseIn } from "../../src/schedule/when.ts";
import { assertScheduleError } from "./_one_line.ts";

/** Monday 2026-06-15 08:00 UTC: 10:00 in Berlin, 04:00 in New York. */
const now = Date.UTC(2026, 5, 15, 8);
const berlin = { now, timeZone: "Europe/Berlin" };
const newYork = { now, timeZone: "America/New_York" };

describe("parseIn()", () => {
  it("adds a duration to the injected now", () => {
    assert.equal(parseIn("10 minutes", { now }), now + 600_000);
    assert.equal(parseIn("1h30m", { now: 0 }), 5_400_000);
  });

  it("refuses a bad duration", () => {
    assertScheduleError(() => parseIn("10 parsecs", { now }), "unknown unit 'parsecs'");
  });
});

describe("parseAt() with ISO 8601", () => {
  it("reads an offset or Z as that exact instant, whatever the zone", () => {
    const instant = Date.UTC(2026, 11, 31, 22, 59);
    assert.equal(parseAt("2026-12-31T23:59:00+01:00", berlin), instant);
    assert.equal(parseAt("2026-12-31T22:59:00Z", newYork), instant);
    assert.equal(parseAt("2026-12-31T17:59:00-0500", berlin), instant);
    assert.equal(parseAt("2026-12-31T22:59:00.250Z", berlin), instant + 250);
  });

  it("reads wall-clock forms in the zone given", () => {
    assert.equal(parseAt("2026-12-31 23:59", berlin), Date.UTC(2026, 11, 31, 22, 59));
    assert.equal(parseAt("2026-12-31 23:59:59", berlin), Date.UTC(2026, 11, 31, 22, 59, 59));
    assert.equal(parseAt("2026-12-31T23:59", berlin), Date.UTC(2026, 11, 31, 22, 59));
    assert.equal(parseAt("2026-12-31", berlin), Date.UTC(2026, 11, 30, 23));
    assert.equal(parseAt("2026-12-31 23:59", newYork), Date.UTC(2027, 0, 1, 4, 59));
    assert.equal(
      parseAt("2026-12-31 23:59", { now, timeZone: "Asia/Kolkata" }),
      Date.UTC(2026, 11, 31, 18, 29),
    );
    assert.equal(
      parseAt("2026-07-01 12:00", { now, timeZone: "Australia/Lord_Howe" }),
      Date.UTC(2026, 6, 1, 1, 30),
    );
    assert.equal(
      parseAt("2026-12-31 23:59", { now, timeZone: "UTC" }),
      Date.UTC(2026, 11, 31, 23, 59),
    );
  });

  it("moves a time skipped by DST forward by the gap and reads a repeated time's first instant", () => {
    assert.equal(parseAt("2026-03-29 02:30", berlin), Date.UTC(2026, 2, 29, 1, 30)); // 03:30 CEST
    assert.equal(parseAt("2026-10-25 02:30", berlin), Date.UTC(2026, 9, 25, 0, 30)); // 02:30 CEST
    assert.equal(parseAt("2026-03-08 02:30", newYork), Date.UTC(2026, 2, 8, 7, 30)); // 03:30 EDT
    assert.equal(parseAt("2026-11-01 01:30", newYork), Date.UTC(2026, 10, 1, 5, 30)); // 01:30 EDT
    const lordHowe = { now, timeZone: "Australia/Lord_Howe" };
    assert.equal(parseAt("2026-10-04 02:15", lordHowe), Date.UTC(2026, 9, 3, 15, 45)); // 02:45
    assert.equal(parseAt("2026-04-05 01:45", lordHowe), Date.UTC(2026, 3, 4, 14, 45)); // +11
  });

  it("refuses impossible calendar dates instead of rolling them over", () => {
    assertScheduleError(
      () => parseAt("2026-02-30 10:00", berlin),
      "Cannot read date '2026-02-30 10:00': day 30 is out of range 1-28 for February 2026",
    );
    assertScheduleError(() => parseAt("2026-13-01", berlin), "'2026-13-01'", "month 13");
    assertScheduleError(() => parseAt("2026-12-31 24:00", berlin), "hour 24");
    assertScheduleError(() => parseAt("2026-12-31T10:00+25:00", berlin), "offset '+25:00'");
    assert.equal(parseAt("2028-02-29", { now, timeZone: "UTC" }), Date.UTC(2028, 1, 29));
  });
});

describe("parseAt() with phrases", () => {
  it("reads natural phrases relative to now, dated forward, in the zone given", () => {
    assert.equal(parseAt("tomorrow 9am", berlin), Date.UTC(2026, 5, 16, 7));
    assert.equal(parseAt("tomorrow 9am", newYork), Date.UTC(2026, 5, 16, 13));
    assert.equal(
      parseAt("December 31st 2026 23:59:59", berlin),
      Date.UTC(2026, 11, 31, 22, 59, 59),
    );
    assert.equal(parseAt("next friday at 5pm", berlin), Date.UTC(2026, 5, 26, 15));
    assert.equal(parseAt("in 2 hours", berlin), now + 7_200_000);
    assert.equal(parseAt("in 1h30m", berlin), now + 5_400_000);
    assert.equal(parseAt("tomorrow 9am UTC", berlin), Date.UTC(2026, 5, 16, 9));
  });

  it("takes 'tomorrow' from the zone's date, not UTC's", () => {
    const lateUtc = Date.UTC(2026, 5, 15, 23, 30); // 01:30 on the 16th in Berlin, 19:30 on the 15th in New York
    assert.equal(
      parseAt("tomorrow 9am", { now: lateUtc, timeZone: "Europe/Berlin" }),
      Date.UTC(2026, 5, 17, 7),
    );
    assert.equal(
      parseAt("tomorrow 9am", { now: lateUtc, timeZone: "America/New_York" }),
      Date.UTC(2026, 5, 16, 13),
    );
  });

  it("keeps wall-clock phrases right across DST and relative ones exact", () => {
    const beforeSpring = Date.UTC(2026, 2, 28, 12); // Saturday 13:00 CET
    assert.equal(
      parseAt("tomorrow 9am", { now: beforeSpring, timeZone: "Europe/Berlin" }),
      Date.UTC(2026, 2, 29, 7), // 09:00 CEST
    );
    const nightOfChange = Date.UTC(2026, 2, 29, 0, 30); // 01:30 CET, the gap comes in 30 minutes
    assert.equal(
      parseAt("in 2 hours", { now: nightOfChange, timeZone: "Europe/Berlin" }),
      nightOfChange + 7_200_000,
    );
    assert.equal(
      parseAt("2 hours from now", { now: nightOfChange, timeZone: "Europe/Berlin" }),
      nightOfChange + 7_200_000,
    );
  });

  it("refuses text it understands only in part, or not at all, naming the part", () => {
    assertScheduleError(
      () => parseAt("tomorow 9am", berlin),
      "Cannot read date 'tomorow 9am': 'tomorow' is not understood (try ISO 8601, '2026-12-31 23:59' or 'tomorrow 9am')",
    );
    assertScheduleError(() => parseAt("blah", berlin), "'blah' is not understood");
    assertScheduleError(() => parseAt("tomorrow 25:00", berlin), "'25:00' is not understood");
    assertScheduleError(() => parseAt("February 30 2026 10:00", berlin), "not understood");
    assertScheduleError(() => parseAt("tomorrow 9am and friday", berlin), "more than one time");
    assertScheduleError(() => parseAt("from 9 to 10 tomorrow", berlin), "is a range");
    assertScheduleError(() => parseAt("", berlin), "Cannot read date ''", "empty");
  });

  it("refuses an unknown zone", () => {
    assertScheduleError(
      () => parseAt("tomorrow 9am", { now, timeZone: "Europe/Berln" }),
      "'Europe/Berln'",
    );
  });

  it("returns past instants as they are; isPast() tells", () => {
    const past = parseAt("2020-01-01 00:00", { now, timeZone: "UTC" });
    assert.equal(past, Date.UTC(2020, 0, 1));
    assert.equal(isPast(past, now), true);
    assert.equal(isPast(now, now), false);
    assert.equal(isPast(parseAt("tomorrow 9am", berlin), now), false);
  });
});
