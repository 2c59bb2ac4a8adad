import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { attemptSegments } from "../../src/client/attempt_segments.ts";
import type { Attempt } from "../../src/task/types.ts";

function attempt(n: number, stdout: [number, number] | null): Attempt {
  return {
    attempt: n,
    status: "failed",
    startedAt: 0,
    finishedAt: 1,
    exitCode: 1,
    signal: null,
    error: null,
    pid: null,
    result: undefined,
    slices: { stdout, stderr: null, data: null },
  };
}

describe("attemptSegments()", () => {
  test("cuts a stream at each attempt's start; the last runs to the end", () => {
    assert.deepEqual(
      attemptSegments([attempt(1, [0, 10]), attempt(2, [12, 20])], 3, "stdout"),
      [
        { attempt: 1, from: 0, to: 12 },
        { attempt: 2, from: 12, to: 20 },
        { attempt: 3, from: 20, to: Infinity },
      ],
    );
  });

  test("an unknown start (a re-adopted attempt) is the end of the attempt before", () => {
    assert.deepEqual(attemptSegments([attempt(1, [0, 7]), attempt(2, null)], 2, "stdout"), [
      { attempt: 1, from: 0, to: 7 },
      { attempt: 2, from: 7, to: Infinity },
    ]);
    assert.deepEqual(attemptSegments([attempt(1, null), attempt(2, null)], 2, "stdout"), [
      { attempt: 1, from: 0, to: 0 },
      { attempt: 2, from: 0, to: Infinity },
    ]);
  });

  test("a task that has not started has one segment, the whole stream", () => {
    assert.deepEqual(attemptSegments([], 0, "stderr"), [{ attempt: 1, from: 0, to: Infinity }]);
  });
});
