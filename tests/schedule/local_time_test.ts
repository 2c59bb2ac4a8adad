import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  clockTime,
  compactDuration,
  localTime,
  relativeTime,
} from "../../src/schedule/local_time.ts";

const NOW = Date.UTC(2026, 10, 30, 19, 4, 0); // 2026-11-30 20:04 in Berlin

describe("localTime()", () => {
  it("prints the local date, time and zone with how far ahead it is", () => {
    const at = Date.UTC(2026, 11, 1, 10, 0); // 11:00 in Berlin, 14h56m after NOW
    assert.equal(
      localTime(at, { now: NOW, timeZone: "Europe/Berlin" }),
      "2026-12-01 11:00 CET, in 14h56m",
    );
    assert.equal(localTime(at, { now: NOW, timeZone: "UTC" }), "2026-12-01 10:00 UTC, in 14h56m");
  });

  it("says how long ago a past time was", () => {
    assert.equal(
      localTime(NOW - 183_000, { now: NOW, timeZone: "Europe/Berlin" }),
      "2026-11-30 20:00:57 CET, 3m03s ago",
    );
    assert.equal(
      localTime(NOW - 3 * 86_400_000, { now: NOW, timeZone: "UTC" }),
      "2026-11-27 19:04 UTC, 3d00h ago",
    );
    assert.equal(localTime(NOW + 400, { now: NOW, timeZone: "UTC" }), "2026-11-30 19:04 UTC, now");
  });

  it("shows seconds unless they are :00, and never rounds the clock", () => {
    assert.equal(clockTime(NOW, "UTC"), "2026-11-30 19:04 UTC");
    assert.equal(clockTime(NOW + 999, "UTC"), "2026-11-30 19:04 UTC");
    assert.equal(clockTime(NOW + 59_999, "UTC"), "2026-11-30 19:04:59 UTC");
    assert.equal(clockTime(NOW + 1_000, "UTC"), "2026-11-30 19:04:01 UTC");
  });

  it("names the zone's summer and winter time across a DST change", () => {
    // Berlin springs from 02:00 CET to 03:00 CEST at 01:00 UTC on 2026-03-29.
    const spring = Date.UTC(2026, 2, 29, 1, 0);
    assert.equal(clockTime(spring - 1_000, "Europe/Berlin"), "2026-03-29 01:59:59 CET");
    assert.equal(clockTime(spring, "Europe/Berlin"), "2026-03-29 03:00 CEST");
    // It falls back at 01:00 UTC on 2026-10-25: 02:30 happens twice, told apart by the zone.
    const autumn = Date.UTC(2026, 9, 25, 1, 0);
    assert.equal(clockTime(autumn - 1_800_000, "Europe/Berlin"), "2026-10-25 02:30 CEST");
    assert.equal(clockTime(autumn + 1_800_000, "Europe/Berlin"), "2026-10-25 02:30 CET");
    assert.equal(
      localTime(autumn + 1_800_000, { now: autumn - 1_800_000, timeZone: "Europe/Berlin" }),
      "2026-10-25 02:30 CET, in 1h00m",
      "the relative part counts real time, not the wall clock",
    );
  });

  it("uses a zone's common abbreviation, or its offset when it has none", () => {
    const july = Date.UTC(2026, 6, 1, 12);
    assert.equal(clockTime(july, "America/New_York"), "2026-07-01 08:00 EDT");
    assert.equal(clockTime(july, "Europe/London"), "2026-07-01 13:00 BST");
    assert.equal(clockTime(july, "Asia/Kolkata"), "2026-07-01 17:30 IST");
    assert.equal(clockTime(july, "Australia/Sydney"), "2026-07-01 22:00 AEST");
    assert.equal(clockTime(july, "Asia/Tokyo"), "2026-07-01 21:00 GMT+9");
  });

  it("reads the clock in the process's zone by default", () => {
    const expected = clockTime(NOW, Intl.DateTimeFormat().resolvedOptions().timeZone);
    assert.equal(localTime(NOW, { now: NOW }), `${expected}, now`);
  });
});

describe("relativeTime()", () => {
  it("rounds to the second, so a time an hour ahead reads 'in 1h00m'", () => {
    assert.equal(relativeTime(NOW + 3_600_000 - 20, NOW), "in 1h00m");
    assert.equal(relativeTime(NOW - 12_400, NOW), "12s ago");
    assert.equal(relativeTime(NOW + 500, NOW), "now");
  });
});

describe("compactDuration()", () => {
  it("writes milliseconds, seconds, minutes, hours and days compactly", () => {
    assert.equal(compactDuration(850), "850ms");
    assert.equal(compactDuration(12_000), "12s");
    assert.equal(compactDuration(185_000), "3m05s");
    assert.equal(compactDuration(7_500_000), "2h05m");
    assert.equal(compactDuration(4 * 86_400_000 + 3 * 3_600_000), "4d03h");
  });
});
