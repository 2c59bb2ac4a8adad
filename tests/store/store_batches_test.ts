/**
 * The store contract for batches, as every backend must keep it (see tests/store/_stores.ts):
 * a submit mixing plain tasks with keyed and waiting ones keeps the submission's order, a
 * refused batch leaves no trace, and a finish of many runs ends each with its own outcome.
 * (The PostgreSQL store writes plain tasks and finishes set-based; these pin that it behaves
 * as one row at a time would.)
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { NewTask, TaskOutcome } from "../../src/task/types.ts";
import { forEachStore } from "./_stores.ts";

const cmd = (name: string, extra: Partial<NewTask> = {}): NewTask => ({
  spec: { kind: "command", argv: ["echo", name] },
  name,
  ...extra,
});
const ROOM = { maxProcesses: 100, maxWorkers: 100 };

forEachStore("batches", (open) => {
  test("a batch mixing plain, keyed and waiting tasks keeps its order in ids and events", async () => {
    const store = await open();
    const [holder] = (await store.submit([cmd("holder", { key: "k" })])).map((r) => r.id);
    const from = await store.lastEventId();
    const results = await store.submit([
      cmd("p1"),
      cmd("p2", { group: "g", priority: 3 }),
      cmd("keyed", { key: "k", onKey: "replace" }),
      cmd("p3"),
      cmd("waits", { after: [holder] }),
      cmd("p4"),
      cmd("p5"),
    ]);
    const ids = results.map((r) => r.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
    assert.equal(new Set(ids).size, 7);
    assert.deepEqual(results[2].key, { action: "replaced", holder, holderRunning: false });
    const events = await store.events(from);
    assert.deepEqual(
      events.map((e) => [e.taskId, e.kind]),
      [
        [ids[0], "submitted"],
        [ids[1], "submitted"],
        [holder, "canceled"],
        [ids[2], "submitted"],
        [ids[3], "submitted"],
        [ids[4], "submitted"],
        [ids[4], "failed"], // it waited on the holder, which the replace canceled
        [ids[5], "submitted"],
        [ids[6], "submitted"],
      ],
    );
    assert.deepEqual(events[1].data, { group: "g", name: "p2" });
    const tasks = await Promise.all(ids.map((id) => store.get(id)));
    assert.deepEqual(
      tasks.map((t) => [t!.name, t!.status]),
      [
        ["p1", "queued"],
        ["p2", "queued"],
        ["keyed", "queued"],
        ["p3", "queued"],
        ["waits", "failed"],
        ["p4", "queued"],
        ["p5", "queued"],
      ],
    );
    assert.equal(tasks[1]!.group, "g");
    assert.equal(tasks[1]!.priority, 3);
  });

  test("a plain batch stores each task's fields; a later run_at is scheduled", async () => {
    const store = await open();
    const now = await store.now();
    const [a, b] = (await store.submit([
      cmd("a", {
        maxAttempts: 3,
        backoffMs: 5,
        timeoutMs: 700,
        retain: 9,
        stdin: true,
        env: { A: "1" },
        cwd: "/tmp",
        meta: { n: 1, s: "x" },
      }),
      cmd("b", { runAt: now + 60_000 }),
    ])).map((r) => r.id);
    const ta = (await store.get(a))!;
    assert.deepEqual(ta.spec, { kind: "command", argv: ["echo", "a"] });
    assert.deepEqual(
      [ta.status, ta.maxAttempts, ta.backoffMs, ta.timeoutMs, ta.retain, ta.stdin, ta.cwd],
      ["queued", 3, 5, 700, 9, true, "/tmp"],
    );
    assert.deepEqual(ta.env, { A: "1" });
    assert.deepEqual(ta.meta, { n: 1, s: "x" });
    assert.ok(ta.runAt >= now && ta.createdAt === ta.runAt);
    const tb = (await store.get(b))!;
    assert.equal(tb.status, "scheduled");
    assert.equal(tb.runAt, now + 60_000);
  });

  test("a refused batch stores nothing and writes no event, and the store keeps working", async () => {
    const store = await open();
    const from = await store.lastEventId();
    // More refusals than a pool has connections: none may leave a transaction open.
    for (let i = 0; i < 6; i++) {
      await assert.rejects(
        store.submit([cmd("x"), cmd("y"), cmd("z", { after: [999_999] }), cmd("w")]),
        { code: "SUBMIT_REFUSED" },
      );
    }
    assert.equal(await store.count(), 0);
    assert.equal(await store.lastEventId(), from);
    await store.submit([cmd("ok"), cmd("ok2")]);
    const claimed = await store.claim("s", ROOM);
    assert.equal(claimed.length, 2);
    assert.equal((await store.events(from)).length, 4);
  });

  test("a finish of many runs ends each with its own outcome; stale ends change nothing", async () => {
    const store = await open();
    const ids = (await store.submit([
      cmd("ok"),
      cmd("retry", { maxAttempts: 2, backoffMs: 60_000 }),
      cmd("fail"),
      cmd("timeout"),
      cmd("stale"),
    ])).map((r) => r.id);
    const claimed = await store.claim("s", ROOM);
    assert.deepEqual(claimed.map((t) => t.id), ids);
    const error = { name: "Error", message: "boom" };
    const outcomes: TaskOutcome[] = [
      {
        status: "succeeded",
        exitCode: 0,
        result: { list: [0, 255, 7], n: 1.5, s: "é" },
        slices: { stdout: [0, 10], data: [3, 4] },
      },
      { status: "failed", exitCode: 2, error },
      { status: "failed", exitCode: null, signal: "SIGKILL", error },
      { status: "timed_out", exitCode: null, signal: "SIGTERM" },
      { status: "succeeded", exitCode: 0 },
    ];
    const events = await store.finish("s", [
      ...ids.map((id, i) => ({ id, attempt: i === 4 ? 2 : 1, outcome: outcomes[i] })),
      { id: ids[0], attempt: 1, outcome: { status: "failed" as const } }, // twice in one batch
    ], [{ id: ids[0], attempt: 1, pid: 77 }]);
    assert.deepEqual(
      events.map((e) => [e.taskId, e.kind]),
      [[ids[0], "succeeded"], [ids[1], "retrying"], [ids[2], "failed"], [ids[3], "timed_out"]],
    );
    assert.deepEqual(events[1].data.error, error);
    assert.equal(events[2].data.signal, "SIGKILL");
    const tasks = await Promise.all(ids.map((id) => store.get(id)));
    assert.deepEqual(
      tasks.map((t) => t!.status),
      ["succeeded", "queued", "failed", "timed_out", "running"],
    );
    assert.deepEqual(tasks[0]!.result, { list: [0, 255, 7], n: 1.5, s: "é" });
    assert.equal(tasks[1]!.finishedAt, null);
    assert.ok(tasks[1]!.runAt > events[1].at);
    assert.deepEqual(tasks[2]!.error, error);
    assert.equal(tasks[3]!.signal, "SIGTERM");
    assert.equal(tasks[4]!.owner, "s");
    const [first] = await store.attempts(ids[0]);
    assert.deepEqual(
      [first.status, first.exitCode, first.pid, first.slices],
      ["succeeded", 0, 77, { stdout: [0, 10], stderr: null, data: [3, 4] }],
    );
    assert.deepEqual(first.result, { list: [0, 255, 7], n: 1.5, s: "é" });
    assert.deepEqual((await store.attempts(ids[1])).map((a) => [a.status, a.exitCode]), [
      ["failed", 2],
    ]);
    assert.deepEqual(await store.attempts(ids[4]), []);
  });
});
