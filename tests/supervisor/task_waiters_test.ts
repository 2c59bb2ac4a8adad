import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { SqliteTaskStore } from "../../src/store/sqlite_task_store.ts";
import { TaskWaiters } from "../../src/supervisor/task_waiters.ts";
import type { NewTask } from "../../src/task/types.ts";
import { claimOne, submitIds } from "../_helpers/store.ts";

const cmd = (name: string, extra: Partial<NewTask> = {}): NewTask => ({
  spec: { kind: "command", argv: [name] },
  name,
  ...extra,
});

describe("TaskWaiters (on the outbox)", () => {
  let dir: string;
  let store: SqliteTaskStore;
  let other: SqliteTaskStore;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "bgt-waiters-"));
    store = await SqliteTaskStore.open(join(dir, "bgt.db"));
    other = await SqliteTaskStore.open(join(dir, "bgt.db")); // another process's writes
  });
  afterEach(async () => {
    await store.close();
    await other.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("a wait ends on an end another writer stored, read on catchUp; not on a retry", async () => {
    const [flaky, blocked] = await submitIds(store, [cmd("flaky", { maxAttempts: 2 }), cmd("b")]);
    const waiters = await TaskWaiters.open(store);
    let ended = false;
    const waiting = waiters.waitFor([flaky]).then(() => (ended = true));
    const task = (await claimOne(other, "me"))!;
    const retry = { status: "failed" as const, exitCode: 1 };
    await other.finish("me", [{ id: flaky, attempt: task.attempt, outcome: retry }]);
    await waiters.catchUp();
    await new Promise((resolve) => setImmediate(resolve)); // what the read woke has run
    assert.equal(ended, false, "a retry is not an end");
    await other.cancel([flaky, blocked]);
    await waiters.catchUp();
    await waiting;
    assert.equal(ended, true);
  });

  test("the dispatcher's own events end waits without a read; a removed task ends its wait", async () => {
    const [a, b] = await submitIds(store, [cmd("a"), cmd("b")]);
    const waiters = await TaskWaiters.open(store);
    const both = waiters.waitFor([a, b]);
    waiters.seen(await store.cancel([a]));
    waiters.seen((await store.remove([b])).events);
    await both;
  });

  test("a wait on an unknown id is refused; one on an ended task returns at once", async () => {
    const [a] = await submitIds(store, [cmd("a")]);
    await store.cancel([a]);
    const waiters = await TaskWaiters.open(store);
    await waiters.waitFor([a]);
    await assert.rejects(waiters.waitFor([a + 100]), { code: "TASK_NOT_FOUND" });
  });
});
