import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { SqliteTaskStore } from "../../src/store/sqlite_task_store.ts";
import { RunTimers } from "../../src/supervisor/run_timers.ts";
import type { Task } from "../../src/task/types.ts";
import { claimOne, submitIds } from "../_helpers/store.ts";

/** A run that records the signals it is sent, and tells when one arrives. */
function fakeRun() {
  const signals: string[] = [];
  const waiters: { signal: string; resolve: () => void }[] = [];
  return {
    signals,
    kill(signal: NodeJS.Signals) {
      signals.push(signal);
      for (const waiter of waiters.filter((waiter) => waiter.signal === signal)) waiter.resolve();
    },
    /** Resolves once `signal` has been sent. */
    got(signal: string): Promise<void> {
      if (signals.includes(signal)) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ signal, resolve }));
    },
  };
}

/** Lets a few turns of the loop pass (for what must NOT happen). */
async function someTurns(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe("RunTimers", () => {
  let dir: string;
  let store: SqliteTaskStore;
  let timers: RunTimers | undefined;
  let clock = 0;
  const now = () => clock;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "bgt-run-timers-"));
    store = await SqliteTaskStore.open(join(dir, "bgt.db"));
    clock = 1_000_000_000_000;
  });
  afterEach(async () => {
    for (const id of [1, 2, 3]) timers?.end(id);
    timers = undefined;
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A running task claimed from the store, with `timeoutMs`, then as `change` says. */
  async function runningTask(timeoutMs: number | null, change: Partial<Task> = {}) {
    await submitIds(store, [{ spec: { kind: "command", argv: ["sleep"] }, timeoutMs }]);
    const task = (await claimOne(store, "me"))!;
    return { ...task, ...change };
  }

  test("the timeout fires at start + timeout + paused time (pauses before a crash included)", async () => {
    timers = new RunTimers({ store, now });
    const startedAt = clock - 5000;
    const task = await runningTask(10_000, { startedAt, pausedMs: 2000 });
    timers.start(task, fakeRun());
    assert.equal(timers.deadline(task.id), startedAt + 10_000 + 2000);
    assert.equal(timers.remaining(task.id), undefined);
  });

  test("a run paused when it is taken over waits for its resume, counting the pause so far", async () => {
    timers = new RunTimers({ store, now });
    const startedAt = clock - 5000;
    const task = await runningTask(10_000, {
      startedAt,
      status: "paused",
      pausedAt: clock - 4000,
      pausedMs: 500,
    });
    timers.start(task, fakeRun());
    assert.equal(timers.deadline(task.id), undefined, "not counting while paused");
    assert.equal(timers.remaining(task.id), 10_000 - (5000 - 4000 - 500));
    clock += 60_000;
    timers.resume(task.id);
    assert.equal(timers.deadline(task.id), clock + 9500);
  });

  test("a pause stops the count; the resume goes on from where it was", async () => {
    timers = new RunTimers({ store, now });
    const task = await runningTask(10_000, { startedAt: clock });
    timers.start(task, fakeRun());
    clock += 3000;
    timers.pause(task.id);
    assert.equal(timers.remaining(task.id), 7000);
    assert.equal(timers.deadline(task.id), undefined);
    clock += 3_600_000; // an hour paused
    timers.resume(task.id);
    assert.equal(timers.deadline(task.id), clock + 7000);
  });

  test("a run without a timeout has no deadline, and ends not timed out", async () => {
    timers = new RunTimers({ store, now });
    const task = await runningTask(null);
    timers.start(task, fakeRun());
    assert.equal(timers.deadline(task.id), undefined);
    timers.pause(task.id);
    assert.equal(timers.remaining(task.id), undefined);
    assert.deepEqual(timers.end(task.id), { timedOut: false });
  });

  test("a run past its timeout gets SIGTERM, with the stop stored first, then SIGKILL after the grace", async () => {
    timers = new RunTimers({ store, now, killGraceMs: 10 });
    const task = await runningTask(1000, { startedAt: clock - 1000 });
    const run = fakeRun();
    timers.start(task, run);
    await run.got("SIGTERM");
    const row = await store.get(task.id);
    assert.equal(row?.stopReason, "timeout", "the intent is stored before the signal");
    assert.equal(row?.stopSignal, "SIGTERM");
    await run.got("SIGKILL");
    assert.deepEqual(run.signals, ["SIGTERM", "SIGKILL"]);
    assert.deepEqual(timers.end(task.id), { timedOut: true });
  });

  test("a run that ends before its timeout gets no signal", async () => {
    timers = new RunTimers({ store, now, killGraceMs: 0 });
    const task = await runningTask(1000, { startedAt: clock - 1000 });
    const run = fakeRun();
    timers.start(task, run);
    assert.deepEqual(timers.end(task.id), { timedOut: false }); // ended in the same turn
    await someTurns();
    assert.deepEqual(run.signals, []);
    assert.equal((await store.get(task.id))?.stopReason ?? null, null);
  });

  test("a kill stores its intent, signals, and SIGKILLs after the grace", async () => {
    timers = new RunTimers({ store, now, killGraceMs: 10 });
    const task = await runningTask(null);
    const run = fakeRun();
    timers.start(task, run);
    assert.equal(await timers.stop(task.id, { reason: "kill", signal: "SIGINT" }), true);
    assert.deepEqual(run.signals, ["SIGINT"]);
    const row = await store.get(task.id);
    assert.equal(row?.stopReason, "kill");
    assert.equal(row?.stopSignal, "SIGINT");
    await run.got("SIGKILL");
    assert.deepEqual(timers.end(task.id), { timedOut: false });
  });

  test("SIGKILL needs no grace; a stop of an ended run sends nothing", async () => {
    timers = new RunTimers({ store, now, killGraceMs: 0 });
    const task = await runningTask(null);
    const run = fakeRun();
    timers.start(task, run);
    assert.equal(await timers.stop(task.id, { reason: "kill", signal: "SIGKILL" }), true);
    await someTurns();
    assert.deepEqual(run.signals, ["SIGKILL"]);
    timers.end(task.id);
    assert.equal(await timers.stop(task.id, { reason: "kill", signal: "SIGTERM" }), false);
    assert.deepEqual(run.signals, ["SIGKILL"]);
  });

  test("a store that refuses the stop does not hold the signal back", async () => {
    const lines: string[] = [];
    timers = new RunTimers({
      store: { setStop: () => Promise.reject(new Error("disk full")) },
      now,
      killGraceMs: 0,
      log: (line) => lines.push(line),
    });
    const task = await runningTask(null);
    const run = fakeRun();
    timers.start(task, run);
    assert.equal(await timers.stop(task.id, { reason: "kill", signal: "SIGTERM" }), true);
    assert.deepEqual(run.signals, ["SIGTERM"]);
    assert.deepEqual(lines, [`cannot store the kill of task ${task.id}: disk full`]);
    timers.end(task.id);
  });

  test("a timeout stored before a crash is carried by start", async () => {
    timers = new RunTimers({ store, now });
    const task = await runningTask(null);
    timers.start(task, fakeRun(), { timedOut: true });
    assert.deepEqual(timers.end(task.id), { timedOut: true });
  });
});
