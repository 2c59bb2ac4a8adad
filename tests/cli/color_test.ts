/**
 * One module decides colour: --color, then FORCE_COLOR, then NO_COLOR (only a non-empty value),
 * then TERM=dumb, then whether the stream is a terminal.
 */
import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import { setColorMode, useColor } from "../../src/cli/color.ts";

const TTY = { isTTY: true };
const PIPE = { isTTY: false };

describe("useColor()", () => {
  afterEach(() => setColorMode("auto"));

  test("a terminal gets colour; a pipe does not", () => {
    assert.equal(useColor(TTY, {}), true);
    assert.equal(useColor(PIPE, {}), false);
  });

  test("NO_COLOR disables colour only when it is set and not empty (no-color.org)", () => {
    assert.equal(useColor(TTY, { NO_COLOR: "1" }), false);
    assert.equal(useColor(TTY, { NO_COLOR: "" }), true);
  });

  test("FORCE_COLOR colours a pipe and wins over NO_COLOR; FORCE_COLOR=0 disables", () => {
    assert.equal(useColor(PIPE, { FORCE_COLOR: "1" }), true);
    assert.equal(useColor(PIPE, { FORCE_COLOR: "1", NO_COLOR: "1" }), true);
    assert.equal(useColor(TTY, { FORCE_COLOR: "0" }), false);
    assert.equal(useColor(PIPE, { FORCE_COLOR: "" }), false);
  });

  test("TERM=dumb disables colour", () => {
    assert.equal(useColor(TTY, { TERM: "dumb" }), false);
  });

  test("--color=always and --color=never win over everything", () => {
    setColorMode("always");
    assert.equal(useColor(PIPE, { NO_COLOR: "1", TERM: "dumb" }), true);
    setColorMode("never");
    assert.equal(useColor(TTY, { FORCE_COLOR: "1" }), false);
  });
});
