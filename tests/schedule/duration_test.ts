import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatDuration, parseDuration } from "../../src/task/duration.ts";
import { assertScheduleError } from "./_one_line.ts";

describe("parseDuration()", () => {
  it("reads compact and spelled-out forms to whole milliseconds", () => {
    assert.equal(parseDuration("30s"), 30_000);
    assert.equal(parseDuration("10 minutes"), 600_000);
    assert.equal(parseDuration("4 hours"), 14_400_000);
    assert.equal(parseDuration("1h30m"), 5_400_000);
    assert.equal(parseDuration("7d"), 604_800_000);
    assert.equal(parseDuration("1.5h"), 5_400_000);
    assert.equal(parseDuration("500ms"), 500);
    assert.equal(parseDuration("2 weeks"), 1_209_600_000);
    assert.equal(parseDuration("  1 Hour, 30 MINS and 5 sec "), 5_405_000);
    assert.equal(parseDuration(".5s"), 500);
  });

  it("refuses empty text, junk, zero and negative durations, naming the bad part", () => {
    assertScheduleError(() => parseDuration(""), "Invalid duration ''", "empty");
    assertScheduleError(() => parseDuration("   "), "empty");
    assertScheduleError(() => parseDuration("abc"), "'abc' is not understood");
    assertScheduleError(() => parseDuration("0"), "'0' has no unit");
    assertScheduleError(() => parseDuration("0s"), "'0s'", "longer than zero");
    assertScheduleError(() => parseDuration("-5m"), "'-5m'", "negative");
    assertScheduleError(() => parseDuration("NaN"), "'NaN' is not understood");
    assertScheduleError(() => parseDuration("5 minutes ago"), "'ago' is not understood");
    assertScheduleError(() => parseDuration("1h30"), "'30' has no unit");
    assertScheduleError(() => parseDuration("5m!"), "'!' is not understood");
  });

  it("refuses unknown units, units of varying length and units finer than a millisecond", () => {
    assertScheduleError(
      () => parseDuration("10 parsecs"),
      "Invalid duration '10 parsecs': unknown unit 'parsecs' (use s, m, h, d, w; e.g. '30s', '4 hours')",
    );
    assertScheduleError(() => parseDuration("3 months"), "unit 'months' has no fixed length");
    assertScheduleError(() => parseDuration("1y"), "unit 'y' has no fixed length");
    assertScheduleError(() => parseDuration("5ns"), "unit 'ns' is finer than a millisecond");
  });

  it("keeps an error message on one line whatever the input holds", () => {
    assertScheduleError(() => parseDuration("10\nparsecs"), "'10\\nparsecs'");
  });
});

describe("formatDuration()", () => {
  it("writes the largest units first, in a form parseDuration() reads back", () => {
    assert.equal(formatDuration(2000), "2s");
    assert.equal(formatDuration(14_400_000), "4h");
    assert.equal(formatDuration(5_400_000), "1h30m");
    assert.equal(formatDuration(1500), "1s500ms");
    assert.equal(formatDuration(8 * 86_400_000), "1w1d");
    for (const ms of [1000, 1500, 5_400_000, 90_061_001]) {
      assert.equal(parseDuration(formatDuration(ms)), ms);
    }
  });
});
