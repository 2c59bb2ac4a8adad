import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkCronPattern, cronJob } from "../../src/schedule/cron_pattern.ts";
import { assertScheduleError } from "./_one_line.ts";

describe("checkCronPattern()", () => {
  it("accepts 5- and 6-field patterns and normalizes their spacing", () => {
    assert.equal(checkCronPattern(" 0  */4 * * * "), "0 */4 * * *");
    assert.equal(checkCronPattern("*/2 * * * * *"), "*/2 * * * * *");
    assert.equal(checkCronPattern("0 9 * * MON-FRI"), "0 9 * * MON-FRI");
    assert.equal(checkCronPattern("0 0 L * *"), "0 0 L * *");
    assert.equal(checkCronPattern("0 0 29 2 *"), "0 0 29 2 *");
  });

  it("names the field that is out of range", () => {
    assertScheduleError(
      () => checkCronPattern("61 * * * *"),
      "Invalid cron pattern '61 * * * *': minute field '61' is out of range 0-59",
    );
    assertScheduleError(
      () => checkCronPattern("* 25 * * *"),
      "hour field '25' is out of range 0-23",
    );
    assertScheduleError(
      () => checkCronPattern("* * 32 * *"),
      "day-of-month field '32' is out of range 1-31",
    );
    assertScheduleError(
      () => checkCronPattern("* * 0 * *"),
      "day-of-month field '0' is out of range 1-31",
    );
    assertScheduleError(
      () => checkCronPattern("* * * 13 *"),
      "month field '13' is out of range 1-12",
    );
    assertScheduleError(
      () => checkCronPattern("* * * * 8"),
      "weekday field '8' is out of range 0-7",
    );
    assertScheduleError(
      () => checkCronPattern("60 * * * * *"),
      "second field '60' is out of range 0-59",
    );
    assertScheduleError(
      () => checkCronPattern("1-61 * * * *"),
      "minute field '1-61': 61 is out of range 0-59",
    );
  });

  it("names the field croner refuses for its syntax", () => {
    assertScheduleError(() => checkCronPattern("a b c d e"), "minute field 'a' is not valid");
    assertScheduleError(
      () => checkCronPattern("*/0 * * * *"),
      "minute field '*/0' is not valid",
      "stepping",
    );
    assertScheduleError(() => checkCronPattern("0 9 * * FOO"), "weekday field 'FOO' is not valid");
    assertScheduleError(() => checkCronPattern("5-2 * * * *"), "minute field '5-2' is not valid");
  });

  it("refuses the wrong number of fields and a pattern that matches no date", () => {
    assertScheduleError(
      () => checkCronPattern("0 0 0 1 1 * 2026"),
      "it has 7 fields; use 5 (minute hour day month weekday) or 6 (second first)",
    );
    assertScheduleError(() => checkCronPattern("* * *"), "it has 3 fields");
    assertScheduleError(() => checkCronPattern("0 0 30 2 *"), "'0 0 30 2 *'", "matches no date");
  });
});

describe("cronJob()", () => {
  it("computes runs in the zone given and reuses its job", () => {
    const job = cronJob("0 0 * * *", "Europe/Berlin");
    assert.equal(job, cronJob("0 0 * * *", "Europe/Berlin"));
    assert.equal(
      job.nextRun(new Date(Date.UTC(2026, 5, 15)))?.getTime(),
      Date.UTC(2026, 5, 15, 22),
    );
    assert.equal(job.isRunning(), false);
  });
});
