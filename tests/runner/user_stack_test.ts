/**
 * userStack() keeps a module task's own frames and drops bgt's (the compiled binary's `$bunfs`,
 * bgt's `src/` when run from source) and the runtime's frames that only lead into them.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import { errorText, userStack } from "../../src/runner/user_stack.ts";

const SRC = fileURLToPath(new URL("../../src/", import.meta.url));

describe("userStack()", () => {
  test("drops the compiled binary's frames and the runtime's ticks after the user's", () => {
    const stack = [
      "Error: boom",
      "    at inner (/home/me/job.ts:2:9)",
      "    at job_default (/home/me/job.ts:5:3)",
      "    at An (/$bunfs/root/src/pool/worker.js:10:2284)",
      "    at processTicksAndRejections (native:7:39)",
    ].join("\n");
    assert.equal(
      userStack(stack),
      "Error: boom\n    at inner (/home/me/job.ts:2:9)\n    at job_default (/home/me/job.ts:5:3)",
    );
  });

  test("drops bgt's source frames, as a path (Bun) or a URL (Deno), and keeps runtime frames between the user's", () => {
    const stack = [
      "TypeError: bad",
      "    at cb (file:///home/me/job.ts:3:11)",
      "    at Array.map (<anonymous>)",
      "    at run (file:///home/me/job.ts:7:20)",
      `    at _pump (file://${SRC}pool/worker.ts:290:19)`,
      `    at _pump (${SRC}pool/worker.ts:290:19)`,
      "    at eventLoopTick (ext:core/01_core.js:178:7)",
    ].join("\n");
    assert.equal(
      userStack(stack),
      [
        "TypeError: bad",
        "    at cb (file:///home/me/job.ts:3:11)",
        "    at Array.map (<anonymous>)",
        "    at run (file:///home/me/job.ts:7:20)",
      ].join("\n"),
    );
  });

  test("a stack of bgt's frames alone leaves its message lines", () => {
    const stack = "AbortError: Cannot finish\n    at <anonymous> (/$bunfs/root/bgt:7:4714)\n" +
      "    at abort (unknown)\n    at emit (node:events:100:22)";
    assert.equal(userStack(stack), "AbortError: Cannot finish");
  });

  test("errorText() of an error without a stack is its name and message", () => {
    assert.equal(errorText({ name: "Error", message: "thrown string" }), "Error: thrown string");
  });
});
