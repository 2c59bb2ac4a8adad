import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { SqliteTaskStore } from "../../src/store/sqlite_task_store.ts";
import { cancelOne, claimOne, finishOne, submitIds } from "../_helpers/store.ts";
import { EVENT_RETENTION } from "../../src/store/sqlite_task_store.ts";
import { openSqlite } from "../../src/runtime/sqlite.ts";
import type { NewTask } from "../../src/task/types.ts";

const cmd = (argv: string[], extra: Partial<NewTask> = {}): NewTask => ({
  spec: { kind: "command", argv },
  ...extra,
});

describe("SqliteTaskStore", () => {
  let dir: string;
  let store: SqliteTaskStore;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "bgt-store-"));
    store = await SqliteTaskStore.open(join(dir, "bgt.db"));
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("submit() returns ids in order and stores queued tasks with their spec", async () => {
    const ids = await submitIds(store, [cmd(["a"]), cmd(["b"], { name: "bee", meta: { k: "v" } })]);
    assert.equal(ids.length, 2);
    assert.equal(ids[1], ids[0] + 1);
    const task = (await store.get(ids[1]))!;
    assert.equal(task.status, "queued");
    assert.deepEqual(task.spec, { kind: "command", argv: ["b"] });
    assert.equal(task.name, "bee");
    assert.deepEqual(task.meta, { k: "v" });
  });

  test("the database file is readable by its owner only", () => {
    assert.equal(statSync(join(dir, "bgt.db")).mode & 0o777, 0o600);
  });

  test("a task with a future run_at is scheduled and not claimed before it is due", async () => {
    const now = Date.now();
    const [id] = await submitIds(store, [cmd(["later"], { runAt: now + 60_000 })]);
    assert.equal((await store.get(id))!.status, "scheduled");
    assert.equal(await claimOne(store, "me"), undefined);
    const wake = (await store.nextWakeIn())!;
    assert.ok(wake > 50_000 && wake <= 60_000, `the next wake-up is a delay (${wake} ms)`);
    // Due in a moment: claimed once due.
    const [soon] = await submitIds(store, [cmd(["soon"], { runAt: Date.now() + 30 })]);
    assert.equal(await claimOne(store, "me"), undefined);
    const due = (await store.nextWakeIn())!;
    await new Promise((resolve) => setTimeout(resolve, due + 5));
    assert.equal((await claimOne(store, "me"))?.id, soon);
  });

  test("claim() takes higher priority first, then the oldest", async () => {
    const [low, high1, high2] = await submitIds(store, [
      cmd(["low"]),
      cmd(["high1"], { priority: 5 }),
      cmd(["high2"], { priority: 5 }),
    ]);
    const order: number[] = [];
    for (let i = 0; i < 3; i++) order.push((await claimOne(store, "me"))!.id);
    assert.deepEqual(order, [high1, high2, low]);
    const claimed = (await store.get(low))!;
    assert.equal(claimed.status, "running");
    assert.equal(claimed.attempt, 1);
    assert.equal(claimed.owner, "me");
  });

  test("claim() derives the groups' room itself: it skips a full group", async () => {
    await store.setGroup("io", { parallel: 1 });
    const [io1, io2, cpu] = await submitIds(store, [
      cmd(["io1"], { group: "io", priority: 9 }),
      cmd(["io2"], { group: "io", priority: 9 }),
      cmd(["cpu"]),
    ]);
    assert.equal((await claimOne(store, "me"))?.id, io1);
    assert.equal((await claimOne(store, "other"))?.id, cpu, "io is full, whoever claims");
    assert.equal((await store.get(io2))!.status, "queued");
    const two = await store.claim("me", { maxProcesses: 5, maxWorkers: 5 });
    assert.deepEqual(two, [], "one io task at a time, even in one batch");
  });

  test("claim() fills each kind's room in due order, whichever kind heads the queue", async () => {
    const mod = (name: string): NewTask => ({
      spec: { kind: "module", module: "/m.ts", export: "default", args: [] },
      name,
    });
    // 40 commands ahead of two module tasks, one of them urgent.
    await submitIds(store, Array.from({ length: 40 }, (_, i) => cmd([`c${i}`])));
    const [m1] = await submitIds(store, [mod("m1")]);
    const [urgent] = await submitIds(store, [{ ...mod("urgent"), priority: 9 }]);
    const claimed = await store.claim("me", { maxProcesses: 2, maxWorkers: 2 });
    assert.deepEqual(
      claimed.map((task) => task.name ?? task.spec.kind),
      ["urgent", "command", "command", "m1"],
      "urgent first (priority), then due order; both module tasks despite 40 commands ahead",
    );
    assert.ok(claimed.some((task) => task.id === m1) && claimed[0].id === urgent);
    // Room for processes only: the next commands, never a module task.
    const [another] = await submitIds(store, [mod("another")]);
    const processes = await store.claim("me", { maxProcesses: 3, maxWorkers: 0 });
    assert.deepEqual(processes.map((task) => task.spec.kind), ["command", "command", "command"]);
    assert.equal((await store.get(another))!.status, "queued");
  });

  test("finish() records the outcome and an attempt, and requeues a failure with attempts left", async () => {
    const [id] = await submitIds(store, [cmd(["flaky"], { maxAttempts: 2, backoffMs: 20 })]);
    await claimOne(store, "me");
    const [retried] = await finishOne(store, id, "me", { status: "failed", exitCode: 1 });
    assert.equal(retried.status, "queued");
    assert.ok(retried.runAt > Date.now(), "the retry waits for its backoff");
    assert.equal(await claimOne(store, "me"), undefined, "not before its backoff");
    await new Promise((resolve) => setTimeout(resolve, retried.runAt - Date.now() + 5));
    assert.equal((await claimOne(store, "me"))?.attempt, 2);
    const [done] = await finishOne(store, id, "me", { status: "failed", exitCode: 2 });
    assert.equal(done.status, "failed");
    assert.equal(done.exitCode, 2);
    assert.equal(done.attempt, 2);
  });

  test("finish() of a task the caller does not own changes nothing", async () => {
    const [id] = await submitIds(store, [cmd(["x"])]);
    await claimOne(store, "me");
    assert.deepEqual(
      await finishOne(store, id, "someone-else", { status: "succeeded", exitCode: 0 }),
      [],
    );
    assert.equal((await store.get(id))!.status, "running");
  });

  test("finish() of a stale attempt changes nothing (the attempt fences it)", async () => {
    const [id] = await submitIds(store, [cmd(["x"])]);
    const task = (await claimOne(store, "me"))!;
    const ok = { status: "succeeded" as const, exitCode: 0 };
    assert.deepEqual(
      await store.finish("me", [{ id, attempt: task.attempt - 1, outcome: ok }]),
      [],
    );
    assert.equal((await store.get(id))!.status, "running");
    const events = await store.finish("me", [{ id, attempt: task.attempt, outcome: ok }], [
      { id, attempt: task.attempt - 1, pid: 4242 },
    ]);
    assert.deepEqual(events.map((event) => [event.taskId, event.kind]), [[id, "succeeded"]]);
    assert.equal((await store.get(id))!.pid, null, "a stale start's pid is not stored");
  });

  test("a module result round-trips through MessagePack", async () => {
    const [id] = await submitIds(store, [{
      spec: { kind: "module", module: "m.ts", export: "default", args: [1, "a"] },
    }]);
    await claimOne(store, "me");
    const [task] = await finishOne(store, id, "me", {
      status: "succeeded",
      result: { sum: 3, list: [1, 2] },
    });
    assert.deepEqual((await store.get(id))!.result, { sum: 3, list: [1, 2] });
    assert.deepEqual(task.spec, {
      kind: "module",
      module: "m.ts",
      export: "default",
      args: [1, "a"],
    });
  });

  test("cancel() cancels a waiting task but not a running one; remove() spares running tasks", async () => {
    const [a, b] = await submitIds(store, [cmd(["a"]), cmd(["b"])]);
    const running = (await claimOne(store, "me"))!.id;
    const waiting = running === a ? b : a;
    assert.deepEqual(await cancelOne(store, running), []);
    assert.equal((await cancelOne(store, waiting))[0]?.status, "canceled");
    assert.equal((await store.get(waiting))!.status, "canceled");
    assert.deepEqual((await store.remove([a, b])).removed, [waiting]);
    assert.equal(await store.get(waiting), undefined);
  });

  test("remove() removes what does not run and says of each other id why, in one look", async () => {
    const [a, b] = await submitIds(store, [cmd(["a"]), cmd(["b"])]);
    const running = (await claimOne(store, "me"))!.id;
    const waiting = running === a ? b : a;
    const { events, ...result } = await store.remove([running, waiting, 999]);
    assert.deepEqual(result, {
      removed: [waiting],
      running: [{ id: running, status: "running" }],
      missing: [999],
    });
    assert.deepEqual(events.map((event) => [event.taskId, event.kind]), [[waiting, "removed"]]);
    assert.equal(await store.get(waiting), undefined);
    assert.equal((await store.get(running))!.status, "running");
  });

  test("finishedIds() keeps to one group when asked", async () => {
    const [a, b] = await submitIds(store, [
      cmd(["a"], { group: "g1" }),
      cmd(["b"], { group: "g2" }),
    ]);
    for (let i = 0; i < 2; i++) {
      const { id } = (await claimOne(store, "me"))!;
      await finishOne(store, id, "me", { status: "succeeded", exitCode: 0 });
    }
    assert.deepEqual(await store.finishedIds({ group: "g1" }), [a]);
    assert.deepEqual(await store.finishedIds({}), [a, b]);
  });

  const supervisorRow = (owner: string, pid: number) => ({
    owner,
    home: dir,
    host: "here",
    pid,
    startTime: null,
    startedAt: pid,
    heartbeatAt: pid,
  });

  test("adoptOrphans() hands over the running tasks of owners without a supervisor row", async () => {
    const [dead, live] = await submitIds(store, [cmd(["x"]), cmd(["y"])]);
    await claimOne(store, "dead");
    await store.takeSupervisor(supervisorRow("me", 1), () => false);
    await claimOne(store, "me");
    const adopted = await store.adoptOrphans("me", dir);
    assert.deepEqual(adopted.map((task) => [task.id, task.owner]), [[dead, "me"]]);
    assert.equal((await store.get(live))!.owner, "me");
    assert.deepEqual(await store.adoptOrphans("me", dir), [], "nothing left to adopt");
  });

  test("heartbeat() renews the supervisor's row; false once the row is gone", async () => {
    await store.takeSupervisor(supervisorRow("me", 1), () => false);
    assert.equal(await store.heartbeat("me"), true);
    assert.ok((await store.supervisorOf(dir))!.heartbeatAt > 1);
    await store.releaseSupervisor("me");
    assert.equal(await store.heartbeat("me"), false);
  });

  test("takeSupervisor() refuses while the holder lives and succeeds once it is dead", async () => {
    const a = supervisorRow("a", 1);
    const b = supervisorRow("b", 2);
    assert.equal((await store.takeSupervisor(a, () => true)).owner, "a");
    assert.equal((await store.takeSupervisor(b, () => true)).owner, "a");
    assert.equal((await store.takeSupervisor(b, () => false)).owner, "b");
    // With what `bgt hosts` shows of it (the defaults, as none were given).
    assert.deepEqual(await store.supervisorOf(dir), {
      ...b,
      labels: [],
      slots: 0,
      version: "",
      draining: false,
      leaseMs: 10_000,
    });
    await store.releaseSupervisor("b");
    assert.equal(await store.supervisorOf(dir), undefined);
  });

  test("every state change writes its event in its own transaction, in order", async () => {
    const start = await store.lastEventId();
    const [a, b] = await submitIds(store, [cmd(["a"], { maxAttempts: 2 }), cmd(["b"])]);
    const [c] = await submitIds(store, [cmd(["c"], { after: [b] })]);
    const first = (await claimOne(store, "me"))!;
    await store.setPaused(first.id, true);
    await store.setPaused(first.id, false);
    await store.finish("me", [{ id: a, attempt: 1, outcome: { status: "failed", exitCode: 3 } }]);
    await store.cancel([b]);
    await store.remove([c]);
    const events = await store.events(start);
    assert.deepEqual(events.map((event) => [event.taskId, event.kind]), [
      [a, "submitted"],
      [b, "submitted"],
      [c, "submitted"],
      [a, "started"],
      [a, "paused"],
      [a, "resumed"],
      [a, "retrying"],
      [b, "canceled"],
      [c, "failed"],
      [c, "removed"],
    ]);
    assert.ok(events.every((event, i) => i === 0 || event.id > events[i - 1].id));
    assert.deepEqual(events[3].data, { attempt: 1, owner: "me" });
    assert.equal(events[6].data.exitCode, 3);
    assert.equal(typeof events[6].data.runAt, "number");
    assert.deepEqual(
      (await store.events(start, { taskIds: [c] })).map((event) => event.kind),
      ["submitted", "failed", "removed"],
    );
    assert.equal(await store.lastEventId(), events.at(-1)!.id);
  });

  test("setPaused() keeps the paused time; setStop() stores a stop's intent for this attempt", async () => {
    const [id] = await submitIds(store, [cmd(["x"])]);
    const task = (await claimOne(store, "me"))!;
    await store.setPaused(id, true);
    assert.equal(typeof (await store.get(id))!.pausedAt, "number");
    await new Promise((resolve) => setTimeout(resolve, 20));
    await store.setPaused(id, false);
    const resumed = (await store.get(id))!;
    assert.equal(resumed.pausedAt, null);
    assert.ok(resumed.pausedMs! >= 15, `paused ${resumed.pausedMs} ms`);
    const kill = { reason: "kill" as const, signal: "SIGINT" };
    assert.equal(await store.setStop(id, task.attempt - 1, kill), false, "a stale attempt");
    assert.equal(await store.setStop(id, task.attempt, kill), true);
    const stopped = (await store.get(id))!;
    assert.deepEqual([stopped.stopReason, stopped.stopSignal], ["kill", "SIGINT"]);
  });

  test("pruneEvents() drops events older than the retention and beyond the newest kept, never the last", async () => {
    await submitIds(store, [cmd(["a"]), cmd(["b"]), cmd(["c"])]);
    assert.equal(await store.pruneEvents(), 0, "three fresh events stay");
    const old = Date.now() - EVENT_RETENTION.ms - 1000;
    const db = await openSqlite(join(dir, "bgt.db"));
    try {
      db.exec(`UPDATE events SET at = ${old} WHERE id = 1`);
    } finally {
      db.close();
    }
    assert.equal(await store.pruneEvents(), 1, "the old one");
    // An event far ahead: the others are now beyond the newest 100,000 ids.
    const db2 = await openSqlite(join(dir, "bgt.db"));
    try {
      db2.exec(
        `INSERT INTO events (id, at, kind, data) VALUES (${
          3 + EVENT_RETENTION.rows
        }, ${Date.now()}, 'removed', '{}')`,
      );
    } finally {
      db2.close();
    }
    assert.equal(await store.pruneEvents(), 2);
    const [d] = await submitIds(store, [cmd(["d"])]);
    const ids = (await store.events(0)).map((event) => event.id);
    assert.deepEqual(ids, [3 + EVENT_RETENTION.rows, 4 + EVENT_RETENTION.rows], "ids only grow");
    assert.equal((await store.events(0)).at(-1)!.taskId, d);
    const dbOld = await openSqlite(join(dir, "bgt.db"));
    try {
      dbOld.exec(`UPDATE events SET at = ${old}`);
    } finally {
      dbOld.close();
    }
    assert.equal(await store.pruneEvents(), 1, "all old: all but the newest");
    assert.equal(await store.lastEventId(), 4 + EVENT_RETENTION.rows);
  });

  test("concurrent writers in other processes never see SQLITE_BUSY and lose no row", async () => {
    const script = `
      const { SqliteTaskStore } = await import(${
      JSON.stringify(new URL("../../src/store/sqlite_task_store.ts", import.meta.url).href)
    });
      const store = await SqliteTaskStore.open(${JSON.stringify(join(dir, "bgt.db"))});
      for (let i = 0; i < 200; i++) await store.submit([{ spec: { kind: "command", argv: ["w", String(i)] } }]);
      await store.close();`;
    const runtime = process.execPath;
    const args = "Deno" in globalThis ? ["eval", script] : ["-e", script];
    const children = [1, 2, 3].map(() =>
      new Promise<number>((resolve) => {
        const child = spawn(runtime, args, { stdio: ["ignore", "ignore", "inherit"] });
        child.on("exit", (code) => resolve(code ?? 1));
      })
    );
    // This process writes at the same time.
    for (let i = 0; i < 200; i++) await submitIds(store, [cmd(["main", String(i)])]);
    assert.deepEqual(await Promise.all(children), [0, 0, 0]);
    assert.equal((await store.counts()).queued, 800);
  });
});
