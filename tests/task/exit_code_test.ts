import assert from "node:assert/strict";
import { test } from "node:test";
import { exitCodeOf } from "../../src/task/exit_code.ts";

test("exitCodeOf() mirrors the task: own code, 1 for a module error, 124 timeout, 128+signal", () => {
  assert.equal(exitCodeOf({ status: "succeeded", exitCode: 0, signal: null }), 0);
  assert.equal(exitCodeOf({ status: "failed", exitCode: 3, signal: null }), 3);
  assert.equal(exitCodeOf({ status: "failed", exitCode: null, signal: null }), 1);
  assert.equal(exitCodeOf({ status: "timed_out", exitCode: null, signal: "SIGTERM" }), 124);
  assert.equal(exitCodeOf({ status: "canceled", exitCode: null, signal: "SIGTERM" }), 143);
  assert.equal(exitCodeOf({ status: "failed", exitCode: null, signal: "SIGKILL" }), 137);
});
