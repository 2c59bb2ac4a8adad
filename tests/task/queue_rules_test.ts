import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { groupRoom, pickClaims } from "../../src/task/claims.ts";
import { globToRegExp } from "../../src/task/glob.ts";
import { keyDecision } from "../../src/task/keys.ts";
import { mergePatch } from "../../src/task/merge_patch.ts";
import { afterRun } from "../../src/task/retry.ts";
import { initialStatus, openDependencies, settle } from "../../src/task/settle.ts";

describe("queue rules", () => {
  test("afterRun retries a retryable end with attempts left, after the backoff", () => {
    const run = { attempt: 1, maxAttempts: 2, backoffMs: 1000, runAt: 5 };
    assert.deepEqual(afterRun(run, { status: "failed" }, 100, () => 0.5), {
      status: "queued",
      runAt: 1100,
      finishedAt: null,
      event: "retrying",
    });
    assert.equal(afterRun(run, { status: "lost" }, 100).event, "retrying");
    assert.deepEqual(afterRun(run, { status: "canceled" }, 100), {
      status: "canceled",
      runAt: 5,
      finishedAt: 100,
      event: "canceled",
    });
    assert.equal(
      afterRun({ ...run, attempt: 2 }, { status: "timed_out" }, 100).status,
      "timed_out",
    );
  });

  test("settle: initial state, ready, scheduled, failed, removed, still waiting", () => {
    assert.equal(initialStatus({ runAt: 5, waits: true }, 0), "blocked");
    assert.equal(initialStatus({ runAt: 5, waits: false }, 0), "scheduled");
    assert.equal(initialStatus({ runAt: 0, waits: false }, 0), "queued");
    const task = { afterAny: false, runAt: 10 };
    const dep = (status: any, anyOutcome = false) => ({ id: 7, anyOutcome, status });
    assert.deepEqual(settle(task, [dep("succeeded")], 20), { status: "queued" });
    assert.deepEqual(settle(task, [dep("succeeded")], 5), { status: "scheduled" });
    assert.equal(settle(task, [dep("running")], 20), undefined);
    assert.equal(settle(task, [dep("failed")], 20)?.error?.message, "Dependency #7 failed");
    assert.equal(
      settle(task, [dep("timed_out")], 20)?.error?.message,
      "Dependency #7 ended timed_out",
    );
    assert.equal(settle(task, [dep(null)], 20)?.error?.message, "Dependency #7 was removed");
    assert.deepEqual(settle(task, [dep("failed", true)], 20), { status: "queued" });
    assert.deepEqual(settle({ ...task, afterAny: true }, [dep("lost")], 20), { status: "queued" });
    assert.deepEqual(openDependencies([dep("lost"), dep("running"), dep(null)]), [dep("running")]);
  });

  test("keyDecision: skip by default, replace a waiting holder, wait on a running one", () => {
    assert.deepEqual(keyDecision("replace", undefined), { action: "insert" });
    assert.deepEqual(keyDecision(undefined, { id: 3, status: "queued" }), {
      action: "skip",
      result: { id: 3, key: { action: "skipped", holder: 3, holderRunning: false } },
    });
    assert.equal(keyDecision("replace", { id: 3, status: "blocked" }).action, "replace");
    assert.equal(keyDecision("replace", { id: 3, status: "paused" }).action, "wait");
    assert.equal(keyDecision("queue", { id: 3, status: "queued" }).action, "wait");
  });

  test("pickClaims keeps due order, each kind's budget, the limit and groups' room", () => {
    const c = (id: number, grp: string, inWorker = false, priority = 0) => ({
      id,
      grp,
      inWorker,
      priority,
      runAt: 0,
    });
    const { full, room } = groupRoom([
      { name: "a", parallel: 1 },
      { name: "b", parallel: 2 },
      { name: "c", parallel: null },
    ], { b: 2 });
    assert.deepEqual(full, ["b"]);
    assert.deepEqual(room, { a: 1 });
    const candidates = [c(1, "a"), c(2, "a"), c(3, "x", true), c(4, "x", false, 9), c(5, "x")];
    assert.deepEqual(pickClaims(candidates, { maxProcesses: 9, maxWorkers: 9, room }), [
      4,
      1,
      3,
      5,
    ]);
    assert.deepEqual(pickClaims(candidates, { maxProcesses: 1, maxWorkers: 9 }), [4, 3]);
    assert.deepEqual(pickClaims(candidates, { maxProcesses: 9, maxWorkers: 9, limit: 2 }), [4, 1]);
  });

  test("mergePatch and globToRegExp act as SQLite's json_patch and GLOB", () => {
    assert.deepEqual(mergePatch({ a: 1, b: { c: 2 }, l: [1] }, { a: null, b: { d: 3 }, l: [2] }), {
      b: { c: 2, d: 3 },
      l: [2],
    });
    const glob = (pattern: string, text: string) => new RegExp(globToRegExp(pattern)).test(text);
    assert.ok(glob("build-*", "build-7"));
    assert.ok(!glob("build-*", "Build-7"));
    assert.ok(glob("a?c", "abc"));
    assert.ok(glob("[ab]x", "bx") && !glob("[^ab]x", "bx"));
    assert.ok(glob("a.b(1)", "a.b(1)") && !glob("a.b", "axb"));
  });
});
