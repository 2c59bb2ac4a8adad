/**
 * Duration options: a bare number is seconds, as in timeout(1).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseDurationOption } from "../../src/cli/time_options.ts";

describe("parseDurationOption()", () => {
  test("a bare number is seconds, as in timeout(1)", () => {
    assert.equal(parseDurationOption("--timeout", "5"), 5_000);
    assert.equal(parseDurationOption("--timeout", "1.5"), 1_500);
    assert.equal(parseDurationOption("--in", " 30 "), 30_000);
  });

  test("a number with a unit keeps its unit", () => {
    assert.equal(parseDurationOption("--timeout", "5m"), 300_000);
    assert.equal(parseDurationOption("--timeout", "250ms"), 250);
  });

  test("bad values are still refused in one line naming the option", () => {
    assert.throws(
      () => parseDurationOption("--timeout", "0"),
      /Cannot use --timeout: .*longer than zero/,
    );
    assert.throws(() => parseDurationOption("--timeout", "-5"), /Cannot use --timeout: .*negative/);
    assert.throws(() => parseDurationOption("--timeout", "soon"), /Cannot use --timeout/);
  });
});
