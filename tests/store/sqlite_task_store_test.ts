import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { SqliteTaskStore } from "../../src/store/sqlite_task_store.ts";
import { LEASE_MS } from "../../src/store/task_store.ts";
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
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("submit() returns ids in order and stores queued tasks with their spec", () => {
    const ids = store.submit([cmd(["a"]), cmd(["b"], { name: "bee", meta: { k: "v" } })]);
    assert.equal(ids.length, 2);
    assert.equal(ids[1], ids[0] + 1);
    const task = store.get(ids[1])!;
    assert.equal(task.status, "queued");
    assert.deepEqual(task.spec, { kind: "command", argv: ["b"] });
    assert.equal(task.name, "bee");
    assert.deepEqual(task.meta, { k: "v" });
  });

  test("the database file is readable by its owner only", () => {
    assert.equal(statSync(join(dir, "bgt.db")).mode & 0o777, 0o600);
  });

  test("a task with a future run_at is scheduled and not claimed before it is due", () => {
    const now = Date.now();
    const [id] = store.submit([cmd(["later"], { runAt: now + 60_000 })]);
    assert.equal(store.get(id)!.status, "scheduled");
    assert.equal(store.claimNext("me", { now, fullGroups: [] }), undefined);
    assert.equal(store.nextRunAt(), now + 60_000);
    assert.equal(store.claimNext("me", { now: now + 60_000, fullGroups: [] })?.id, id);
  });

  test("claimNext() takes higher priority first, then the oldest", () => {
    const [low, high1, high2] = store.submit([
      cmd(["low"]),
      cmd(["high1"], { priority: 5 }),
      cmd(["high2"], { priority: 5 }),
    ]);
    const order = [1, 2, 3].map(() =>
      store.claimNext("me", { now: Date.now(), fullGroups: [] })!.id
    );
    assert.deepEqual(order, [high1, high2, low]);
    const claimed = store.get(low)!;
    assert.equal(claimed.status, "running");
    assert.equal(claimed.attempt, 1);
    assert.equal(claimed.owner, "me");
  });

  test("claimNext() skips a full group", () => {
    const [io] = store.submit([cmd(["io"], { group: "io", priority: 9 }), cmd(["cpu"])]);
    const task = store.claimNext("me", { now: Date.now(), fullGroups: ["io"] });
    assert.notEqual(task!.id, io);
  });

  test("claimBatch() fills each kind's room in due order, whichever kind heads the queue", () => {
    const mod = (name: string): NewTask => ({
      spec: { kind: "module", module: "/m.ts", export: "default", args: [] },
      name,
    });
    // 40 commands ahead of two module tasks, one of them urgent.
    store.submit(Array.from({ length: 40 }, (_, i) => cmd([`c${i}`])));
    const [m1] = store.submit([mod("m1")]);
    const [urgent] = store.submit([{ ...mod("urgent"), priority: 9 }]);
    const claimed = store.claimBatch("me", { now: Date.now(), maxProcesses: 2, maxWorkers: 2 });
    assert.deepEqual(
      claimed.map((task) => task.name ?? task.spec.kind),
      ["urgent", "command", "command", "m1"],
      "urgent first (priority), then due order; both module tasks despite 40 commands ahead",
    );
    assert.ok(claimed.some((task) => task.id === m1) && claimed[0].id === urgent);
    // Room for processes only: the next commands, never a module task.
    const [another] = store.submit([mod("another")]);
    const processes = store.claimBatch("me", { now: Date.now(), maxProcesses: 3, maxWorkers: 0 });
    assert.deepEqual(processes.map((task) => task.spec.kind), ["command", "command", "command"]);
    assert.equal(store.get(another)!.status, "queued");
  });

  test("finish() records the outcome and an attempt, and requeues a failure with attempts left", () => {
    const [id] = store.submit([cmd(["flaky"], { maxAttempts: 2 })]);
    store.claimNext("me", { now: Date.now(), fullGroups: [] });
    const [retried] = store.finish(id, "me", { status: "failed", exitCode: 1 });
    assert.equal(retried.status, "queued");
    assert.ok(retried.runAt > Date.now(), "the retry waits for its backoff");
    store.claimNext("me", { now: retried.runAt, fullGroups: [] });
    const [done] = store.finish(id, "me", { status: "failed", exitCode: 2 });
    assert.equal(done.status, "failed");
    assert.equal(done.exitCode, 2);
    assert.equal(done.attempt, 2);
  });

  test("finish() of a task the caller does not own changes nothing", () => {
    const [id] = store.submit([cmd(["x"])]);
    store.claimNext("me", { now: Date.now(), fullGroups: [] });
    assert.deepEqual(store.finish(id, "someone-else", { status: "succeeded", exitCode: 0 }), []);
    assert.equal(store.get(id)!.status, "running");
  });

  test("a module result round-trips through MessagePack", () => {
    const [id] = store.submit([{
      spec: { kind: "module", module: "m.ts", export: "default", args: [1, "a"] },
    }]);
    store.claimNext("me", { now: Date.now(), fullGroups: [] });
    const [task] = store.finish(id, "me", {
      status: "succeeded",
      result: { sum: 3, list: [1, 2] },
    });
    assert.deepEqual(store.get(id)!.result, { sum: 3, list: [1, 2] });
    assert.deepEqual(task.spec, {
      kind: "module",
      module: "m.ts",
      export: "default",
      args: [1, "a"],
    });
  });

  test("cancel() cancels a waiting task but not a running one; remove() spares running tasks", () => {
    const [a, b] = store.submit([cmd(["a"]), cmd(["b"])]);
    const running = store.claimNext("me", { now: Date.now(), fullGroups: [] })!.id;
    const waiting = running === a ? b : a;
    assert.deepEqual(store.cancel(running), []);
    assert.equal(store.cancel(waiting)[0]?.status, "canceled");
    assert.equal(store.get(waiting)!.status, "canceled");
    assert.deepEqual(store.remove([a, b]), [waiting]);
    assert.equal(store.get(waiting), undefined);
  });

  test("removeEach() removes what does not run and says of each other id why, in one look", () => {
    const [a, b] = store.submit([cmd(["a"]), cmd(["b"])]);
    const running = store.claimNext("me", { now: Date.now(), fullGroups: [] })!.id;
    const waiting = running === a ? b : a;
    assert.deepEqual(store.removeEach([running, waiting, 999]), {
      removed: [waiting],
      running: [{ id: running, status: "running" }],
      missing: [999],
    });
    assert.equal(store.get(waiting), undefined);
    assert.equal(store.get(running)!.status, "running");
  });

  test("finishedIds() keeps to one group when asked", () => {
    const [a, b] = store.submit([cmd(["a"], { group: "g1" }), cmd(["b"], { group: "g2" })]);
    for (let i = 0; i < 2; i++) {
      const { id } = store.claimNext("me", { now: Date.now(), fullGroups: [] })!;
      store.finish(id, "me", { status: "succeeded", exitCode: 0 });
    }
    assert.deepEqual(store.finishedIds({ group: "g1" }), [a]);
    assert.deepEqual(store.finishedIds({}), [a, b]);
  });

  test("orphans() lists running tasks of other owners; adopt() hands one over", () => {
    const [id] = store.submit([cmd(["x"])]);
    store.claimNext("dead", { now: Date.now(), fullGroups: [] });
    assert.deepEqual(store.orphans("me").map((t) => t.id), [id]);
    store.adopt(id, "me");
    assert.deepEqual(store.orphans("me"), []);
  });

  test("heartbeat() renews the lease of the owner's running tasks only", () => {
    const [first, second] = store.submit([cmd(["a"]), cmd(["b"])]);
    const now = Date.now();
    const mine = store.claimNext("me", { now, fullGroups: [] })!;
    store.claimNext("other", { now, fullGroups: [] });
    assert.equal(mine.leaseUntil, now + LEASE_MS, "a claim takes a lease");
    store.heartbeat("me", now + 10 * LEASE_MS);
    const theirs = mine.id === first ? second : first;
    assert.equal(store.get(mine.id)!.leaseUntil, now + 10 * LEASE_MS);
    assert.equal(store.get(theirs)!.leaseUntil, now + LEASE_MS);
  });

  test("takeSupervisor() refuses while the holder lives and succeeds once it is dead", () => {
    const a = { owner: "a", pid: 1, startTime: null, startedAt: 1 };
    const b = { owner: "b", pid: 2, startTime: null, startedAt: 2 };
    assert.equal(store.takeSupervisor(a, () => true).owner, "a");
    assert.equal(store.takeSupervisor(b, () => true).owner, "a");
    assert.equal(store.takeSupervisor(b, () => false).owner, "b");
    store.releaseSupervisor("b");
    assert.equal(store.supervisor(), undefined);
  });

  test("concurrent writers in other processes never see SQLITE_BUSY and lose no row", async () => {
    const script = `
      const { SqliteTaskStore } = await import(${
      JSON.stringify(new URL("../../src/store/sqlite_task_store.ts", import.meta.url).href)
    });
      const store = await SqliteTaskStore.open(${JSON.stringify(join(dir, "bgt.db"))});
      for (let i = 0; i < 200; i++) store.submit([{ spec: { kind: "command", argv: ["w", String(i)] } }]);
      store.close();`;
    const runtime = process.execPath;
    const args = "Deno" in globalThis ? ["eval", script] : ["-e", script];
    const children = [1, 2, 3].map(() =>
      new Promise<number>((resolve) => {
        const child = spawn(runtime, args, { stdio: ["ignore", "ignore", "inherit"] });
        child.on("exit", (code) => resolve(code ?? 1));
      })
    );
    // This process writes at the same time.
    for (let i = 0; i < 200; i++) store.submit([cmd(["main", String(i)])]);
    assert.deepEqual(await Promise.all(children), [0, 0, 0]);
    assert.equal(store.counts().queued, 800);
  });
});
