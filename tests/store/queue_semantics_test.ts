import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { SqliteTaskStore } from "../../src/store/sqlite_task_store.ts";
import { cancelOne, claimOne, finishOne, submitIds } from "../_helpers/store.ts";
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
  const claim = () => claimOne(store, "me");
  const run = async (id: number, outcome: TaskOutcome) => {
    const task = await claimOne(store, "me");
    assert.equal(task?.id, id, `task ${id} is the one claimed`);
    return await finishOne(store, id, "me", outcome);
  };
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "bgt-queue-"));
    store = await SqliteTaskStore.open(join(dir, "bgt.db"));
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("a chain a → b → c: c is blocked until b succeeds, and fails with a reason when b fails", async () => {
    const [a] = await submitIds(store, [cmd("a")]);
    const [b] = await submitIds(store, [cmd("b", { after: [a] })]);
    const [c] = await submitIds(store, [cmd("c", { after: [b] })]);
    assert.equal((await store.get(b))!.status, "blocked");
    assert.deepEqual((await store.get(c))!.after, [b]);
    assert.equal((await claim())?.id, a, "blocked tasks are not claimed");
    assert.equal(await claim(), undefined);
    await finishOne(store, a, "me", { status: "succeeded", exitCode: 0 });
    assert.equal((await store.get(b))!.status, "queued");
    assert.equal((await store.get(c))!.status, "blocked");
    const ended = await run(b, { status: "failed", exitCode: 3 });
    assert.deepEqual(ended.map((task) => [task.id, task.status]), [[b, "failed"], [c, "failed"]]);
    assert.match((await store.get(c))!.error!.message, new RegExp(`Dependency #${b} failed`));
  });

  test("a diamond runs its join only after both branches, and a failure reaches it once", async () => {
    const [top] = await submitIds(store, [cmd("top")]);
    const [left, right] = await submitIds(store, [
      cmd("left", { after: [top] }),
      cmd("right", { after: [top] }),
    ]);
    const [join] = await submitIds(store, [cmd("join", { after: [left, right] })]);
    await run(top, { status: "succeeded", exitCode: 0 });
    const first = (await claim())!;
    await finishOne(store, first.id, "me", { status: "succeeded", exitCode: 0 });
    assert.equal((await store.get(join))!.status, "blocked", "one branch is not enough");
    const second = (await claim())!;
    await finishOne(store, second.id, "me", { status: "succeeded", exitCode: 0 });
    assert.equal((await store.get(join))!.status, "queued");
  });

  test("--after-any runs the dependant whatever the dependency's outcome", async () => {
    const [a] = await submitIds(store, [cmd("a")]);
    const [b] = await submitIds(store, [cmd("b", { after: [a], afterAny: true })]);
    await run(a, { status: "failed", exitCode: 1 });
    assert.equal((await store.get(b))!.status, "queued");
  });

  test("a dependency that is retrying keeps its dependant blocked", async () => {
    const [a] = await submitIds(store, [cmd("a", { maxAttempts: 2 })]);
    const [b] = await submitIds(store, [cmd("b", { after: [a] })]);
    const [again] = await run(a, { status: "failed", exitCode: 1 });
    assert.equal(again.status, "queued");
    assert.equal((await store.get(b))!.status, "blocked");
  });

  test("canceling a dependency fails its dependants; an unknown dependency is refused", async () => {
    const [a] = await submitIds(store, [cmd("a")]);
    const [b] = await submitIds(store, [cmd("b", { after: [a] })]);
    const ended = await cancelOne(store, a);
    assert.deepEqual(ended.map((task) => task.status), ["canceled", "failed"]);
    assert.match((await store.get(b))!.error!.message, /ended canceled/);
    const before = await store.counts();
    await assert.rejects(submitIds(store, [cmd("x"), cmd("y", { after: [9999] })]), /task 9999/);
    assert.deepEqual(await store.counts(), before, "nothing of the refused batch is stored");
  });

  test("a task submitted after a dependency that already failed fails at once", async () => {
    const [a] = await submitIds(store, [cmd("a")]);
    await run(a, { status: "failed", exitCode: 1 });
    const [b] = await submitIds(store, [cmd("b", { after: [a] })]);
    assert.equal((await store.get(b))!.status, "failed");
  });

  test("keys: skip returns the holder, replace cancels a waiting holder, queue waits for it", async () => {
    const [first] = await submitIds(store, [cmd("first", { key: "k" })]);
    const [skipped] = await store.submit([cmd("second", { key: "k" })]);
    assert.deepEqual(skipped, {
      id: first,
      key: { action: "skipped", holder: first, holderRunning: false },
    });
    const [replaced] = await store.submit([cmd("third", { key: "k", onKey: "replace" })]);
    assert.equal((await store.get(first))!.status, "canceled");
    assert.equal((await store.get(replaced.id))!.status, "queued");
    const [queued] = await store.submit([cmd("fourth", { key: "k", onKey: "queue" })]);
    assert.equal(queued.key?.action, "queued");
    assert.equal((await store.get(queued.id))!.status, "blocked");
    await run(replaced.id, { status: "failed", exitCode: 1 });
    assert.equal((await store.get(queued.id))!.status, "queued", "queue waits for any outcome");
    await run(queued.id, { status: "succeeded", exitCode: 0 });
    const [fresh] = await store.submit([cmd("fifth", { key: "k" })]);
    assert.equal(fresh.key, undefined, "a finished holder no longer holds the key");
  });

  test("a key's holder is waited for whatever its end, beside strict --after dependencies", async () => {
    const [strict] = await submitIds(store, [cmd("strict")]);
    const [holder] = await submitIds(store, [cmd("holder", { key: "k" })]);
    assert.equal((await claim())?.id, strict);
    await finishOne(store, strict, "me", { status: "succeeded", exitCode: 0 });
    const [next] = await store.submit([cmd("next", { key: "k", onKey: "queue", after: [strict] })]);
    assert.deepEqual((await store.get(next.id))!.after, [strict, holder]);
    await run(holder, { status: "failed", exitCode: 1 });
    assert.equal(
      (await store.get(next.id))!.status,
      "queued",
      "the holder's failure does not fail it",
    );
    const [failing] = await submitIds(store, [cmd("failing")]);
    const [last] = await store.submit([
      cmd("last", { key: "k", onKey: "queue", after: [failing] }),
    ]);
    await run(next.id, { status: "succeeded", exitCode: 0 });
    await run(failing, { status: "failed", exitCode: 1 });
    assert.equal(
      (await store.get(last.id))!.status,
      "failed",
      "a strict dependency still fails it",
    );
  });

  test("a group's parallelism and pause are honoured by claim", async () => {
    await store.setGroup("io", { parallel: 1 });
    await submitIds(store, [cmd("io1", { group: "io" }), cmd("io2", { group: "io" })]);
    assert.equal((await store.groups())[0].parallel, 1);
    await store.setGroup("io", { paused: true });
    assert.equal(await claim(), undefined, "a paused group starts nothing");
    await store.setGroup("io", { paused: false });
    assert.equal((await claim())?.name, "io1");
    assert.deepEqual(await store.runningByGroup(), { io: 1 });
  });

  test("retries wait an exponential backoff with jitter from --backoff", async () => {
    const [id] = await submitIds(store, [cmd("flaky", { maxAttempts: 3, backoffMs: 10_000 })]);
    const before = Date.now();
    const [retry] = await run(id, { status: "failed", exitCode: 1 });
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

  test("schedules: fire() creates tasks linked to the schedule, once per handled slot", async () => {
    const now = Date.now() - 10_000; // slots in the past: their tasks are due
    const id = await store.schedules.create({
      every: "2s",
      timeZone: null,
      template: cmd("tick"),
      anchor: now,
      nextAt: now + 2000,
    });
    assert.equal(await store.nextWakeIn(), 0, "its firing is due");
    const { now: storeNow, due } = await store.schedules.dueSchedules();
    assert.deepEqual(due.map((schedule) => schedule.id), [id]);
    assert.ok(storeNow >= now + 10_000, "with the store's time to plan with");
    const firing = { slots: [now + 2000], skipped: 0, lastSlot: now + 2000, nextAt: now + 4000 };
    const [task] = await store.schedules.fire(id, firing);
    assert.deepEqual(await store.schedules.fire(id, firing), [], "a slot fires once");
    assert.equal((await store.get(task))!.scheduleId, id);
    assert.equal((await store.get(task))!.runAt, now + 2000);
    assert.deepEqual((await store.list({ scheduleId: id })).map((t) => t.id), [task]);
    const schedule = (await store.schedules.get(id))!;
    assert.equal(schedule.runs, 1);
    assert.equal(schedule.nextAt, now + 4000);
    assert.equal(schedule.lastStatus, "queued");
  });

  test("schedules: overlap skip passes over a firing while the last run is unfinished", async () => {
    const now = Date.now();
    const id = await store.schedules.create({
      every: "1s",
      timeZone: null,
      template: cmd("tick"),
      anchor: now,
      nextAt: now + 1000,
    });
    await store.schedules.fire(
      id,
      { slots: [now + 1000], skipped: 0, lastSlot: now + 1000, nextAt: 0 },
    );
    const ids = await store.schedules.fire(
      id,
      { slots: [now + 2000], skipped: 0, lastSlot: now + 2000, nextAt: now + 3000 },
    );
    assert.deepEqual(ids, []);
    assert.equal((await store.schedules.get(id))!.skipped, 1);
  });

  test("schedules: queue overlap makes the next run wait for the last; max runs ends it", async () => {
    const now = Date.now() - 10_000; // slots in the past: their tasks are due
    const id = await store.schedules.create({
      every: "1s",
      timeZone: null,
      template: cmd("tick"),
      overlap: "queue",
      maxRuns: 2,
      anchor: now,
      nextAt: now + 1000,
    });
    const [first] = await store.schedules.fire(
      id,
      { slots: [now + 1000], skipped: 0, lastSlot: now + 1000, nextAt: now + 2000 },
    );
    assert.equal((await claim())?.id, first);
    const [second] = await store.schedules.fire(
      id,
      { slots: [now + 2000], skipped: 0, lastSlot: now + 2000, nextAt: now + 3000 },
    );
    assert.deepEqual((await store.get(second))!.after, [first]);
    assert.equal((await store.get(second))!.status, "blocked");
    assert.equal((await store.schedules.get(id))!.nextAt, null, "two runs were all it may make");
    assert.equal(await store.nextWakeIn(), undefined, "no firing ahead, no task waiting");
  });

  test("schedules: pause, resume and remove", async () => {
    const now = Date.now() - 10_000; // its firing is due
    const id = await store.schedules.create({
      every: "1s",
      timeZone: null,
      template: cmd("tick"),
      anchor: now,
      nextAt: now + 1000,
    });
    await store.schedules.setPaused(id, true);
    assert.deepEqual((await store.schedules.dueSchedules()).due, [], "a paused one is never due");
    await store.schedules.setPaused(id, false, { lastSlot: now + 5000, nextAt: now + 6000 });
    assert.equal((await store.schedules.get(id))!.nextAt, now + 6000);
    assert.deepEqual(await store.schedules.remove(id), { canceled: [], running: [] });
    assert.equal(await store.schedules.remove(id), undefined);
  });
});
