import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { pruneFinished } from "../../src/supervisor/retention.ts";
import { forEachStore } from "../store/_stores.ts";

const logs = mkdtempSync(join(tmpdir(), "bgt-retention-"));
after(() => rmSync(logs, { recursive: true, force: true }));

forEachStore("retention of finished tasks", (open) => {
  /** `n` tasks, finished, each with a log file; plus one still queued. */
  async function finishedTasks(n: number) {
    const store = await open();
    const results = await store.submit(
      Array.from({ length: n }, () => ({ spec: { kind: "command" as const, argv: ["true"] } })),
    );
    const claimed = await store.claim("me", { maxProcesses: 100, maxWorkers: 0 });
    await store.finish(
      "me",
      claimed.map((task) => ({ id: task.id, attempt: 1, outcome: { status: "succeeded" } })),
    );
    const [{ id: waiting }] = await store.submit([{ spec: { kind: "command", argv: ["x"] } }]);
    for (const { id } of results) {
      mkdirSync(join(logs, String(id)), { recursive: true });
      writeFileSync(join(logs, String(id), "stdout"), "out");
    }
    return { store, ids: results.map((r) => r.id), waiting };
  }

  test("count keeps the newest finished tasks and removes the rest with their logs", async () => {
    const { store, ids, waiting } = await finishedTasks(5);
    const { removed } = await pruneFinished(store, logs, { count: 2 });
    assert.deepEqual(removed.sort((a, b) => a - b), ids.slice(0, 3));
    for (const id of ids.slice(0, 3)) assert.equal(await store.get(id), undefined);
    for (const id of ids.slice(3)) assert.ok(await store.get(id));
    assert.ok(await store.get(waiting), "a waiting task is not finished: kept");
    assert.equal(existsSync(join(logs, String(ids[0]))), false);
  });

  test("days removes the tasks that finished longer ago", async () => {
    const { store, ids } = await finishedTasks(2);
    assert.deepEqual((await pruneFinished(store, logs, { days: 1 })).removed, []);
    const later = (await store.now()) + 2 * 86_400_000;
    const { removed, events } = await pruneFinished(store, logs, { days: 1 }, later);
    assert.deepEqual(removed.sort((a, b) => a - b), ids);
    assert.deepEqual(
      events.map((event) => [event.kind, event.taskId]),
      ids.map((id) => ["removed", id]),
    );
  });

  test("a finished task an unfinished one depends on stays until that one has ended", async () => {
    const { store, ids, waiting } = await finishedTasks(2);
    const [{ id: blocked }] = await store.submit([
      { spec: { kind: "command", argv: ["x"] }, after: [ids[0], waiting] },
    ]);
    assert.equal((await store.get(blocked))?.status, "blocked");
    const later = (await store.now()) + 2 * 86_400_000;
    assert.deepEqual((await pruneFinished(store, logs, { days: 1 }, later)).removed, [ids[1]]);
    assert.deepEqual((await pruneFinished(store, logs, { count: 0 }, later)).removed, []);
    assert.ok(await store.get(ids[0]), "its dependency is kept");
    assert.equal((await store.get(blocked))?.status, "blocked", "not failed by a removal");
    await store.cancel([blocked]);
    assert.deepEqual(
      (await pruneFinished(store, logs, { count: 0 }, later)).removed.sort(
        (a, b) => a - b,
      ),
      [ids[0], blocked],
    );
  });
});
