import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { groupRoom, pickClaims } from "../../src/task/claims.ts";
import { globToRegExp } from "../../src/task/glob.ts";
import { keyDecision } from "../../src/task/keys.ts";
import { mergePatch } from "../../src/task/merge_patch.ts";
import { afterRun } from "../../src/task/retry.ts";
import { initialStatus, openDependencies, settle } from "../../src/task/settle.ts";
import { FiringPlan, staleFiring } from "../../src/task/firing_plan.ts";
import type { Schedule } from "../../src/task/schedule.ts";
import {
  ACTIVE,
  DUE,
  ENDED,
  inSet,
  NOT_STARTED,
  RUNNING,
  sqlSet,
} from "../../src/task/statuses.ts";
import { ALL_STATUSES } from "../../src/task/types.ts";

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

  test("status sets: waiting and running make up the active states, the rest have ended", () => {
    assert.deepEqual([...ACTIVE].sort(), [...NOT_STARTED, ...RUNNING].sort());
    assert.deepEqual(
      ALL_STATUSES.filter((status) => !inSet(ACTIVE, status)).sort(),
      [...ENDED].sort(),
    );
    assert.ok(DUE.every((status) => inSet(NOT_STARTED, status)));
    assert.ok(!inSet(ACTIVE, null));
    // The order the partial indexes name them in (a query must match its index word for word).
    assert.equal(sqlSet(DUE), "('queued', 'scheduled')");
    assert.equal(sqlSet(ACTIVE), "('scheduled', 'queued', 'blocked', 'running', 'paused')");
  });

  test("FiringPlan: skip passes slots over while the last run is active, queue chains them", () => {
    const schedule: Schedule = {
      id: 7,
      every: "1m",
      timeZone: null,
      template: { spec: { kind: "command", argv: ["true"] } },
      overlap: "skip",
      catchUp: "all",
      anchor: 0,
      startAt: null,
      stopAt: null,
      maxRuns: 3,
      keep: null,
      runs: 1,
      skipped: 0,
      lastSlot: 0,
      nextAt: 60,
      paused: false,
      createdAt: 0,
      lastTaskId: 4,
      lastStatus: "running",
    };
    const firing = { slots: [60, 120], skipped: 1, lastSlot: 120, nextAt: 180 };
    const skip = new FiringPlan(schedule, firing);
    assert.equal(skip.taskFor(60), undefined);
    assert.equal(skip.taskFor(120), undefined);
    assert.deepEqual(skip.row(), {
      runs: 1,
      skipped: 3,
      lastSlot: 120,
      nextAt: 180,
      lastTaskId: 4,
    });
    assert.deepEqual(skip.events(), [{
      kind: "schedule_skipped",
      data: { scheduleId: 7, count: 3 },
    }]);

    const queue = new FiringPlan({ ...schedule, overlap: "queue" }, firing);
    assert.deepEqual(queue.taskFor(60)?.afterAnyOf, [4]);
    queue.inserted({ id: 8 });
    assert.deepEqual(queue.taskFor(120), {
      ...schedule.template,
      runAt: 120,
      scheduleId: 7,
      afterAnyOf: [8],
    });
    queue.inserted({ id: 9 });
    // maxRuns 3 reached: no next firing.
    assert.deepEqual(queue.row(), {
      runs: 3,
      skipped: 1,
      lastSlot: 120,
      nextAt: null,
      lastTaskId: 9,
    });
    assert.deepEqual(queue.events()[0], {
      kind: "schedule_fired",
      data: { scheduleId: 7, slot: 120, taskIds: [8, 9] },
    });

    // queue with a run still waiting: the firing is passed over.
    const waiting = new FiringPlan({ ...schedule, overlap: "queue", lastStatus: "queued" }, firing);
    assert.equal(waiting.taskFor(60), undefined);
    // A key's holder that skips the task counts as a skipped slot.
    const keyed = new FiringPlan({ ...schedule, lastStatus: "succeeded" }, firing);
    assert.deepEqual(keyed.taskFor(60)?.afterAnyOf, []);
    keyed.inserted({ id: 3, key: { action: "skipped", holder: 3, holderRunning: false } });
    assert.equal(keyed.row().skipped, 2);

    assert.ok(staleFiring(undefined, firing));
    assert.ok(staleFiring({ paused: true, lastSlot: null }, firing));
    assert.ok(staleFiring({ paused: false, lastSlot: 120 }, firing));
    assert.ok(!staleFiring({ paused: false, lastSlot: 60 }, firing));
  });
});
