import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { SqliteTaskStore } from "../../src/store/sqlite_task_store.ts";
import type { NewTask, TaskOutcome } from "../../src/task/types.ts";
import { retryDelay } from "../../src/task/retry_delay.ts";

const cmd = (name: string, extra: Partial<NewTask> = {}): NewTask => ({
  spec: { kind: "command", argv: [name] },
  name,
  ...extra,
});

describe("queue semantics of the store", () => {
  let dir: string;
  let store: SqliteTaskStore;
  const claim = () => store.claimNext("me", { now: Date.now(), fullGroups: [] });
  const run = (id: number, outcome: TaskOutcome) => {
    const task = claim();
    assert.equal(task?.id, id, `task ${id} is the one claimed`);
    return store.finish(id, "me", outcome);
  };
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "bgt-queue-"));
    store = await SqliteTaskStore.open(join(dir, "bgt.db"));
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("a chain a → b → c: c is blocked until b succeeds, and fails with a reason when b fails", () => {
    const [a] = store.submit([cmd("a")]);
    const [b] = store.submit([cmd("b", { after: [a] })]);
    const [c] = store.submit([cmd("c", { after: [b] })]);
    assert.equal(store.get(b)!.status, "blocked");
    assert.deepEqual(store.get(c)!.after, [b]);
    assert.equal(claim()?.id, a, "blocked tasks are not claimed");
    assert.equal(claim(), undefined);
    store.finish(a, "me", { status: "succeeded", exitCode: 0 });
    assert.equal(store.get(b)!.status, "queued");
    assert.equal(store.get(c)!.status, "blocked");
    const ended = run(b, { status: "failed", exitCode: 3 });
    assert.deepEqual(ended.map((task) => [task.id, task.status]), [[b, "failed"], [c, "failed"]]);
    assert.match(store.get(c)!.error!.message, new RegExp(`Dependency #${b} failed`));
  });

  test("a diamond runs its join only after both branches, and a failure reaches it once", () => {
    const [top] = store.submit([cmd("top")]);
    const [left, right] = store.submit([
      cmd("left", { after: [top] }),
      cmd("right", { after: [top] }),
    ]);
    const [join] = store.submit([cmd("join", { after: [left, right] })]);
    run(top, { status: "succeeded", exitCode: 0 });
    const first = claim()!;
    store.finish(first.id, "me", { status: "succeeded", exitCode: 0 });
    assert.equal(store.get(join)!.status, "blocked", "one branch is not enough");
    const second = claim()!;
    store.finish(second.id, "me", { status: "succeeded", exitCode: 0 });
    assert.equal(store.get(join)!.status, "queued");
  });

  test("--after-any runs the dependant whatever the dependency's outcome", () => {
    const [a] = store.submit([cmd("a")]);
    const [b] = store.submit([cmd("b", { after: [a], afterAny: true })]);
    run(a, { status: "failed", exitCode: 1 });
    assert.equal(store.get(b)!.status, "queued");
  });

  test("a dependency that is retrying keeps its dependant blocked", () => {
    const [a] = store.submit([cmd("a", { maxAttempts: 2 })]);
    const [b] = store.submit([cmd("b", { after: [a] })]);
    const [again] = run(a, { status: "failed", exitCode: 1 });
    assert.equal(again.status, "queued");
    assert.equal(store.get(b)!.status, "blocked");
  });

  test("canceling a dependency fails its dependants; an unknown dependency is refused", () => {
    const [a] = store.submit([cmd("a")]);
    const [b] = store.submit([cmd("b", { after: [a] })]);
    const ended = store.cancel(a);
    assert.deepEqual(ended.map((task) => task.status), ["canceled", "failed"]);
    assert.match(store.get(b)!.error!.message, /ended canceled/);
    const before = store.counts();
    assert.throws(() => store.submit([cmd("x"), cmd("y", { after: [9999] })]), /task 9999/);
    assert.deepEqual(store.counts(), before, "nothing of the refused batch is stored");
  });

  test("a task submitted after a dependency that already failed fails at once", () => {
    const [a] = store.submit([cmd("a")]);
    run(a, { status: "failed", exitCode: 1 });
    const [b] = store.submit([cmd("b", { after: [a] })]);
    assert.equal(store.get(b)!.status, "failed");
  });

  test("keys: skip returns the holder, replace cancels a waiting holder, queue waits for it", () => {
    const [first] = store.submit([cmd("first", { key: "k" })]);
    const [skipped] = store.submitAll([cmd("second", { key: "k" })]);
    assert.deepEqual(skipped, {
      id: first,
      key: { action: "skipped", holder: first, holderRunning: false },
    });
    const [replaced] = store.submitAll([cmd("third", { key: "k", onKey: "replace" })]);
    assert.equal(store.get(first)!.status, "canceled");
    assert.equal(store.get(replaced.id)!.status, "queued");
    const [queued] = store.submitAll([cmd("fourth", { key: "k", onKey: "queue" })]);
    assert.equal(queued.key?.action, "queued");
    assert.equal(store.get(queued.id)!.status, "blocked");
    run(replaced.id, { status: "failed", exitCode: 1 });
    assert.equal(store.get(queued.id)!.status, "queued", "queue waits for any outcome");
    run(queued.id, { status: "succeeded", exitCode: 0 });
    const [fresh] = store.submitAll([cmd("fifth", { key: "k" })]);
    assert.equal(fresh.key, undefined, "a finished holder no longer holds the key");
  });

  test("a key's holder is waited for whatever its end, beside strict --after dependencies", () => {
    const [strict] = store.submit([cmd("strict")]);
    const [holder] = store.submit([cmd("holder", { key: "k" })]);
    assert.equal(claim()?.id, strict);
    store.finish(strict, "me", { status: "succeeded", exitCode: 0 });
    const [next] = store.submitAll([cmd("next", { key: "k", onKey: "queue", after: [strict] })]);
    assert.deepEqual(store.get(next.id)!.after, [strict, holder]);
    run(holder, { status: "failed", exitCode: 1 });
    assert.equal(store.get(next.id)!.status, "queued", "the holder's failure does not fail it");
    const [failing] = store.submit([cmd("failing")]);
    const [last] = store.submitAll([cmd("last", { key: "k", onKey: "queue", after: [failing] })]);
    run(next.id, { status: "succeeded", exitCode: 0 });
    run(failing, { status: "failed", exitCode: 1 });
    assert.equal(store.get(last.id)!.status, "failed", "a strict dependency still fails it");
  });

  test("a group's parallelism and pause are honoured by claimNext", () => {
    store.setGroup("io", { parallel: 1 });
    store.submit([cmd("io1", { group: "io" }), cmd("io2", { group: "io" })]);
    assert.equal(store.groups()[0].parallel, 1);
    store.setGroup("io", { paused: true });
    assert.equal(claim(), undefined, "a paused group starts nothing");
    store.setGroup("io", { paused: false });
    assert.equal(claim()?.name, "io1");
    assert.deepEqual(store.runningByGroup(), { io: 1 });
  });

  test("retries wait an exponential backoff with jitter from --backoff", () => {
    const [id] = store.submit([cmd("flaky", { maxAttempts: 3, backoffMs: 10_000 })]);
    const before = Date.now();
    const [retry] = run(id, { status: "failed", exitCode: 1 });
    const wait = retry.runAt - before;
    assert.ok(wait >= 8_000 && wait <= 12_100, `first retry after ~10 s, got ${wait} ms`);
    assert.equal(retry.status, "queued");
  });

  test("retryDelay doubles per attempt within ±20 %, capped at an hour", () => {
    assert.equal(retryDelay(1000, 1, () => 0.5), 1000);
    assert.equal(retryDelay(1000, 3, () => 0.5), 4000);
    assert.equal(retryDelay(1000, 3, () => 0), 3200);
    assert.equal(retryDelay(1000, 3, () => 0.999999), 4800);
    assert.equal(retryDelay(1000, 40, () => 0.5), 3_600_000);
  });

  test("schedules: fire() creates tasks linked to the schedule, once per handled slot", () => {
    const now = Date.now();
    const id = store.schedules.create({
      every: "2s",
      timeZone: null,
      template: cmd("tick"),
      anchor: now,
      nextAt: now + 2000,
    });
    assert.equal(store.schedules.nextAt(), now + 2000);
    assert.deepEqual(store.schedules.due(now), []);
    const firing = { slots: [now + 2000], skipped: 0, lastSlot: now + 2000, nextAt: now + 4000 };
    const [task] = store.schedules.fire(id, firing, now + 2000);
    assert.deepEqual(store.schedules.fire(id, firing, now + 2001), [], "a slot fires once");
    assert.equal(store.get(task)!.scheduleId, id);
    assert.equal(store.get(task)!.runAt, now + 2000);
    assert.deepEqual(store.list({ scheduleId: id }).map((t) => t.id), [task]);
    const schedule = store.schedules.get(id)!;
    assert.equal(schedule.runs, 1);
    assert.equal(schedule.nextAt, now + 4000);
    assert.equal(schedule.lastStatus, "queued");
  });

  test("schedules: overlap skip passes over a firing while the last run is unfinished", () => {
    const now = Date.now();
    const id = store.schedules.create({
      every: "1s",
      timeZone: null,
      template: cmd("tick"),
      anchor: now,
      nextAt: now + 1000,
    });
    store.schedules.fire(
      id,
      { slots: [now + 1000], skipped: 0, lastSlot: now + 1000, nextAt: 0 },
      now,
    );
    const ids = store.schedules.fire(
      id,
      { slots: [now + 2000], skipped: 0, lastSlot: now + 2000, nextAt: now + 3000 },
      now,
    );
    assert.deepEqual(ids, []);
    assert.equal(store.schedules.get(id)!.skipped, 1);
  });

  test("schedules: queue overlap makes the next run wait for the last; max runs ends it", () => {
    const now = Date.now();
    const id = store.schedules.create({
      every: "1s",
      timeZone: null,
      template: cmd("tick"),
      overlap: "queue",
      maxRuns: 2,
      anchor: now,
      nextAt: now + 1000,
    });
    const [first] = store.schedules.fire(
      id,
      { slots: [now + 1000], skipped: 0, lastSlot: now + 1000, nextAt: now + 2000 },
      now,
    );
    store.claimNext("me", { now: now + 1000, fullGroups: [] });
    const [second] = store.schedules.fire(
      id,
      { slots: [now + 2000], skipped: 0, lastSlot: now + 2000, nextAt: now + 3000 },
      now,
    );
    assert.deepEqual(store.get(second)!.after, [first]);
    assert.equal(store.get(second)!.status, "blocked");
    assert.equal(store.schedules.get(id)!.nextAt, null, "two runs were all it may make");
    assert.equal(store.schedules.nextAt(), undefined);
  });

  test("schedules: pause, resume and remove", () => {
    const now = Date.now();
    const id = store.schedules.create({
      every: "1s",
      timeZone: null,
      template: cmd("tick"),
      anchor: now,
      nextAt: now + 1000,
    });
    store.schedules.setPaused(id, true);
    assert.deepEqual(store.schedules.due(now + 5000), []);
    store.schedules.setPaused(id, false, { lastSlot: now + 5000, nextAt: now + 6000 });
    assert.equal(store.schedules.get(id)!.nextAt, now + 6000);
    assert.deepEqual(store.schedules.remove(id), { canceled: [], running: [] });
    assert.equal(store.schedules.remove(id), undefined);
  });
});
