/**
 * The store contract, as every backend must keep it (see tests/store/_stores.ts). Written
 * against the TaskStore interface only: the same tests run on SQLite and PostgreSQL (but the
 * last suite, about opening a PostgreSQL store).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import postgres from "postgres";
import { PostgresTaskStore } from "../../src/store/postgres/postgres_task_store.ts";
import type { TaskStore } from "../../src/store/task_store.ts";
import type { TaskEventKind } from "../../src/task/events.ts";
import type { NewTask, TaskOutcome } from "../../src/task/types.ts";
import { forEachStore, postgresFactory, TEST_POSTGRES_URL } from "./_stores.ts";

const cmd = (name: string, extra: Partial<NewTask> = {}): NewTask => ({
  spec: { kind: "command", argv: ["echo", name] },
  name,
  ...extra,
});
const mod = (name: string, extra: Partial<NewTask> = {}): NewTask => ({
  spec: { kind: "module", module: "job.ts", export: "default", args: [] },
  name,
  ...extra,
});
const ROOM = { maxProcesses: 100, maxWorkers: 100 };
const OK: TaskOutcome = { status: "succeeded", exitCode: 0 };
const FAILED: TaskOutcome = {
  status: "failed",
  exitCode: 1,
  error: { name: "Error", message: "x" },
};

async function ids(store: TaskStore, tasks: NewTask[]): Promise<number[]> {
  return (await store.submit(tasks)).map((result) => result.id);
}

/** Claims every due task (as owner) and ends each with `outcome`. */
async function runAll(store: TaskStore, owner: string, outcome: TaskOutcome = OK) {
  const claimed = await store.claim(owner, ROOM);
  await store.finish(
    owner,
    claimed.map((task) => ({ id: task.id, attempt: task.attempt, outcome })),
  );
  return claimed.map((task) => task.id);
}

async function kinds(
  store: TaskStore,
  after: number,
  taskIds?: number[],
): Promise<TaskEventKind[]> {
  return (await store.events(after, { taskIds })).map((event) => event.kind);
}

forEachStore("tasks: submit and read", (open) => {
  test("submit stores queued tasks with their fields and defaults; get, list, count, counts", async () => {
    const store = await open();
    const before = await store.now();
    const [a, b] = await ids(store, [
      cmd("a"),
      cmd("b", { group: "g", priority: 3, meta: { k: "v", n: 2 }, env: { X: "1" }, cwd: "/tmp" }),
    ]);
    assert.ok(b > a);
    const task = (await store.get(b))!;
    assert.equal(task.status, "queued");
    assert.deepEqual(task.spec, { kind: "command", argv: ["echo", "b"] });
    assert.equal(task.name, "b");
    assert.equal(task.group, "g");
    assert.equal(task.priority, 3);
    assert.deepEqual(task.meta, { k: "v", n: 2 });
    assert.deepEqual(task.env, { X: "1" });
    assert.equal(task.cwd, "/tmp");
    assert.equal(task.attempt, 0);
    assert.equal(task.maxAttempts, 1);
    assert.equal(task.backoffMs, 1000);
    assert.equal(task.timeoutMs, null);
    assert.deepEqual(task.after, []);
    assert.equal(task.afterAny, false);
    assert.equal(task.stdin, false);
    assert.equal(task.result, undefined);
    assert.equal(task.error, null);
    assert.ok(task.createdAt >= before && task.runAt === task.createdAt);
    assert.equal((await store.get(a))!.group, "default");
    assert.equal(await store.get(b + 1000), undefined);

    assert.deepEqual((await store.list()).map((t) => t.id), [b, a]);
    assert.deepEqual((await store.list({ newestFirst: false })).map((t) => t.id), [a, b]);
    assert.deepEqual((await store.list({ group: "g" })).map((t) => t.id), [b]);
    assert.deepEqual((await store.list({ name: "[ab]" })).map((t) => t.id), [b, a]);
    assert.deepEqual((await store.list({ name: "a*" })).map((t) => t.id), [a]);
    assert.deepEqual((await store.list({ meta: { n: "2" } })).map((t) => t.id), [b]);
    assert.deepEqual((await store.list({ ids: [a] })).map((t) => t.id), [a]);
    assert.deepEqual((await store.list({ limit: 1, offset: 1 })).map((t) => t.id), [a]);
    assert.equal(await store.count({ status: ["queued"] }), 2);
    assert.equal(await store.count({ group: "nope" }), 0);
    assert.equal(await store.count({ status: ["queued"] }, 1), 1, "counted up to 1");
    assert.equal(await store.count({ group: "g" }, 5), 1, "fewer than the bound: exact");
    assert.deepEqual(await store.counts(), { queued: 2 });
  });

  test("a task to run later is scheduled; a submit waiting on a missing id stores nothing", async () => {
    const store = await open();
    const now = await store.now();
    const [later] = await ids(store, [cmd("later", { runAt: now + 60_000 })]);
    assert.equal((await store.get(later))!.status, "scheduled");
    await assert.rejects(store.submit([cmd("x"), cmd("y", { after: [later + 99] })]), {
      code: "SUBMIT_REFUSED",
    });
    assert.equal(await store.count(), 1);
  });
});

forEachStore("claims", (open) => {
  test("claim takes due tasks in (priority desc, run_at, id) order within each kind's budget", async () => {
    const store = await open();
    const now = await store.now();
    const [low, high, early, worker, later] = await ids(store, [
      cmd("low"),
      cmd("high", { priority: 5 }),
      cmd("early", { runAt: now - 10_000 }),
      mod("worker"),
      cmd("later", { runAt: now + 60_000 }),
    ]);
    const first = await store.claim("s1", { maxProcesses: 2, maxWorkers: 0 });
    assert.deepEqual(first.map((t) => t.id), [high, early]);
    assert.ok(first.every((t) => t.status === "running" && t.owner === "s1" && t.attempt === 1));
    const second = await store.claim("s1", { maxProcesses: 5, maxWorkers: 5 });
    assert.deepEqual(second.map((t) => t.id), [low, worker]);
    assert.equal((await store.get(later))!.status, "scheduled");
    assert.deepEqual(await store.claim("s1", ROOM), []);
  });

  test("claim keeps to the limit and to groups' parallel; a paused group starts nothing", async () => {
    const store = await open();
    await store.setGroup("g", { parallel: 2 });
    await ids(store, [
      cmd("1", { group: "g" }),
      cmd("2", { group: "g" }),
      cmd("3", { group: "g" }),
    ]);
    const [other] = await ids(store, [cmd("other", { group: "h" })]);
    await store.setGroup("h", { paused: true });
    assert.equal((await store.claim("s", { ...ROOM, limit: 1 })).length, 1);
    assert.equal((await store.claim("s", ROOM)).length, 1);
    assert.deepEqual(await store.claim("s", ROOM), []);
    assert.deepEqual(await store.runningByGroup(), { g: 2 });
    assert.deepEqual(await store.groups(), [
      { name: "g", parallel: 2, paused: false },
      { name: "h", parallel: null, paused: true },
    ]);
    await store.setGroup("h", { paused: false });
    assert.deepEqual((await store.claim("s", ROOM)).map((t) => t.id), [other]);
  });

  test("two concurrent claimers never take one task twice nor exceed a group's parallel", async () => {
    const one = await open();
    const two = await open(one);
    await one.setGroup("g", { parallel: 3 });
    const tasks = [
      ...Array.from({ length: 12 }, (_, i) => cmd(`g${i}`, { group: "g" })),
      ...Array.from({ length: 20 }, (_, i) => cmd(`f${i}`)),
    ];
    await one.submit(tasks);
    const claimed: number[] = [];
    for (let round = 0; round < 3; round++) {
      const [a, b] = await Promise.all([
        one.claim("a", { maxProcesses: 4, maxWorkers: 0 }),
        two.claim("b", { maxProcesses: 4, maxWorkers: 0 }),
      ]);
      claimed.push(...a.map((t) => t.id), ...b.map((t) => t.id));
      assert.ok(((await one.runningByGroup()).g ?? 0) <= 3);
    }
    assert.equal(new Set(claimed).size, claimed.length);
    assert.equal((await one.runningByGroup()).g, 3);
    assert.equal(claimed.length, 23); // 3 of g (its parallel) and all 20 others
  });
});

forEachStore("finish, retries and dependencies", (open) => {
  test("finish is fenced by owner and attempt: a stale end changes nothing", async () => {
    const store = await open();
    const [id] = await ids(store, [cmd("a")]);
    const [task] = await store.claim("s", ROOM);
    assert.deepEqual(await store.finish("other", [{ id, attempt: task.attempt, outcome: OK }]), []);
    assert.deepEqual(await store.finish("s", [{ id, attempt: task.attempt + 1, outcome: OK }]), []);
    assert.equal((await store.get(id))!.status, "running");
    const events = await store.finish("s", [{
      id,
      attempt: task.attempt,
      outcome: { ...OK, result: { n: 1 } },
    }], [
      { id, attempt: task.attempt, pid: 4242 },
    ]);
    assert.deepEqual(events.map((e) => [e.taskId, e.kind, e.data.attempt]), [[id, "succeeded", 1]]);
    const done = (await store.get(id))!;
    assert.equal(done.status, "succeeded");
    assert.deepEqual(done.result, { n: 1 });
    assert.equal(done.owner, null);
    assert.ok(done.finishedAt !== null);
    const [attempt] = await store.attempts(id);
    assert.equal(attempt.status, "succeeded");
    assert.equal(attempt.pid, 4242);
    assert.deepEqual(await store.finish("s", [{ id, attempt: task.attempt, outcome: FAILED }]), []);
    assert.equal((await store.get(id))!.status, "succeeded");
  });

  test("a failure with attempts left goes back to queued after the backoff", async () => {
    const store = await open();
    const [id] = await ids(store, [cmd("a", { maxAttempts: 2, backoffMs: 10_000 })]);
    const [task] = await store.claim("s", ROOM);
    const [event] = await store.finish("s", [{ id, attempt: 1, outcome: FAILED }]);
    assert.equal(event.kind, "retrying");
    const retried = (await store.get(id))!;
    assert.equal(retried.status, "queued");
    assert.equal(retried.finishedAt, null);
    const delay = retried.runAt - event.at;
    assert.ok(delay >= 8_000 && delay < 12_000, `delay ${delay}`);
    assert.equal(event.data.runAt, retried.runAt);
    assert.deepEqual(await store.claim("s", ROOM), []); // not due yet
    assert.equal((await store.attempts(id))[0].status, "failed");
    assert.equal(task.attempt, 1);
  });

  test("the last attempt's failure ends the task", async () => {
    const store = await open();
    const [id] = await ids(store, [cmd("a", { maxAttempts: 2, backoffMs: 0 })]);
    await runAll(store, "s", FAILED);
    const [again] = await store.claim("s", ROOM);
    assert.equal(again.attempt, 2);
    const events = await store.finish("s", [{ id, attempt: 2, outcome: FAILED }]);
    assert.deepEqual(events.map((e) => e.kind), ["failed"]);
    assert.equal((await store.get(id))!.status, "failed");
    assert.deepEqual((await store.attempts(id)).map((a) => a.attempt), [1, 2]);
  });

  test("dependants run after success; a failure fails them down the chain; afterAny runs anyway", async () => {
    const store = await open();
    const [a] = await ids(store, [cmd("a")]);
    const [b] = await ids(store, [cmd("b", { after: [a] })]);
    const [c] = await ids(store, [cmd("c", { after: [b] })]);
    const [d] = await ids(store, [cmd("d", { after: [a], afterAny: true })]);
    const [e] = await ids(store, [cmd("e", { afterAnyOf: [a] })]);
    assert.equal((await store.get(b))!.status, "blocked");
    assert.deepEqual((await store.get(b))!.after, [a]);
    const events = await store.finish("s", []).then(() => []);
    assert.deepEqual(events, []);
    const [task] = await store.claim("s", ROOM);
    assert.equal(task.id, a);
    const ended = await store.finish("s", [{ id: a, attempt: 1, outcome: FAILED }]);
    assert.deepEqual(ended.map((event) => [event.taskId, event.kind]), [[a, "failed"], [
      b,
      "failed",
    ], [c, "failed"]]);
    assert.equal((await store.get(b))!.error?.name, "DependencyFailed");
    assert.equal((await store.get(d))!.status, "queued");
    assert.equal((await store.get(e))!.status, "queued");

    const [x] = await ids(store, [cmd("x")]);
    const [y] = await ids(store, [cmd("y", { after: [x] })]);
    await runAll(store, "s");
    assert.equal((await store.get(y))!.status, "queued");
    const [z] = await ids(store, [cmd("z", { after: [a] })]);
    assert.equal((await store.get(z))!.status, "failed");
  });
});

forEachStore("concurrent settlement", (open) => {
  test("a dependant submitted while its dependency ends is never left blocked", async () => {
    const one = await open();
    const two = await open(one);
    for (let round = 0; round < 10; round++) {
      const [dep] = await ids(one, [cmd(`dep${round}`)]);
      const [task] = await one.claim("s", ROOM);
      const [, [dependant]] = await Promise.all([
        one.finish("s", [{ id: dep, attempt: task.attempt, outcome: OK }]),
        two.submit([cmd(`after${round}`, { after: [dep] })]),
      ]);
      assert.equal((await one.get(dependant.id))!.status, "queued");
    }
  });

  test("two dependencies ending in two transactions at once release their dependant", async () => {
    const one = await open();
    const two = await open(one);
    for (let round = 0; round < 10; round++) {
      const [a, b] = await ids(one, [cmd(`a${round}`), cmd(`b${round}`)]);
      const [c] = await ids(one, [cmd(`c${round}`, { after: [a, b] })]);
      const claimed = await one.claim("s", ROOM);
      assert.deepEqual(claimed.map((t) => t.id), [a, b]);
      await Promise.all([
        one.finish("s", [{ id: a, attempt: 1, outcome: OK }]),
        two.finish("s", [{ id: b, attempt: 1, outcome: OK }]),
      ]);
      assert.equal((await one.get(c))!.status, "queued");
      await runAll(one, "s");
    }
  });
});

forEachStore("keys", (open) => {
  test("skip returns the holder; replace cancels a waiting holder; queue waits for it", async () => {
    const store = await open();
    const [holder] = await ids(store, [cmd("h", { key: "k" })]);
    const [skip] = await store.submit([cmd("s", { key: "k" })]);
    assert.deepEqual(skip, {
      id: holder,
      key: { action: "skipped", holder, holderRunning: false },
    });
    const [replace] = await store.submit([cmd("r", { key: "k", onKey: "replace" })]);
    assert.deepEqual(replace.key, { action: "replaced", holder, holderRunning: false });
    assert.equal((await store.get(holder))!.status, "canceled");
    assert.equal((await store.get(holder))!.error?.name, "Replaced");
    const [running] = await store.claim("s", ROOM);
    assert.equal(running.id, replace.id);
    const [queued] = await store.submit([cmd("q", { key: "k", onKey: "queue" })]);
    assert.deepEqual(queued.key, { action: "queued", holder: replace.id, holderRunning: true });
    assert.equal((await store.get(queued.id))!.status, "blocked");
    await store.finish("s", [{ id: replace.id, attempt: 1, outcome: FAILED }]);
    assert.equal((await store.get(queued.id))!.status, "queued");
  });

  test("two concurrent submits with one key make one task", async () => {
    const one = await open();
    const two = await open(one);
    const [[a], [b]] = await Promise.all([
      one.submit([cmd("a", { key: "same" })]),
      two.submit([cmd("b", { key: "same" })]),
    ]);
    assert.equal(a.id, b.id);
    assert.equal(await one.count(), 1);
    assert.equal([a, b].filter((result) => result.key?.action === "skipped").length, 1);
  });
});

forEachStore("cancel, remove, restart, pause", (open) => {
  test("cancel ends tasks that have not started and settles their dependants", async () => {
    const store = await open();
    const [a, b] = await ids(store, [cmd("a"), cmd("b")]);
    const [c] = await ids(store, [cmd("c", { after: [a] })]);
    const [running] = await store.claim("s", { ...ROOM, limit: 1 });
    assert.equal(running.id, a);
    const events = await store.cancel([a, b]);
    assert.deepEqual(events.map((e) => [e.taskId, e.kind]), [[b, "canceled"]]);
    assert.equal((await store.get(b))!.status, "canceled");
    assert.equal((await store.get(c))!.status, "blocked");
    const [d] = await ids(store, [cmd("d", { after: [b] })]);
    assert.equal((await store.get(d))!.status, "failed");
  });

  test("remove says why each id stays; a removed dependency fails its dependants", async () => {
    const store = await open();
    const [a, b] = await ids(store, [cmd("a"), cmd("b")]);
    const [c] = await ids(store, [cmd("c", { after: [b] })]);
    await store.claim("s", { ...ROOM, limit: 1 });
    const result = await store.remove([a, b, 999_999]);
    assert.deepEqual(result.removed, [b]);
    assert.deepEqual(result.running, [{ id: a, status: "running" }]);
    assert.deepEqual(result.missing, [999_999]);
    assert.deepEqual(result.events.map((e) => [e.taskId, e.kind]), [[b, "removed"], [c, "failed"]]);
    assert.equal(await store.get(b), undefined);
    assert.match((await store.get(c))!.error!.message, /was removed/);
  });

  test("restart queues a finished task as a new attempt; finishedIds lists finished ones", async () => {
    const store = await open();
    const [a] = await ids(store, [cmd("a")]);
    assert.equal(await store.restart(a), undefined);
    await runAll(store, "s", FAILED);
    assert.deepEqual(await store.finishedIds({ status: ["failed"] }), [a]);
    assert.deepEqual(await store.finishedIds({ status: ["succeeded"] }), []);
    const restarted = (await store.restart(a))!;
    assert.equal(restarted.status, "queued");
    assert.equal(restarted.maxAttempts, 2);
    assert.equal(restarted.error, null);
    const [again] = await store.claim("s", ROOM);
    assert.equal(again.attempt, 2);
    const last = (await store.events(0, { taskIds: [a] })).at(-1)!;
    assert.equal(last.kind, "started");
  });

  test("pause and resume a running task; mergeMeta, progress, checkpoint, stop", async () => {
    const store = await open();
    const [a] = await ids(store, [cmd("a", { meta: { keep: 1, drop: 2 } })]);
    assert.equal(await store.setPaused(a, true), false);
    const [task] = await store.claim("s", ROOM);
    assert.equal(await store.setPaused(a, true), true);
    assert.equal((await store.get(a))!.status, "paused");
    assert.equal(await store.setPaused(a, true), false);
    assert.equal(await store.setPaused(a, false), true);
    assert.equal((await store.get(a))!.status, "running");
    const merged = await store.mergeMeta(a, { drop: null, add: { x: 1 } });
    assert.deepEqual(merged!.meta, { keep: 1, add: { x: 1 } });
    await store.setProgress(a, 0.5, "half");
    await store.setCheckpoint(a, { step: 3 });
    const now = (await store.get(a))!;
    assert.equal(now.progress, 0.5);
    assert.equal(now.progressMessage, "half");
    assert.deepEqual(now.checkpoint, { step: 3 });
    assert.equal(
      await store.setStop(a, task.attempt + 1, { reason: "kill", signal: "SIGTERM" }),
      false,
    );
    assert.equal(await store.setStop(a, task.attempt, { reason: "kill", signal: "SIGTERM" }), true);
    assert.deepEqual(await kinds(store, 0, [a]), ["submitted", "started", "paused", "resumed"]);
  });
});

forEachStore("schedules", (open) => {
  const template = cmd("tick");
  test("a slot fires once across two concurrent firers", async () => {
    const one = await open();
    const two = await open(one);
    const now = await one.now();
    const id = await one.schedules.create({
      every: "1m",
      timeZone: null,
      template,
      anchor: now,
      nextAt: now,
    });
    const { due } = await one.schedules.dueSchedules();
    assert.deepEqual(due.map((s) => s.id), [id]);
    const firing = { slots: [now], skipped: 0, lastSlot: now, nextAt: now + 60_000 };
    const [a, b] = await Promise.all([
      one.schedules.fire(id, firing),
      two.schedules.fire(id, firing),
    ]);
    assert.equal(a.length + b.length, 1);
    const schedule = (await one.schedules.get(id))!;
    assert.equal(schedule.runs, 1);
    assert.equal(schedule.lastSlot, now);
    assert.equal(schedule.nextAt, now + 60_000);
    assert.deepEqual((await one.schedules.dueSchedules()).due, []);
    assert.equal((await one.list({ scheduleId: id })).length, 1);
    const fired = (await one.events(0)).filter((e) => e.kind === "schedule_fired");
    assert.deepEqual(fired.map((e) => [e.taskId, e.data.scheduleId, e.data.slot]), [[
      null,
      id,
      now,
    ]]);
  });

  test("overlap skip passes a slot over while the last run is active; queue makes one wait", async () => {
    const store = await open();
    const now = await store.now();
    const skip = await store.schedules.create({
      every: "1s",
      timeZone: null,
      template,
      anchor: now,
      nextAt: now,
    });
    const queue = await store.schedules.create({
      every: "1s",
      timeZone: null,
      template,
      anchor: now,
      nextAt: now,
      overlap: "queue",
    });
    const fire = (id: number, slot: number) =>
      store.schedules.fire(id, { slots: [slot], skipped: 0, lastSlot: slot, nextAt: slot + 1000 });
    assert.equal((await fire(skip, now)).length, 1);
    assert.deepEqual(await fire(skip, now + 1000), []);
    assert.equal((await store.schedules.get(skip))!.skipped, 1);
    const [first] = await fire(queue, now);
    await store.claim("s", ROOM);
    const [second] = await fire(queue, now + 1000);
    assert.equal((await store.get(second))!.status, "blocked");
    assert.deepEqual((await store.get(second))!.after, [first]);
    assert.deepEqual(await fire(queue, now + 2000), []); // one waits already
    const removal = (await store.schedules.remove(queue))!;
    assert.deepEqual(removal, { canceled: [second], running: [first] });
    assert.equal(await store.schedules.remove(queue), undefined);
  });

  test("fireAll stores several schedules' firings in one transaction, all or none", async () => {
    const store = await open();
    const now = await store.now();
    const create = (extra: Partial<NewTask> = {}) =>
      store.schedules.create({
        every: "1s",
        timeZone: null,
        template: { ...template, ...extra },
        anchor: now,
        nextAt: now,
        overlap: "allow", // a second firing makes a second task
      });
    const [a, b] = [await create(), await create()];
    const firing = { slots: [now], skipped: 0, lastSlot: now, nextAt: now + 1000 };
    const fired = await store.schedules.fireAll([{ id: b, firing }, { id: a, firing }]);
    assert.equal(fired.length, 2);
    const tasks = await Promise.all(fired.map(async (id) => (await store.get(id))!));
    assert.deepEqual(tasks.map((task) => task.scheduleId).sort(), [a, b].sort());
    assert.equal(tasks[0].createdAt, tasks[1].createdAt, "one time for all");
    // A firing refused (its template waits on a task that is gone) stores none of the others.
    const broken = await create({ after: [fired[0] + 1000] });
    const next = { slots: [now + 1000], skipped: 0, lastSlot: now + 1000, nextAt: now + 2000 };
    await assert.rejects(
      store.schedules.fireAll([{ id: a, firing: next }, { id: broken, firing: next }]),
    );
    assert.equal((await store.schedules.get(a))!.runs, 1, "a's firing rolled back");
    assert.equal(await store.count({ scheduleId: a }), 1);
  });

  test("runsPastKeep lists a schedule's finished runs beyond its newest N", async () => {
    const store = await open();
    const now = await store.now();
    const id = await store.schedules.create({
      every: "1s",
      timeZone: null,
      template,
      anchor: now,
      nextAt: now,
      overlap: "allow",
      keep: 1,
    });
    const runs = await store.schedules.fire(id, {
      slots: [now - 2000, now - 1000, now],
      skipped: 0,
      lastSlot: now,
      nextAt: null,
    });
    assert.equal(runs.length, 3);
    await runAll(store, "s");
    assert.deepEqual(await store.schedules.runsPastKeep([runs[2]]), [runs[0], runs[1]]);
    assert.equal((await store.schedules.get(id))!.nextAt, null);
    assert.equal(await store.schedules.setPaused(id, true), true);
    assert.equal((await store.schedules.get(id))!.paused, true);
  });
});

forEachStore("events, supervisors and timing", (open) => {
  test("every state change writes one event, with increasing ids", async () => {
    const store = await open();
    const start = await store.lastEventId();
    const [a] = await ids(store, [cmd("a", { maxAttempts: 2, backoffMs: 0 })]);
    await runAll(store, "s", FAILED);
    await runAll(store, "s", OK);
    const events = await store.events(start);
    assert.deepEqual(events.map((e) => e.kind), [
      "submitted",
      "started",
      "retrying",
      "started",
      "succeeded",
    ]);
    assert.ok(events.every((e, i) => i === 0 || e.id > events[i - 1].id));
    assert.ok(events.every((e) => e.taskId === a));
    assert.deepEqual(events[0].data, { group: "default", name: "a" });
    assert.deepEqual(events[1].data, { attempt: 1, owner: "s" });
    assert.equal(await store.lastEventId(), events.at(-1)!.id);
    assert.deepEqual(await store.events(start, { limit: 2 }).then((e) => e.length), 2);
    assert.equal(await store.pruneEvents(), 0);
  });

  test("adoptOrphans takes this home's tasks whose owner has no supervisor row", async () => {
    const store = await open();
    const now = await store.now();
    const record = (owner: string, home: string) => ({
      owner,
      home,
      host: "h",
      pid: 1,
      startTime: null,
      startedAt: now,
      heartbeatAt: now,
    });
    assert.equal((await store.takeSupervisor(record("dead", "/home1"), () => false)).owner, "dead");
    assert.equal(
      (await store.takeSupervisor(record("other", "/home2"), () => false)).owner,
      "other",
    );
    const [mine, theirs] = await ids(store, [cmd("mine"), cmd("theirs")]);
    await store.claim("dead", { ...ROOM, limit: 1 });
    await store.claim("other", { ...ROOM, limit: 1 });
    assert.equal((await store.supervisorOf("/home1"))!.owner, "dead");
    assert.deepEqual(await store.adoptOrphans("new", "/home1"), []); // its owner still has a row
    const alive = await store.takeSupervisor(
      record("new", "/home1"),
      (holder) => holder.owner === "dead",
    );
    assert.equal(alive.owner, "dead");
    const taken = await store.takeSupervisor(record("new", "/home1"), () => false);
    assert.equal(taken.owner, "new");
    assert.equal(await store.heartbeat("dead"), false);
    assert.equal(await store.heartbeat("new"), true);
    const adopted = await store.adoptOrphans("new", "/home1");
    assert.deepEqual(adopted.map((t) => [t.id, t.owner]), [[mine, "new"]]);
    assert.equal((await store.get(theirs))!.owner, "other");
    await store.releaseSupervisor("new");
    assert.equal(await store.supervisorOf("/home1"), undefined);
  });

  test("nextWakeIn gives the delay to the next run_at or firing", async () => {
    const store = await open();
    assert.equal(await store.nextWakeIn(), undefined);
    const now = await store.now();
    await ids(store, [cmd("later", { runAt: now + 60_000 })]);
    const ms = (await store.nextWakeIn())!;
    assert.ok(ms > 0 && ms <= 60_000, `ms ${ms}`);
    await store.schedules.create({
      every: "1m",
      timeZone: null,
      template: cmd("t"),
      anchor: now,
      nextAt: now - 1,
    });
    assert.equal(await store.nextWakeIn(), 0);
  });

  test("listen wakes a listener on a submit that can run now", async () => {
    const store = await open();
    if (store.kind === "sqlite") {
      // The contract: SQLite's listen is a no-op (its one host wakes by signal and socket): it
      // gives a stop function and never calls the listener.
      let called = false;
      const stop = await store.listen("work", () => (called = true));
      await store.submit([{ spec: { kind: "command", argv: ["true"] } }]);
      await stop();
      assert.equal(called, false);
      return;
    }
    const other = await open(store);
    let submitted = false;
    let woke!: () => void;
    const wake = new Promise<void>((resolve) => woke = resolve);
    const stop = await store.listen("work", () => submitted && woke());
    submitted = true;
    await other.submit([cmd("a")]);
    await wake; // by the NOTIFY, or at worst by the poll
    await stop();
  });
});

forEachStore("opening a PostgreSQL store", () => {
  const urlOf = (schema: string, database = new URL(TEST_POSTGRES_URL).pathname.slice(1)) => {
    const url = new URL(TEST_POSTGRES_URL);
    url.pathname = `/${database}`;
    url.searchParams.set("schema", schema);
    return url.toString();
  };

  test("a schema newer than this bgt knows is refused in one line", async () => {
    const schema = `bgt_t${Math.random().toString(36).slice(2, 12)}`;
    const admin = postgres(TEST_POSTGRES_URL, { max: 1, onnotice: () => {} });
    try {
      await (await PostgresTaskStore.open(urlOf(schema))).close();
      await admin.unsafe(`UPDATE "${schema}".meta SET schema_version = 99`);
      await assert.rejects(PostgresTaskStore.open(urlOf(schema)), (error: Error) => {
        assert.match(
          error.message,
          /^Cannot use postgres:\/\/.*\?schema=bgt_t\w+: its schema version 99 is newer than this bgt knows \(\d+\); upgrade bgt$/,
        );
        return true;
      });
    } finally {
      await admin.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end({ timeout: 1 });
    }
  });

  test("a database that does not exist, or a port nobody listens on, is one line", async () => {
    await assert.rejects(PostgresTaskStore.open(urlOf("bgt", "bgt_no_such_db")), {
      code: "STORE_UNAVAILABLE",
      message:
        /^Cannot reach the store postgres:\/\/\w+@[^/]+\/bgt_no_such_db: database bgt_no_such_db does not exist$/,
    });
    await assert.rejects(PostgresTaskStore.open("postgres://postgres@127.0.0.1:1/x"), {
      code: "STORE_UNAVAILABLE",
      message:
        "Cannot reach the store postgres://postgres@127.0.0.1:1/x: 127.0.0.1:1 refused the connection (is PostgreSQL running?)",
    });
  });
}, [postgresFactory]);
