import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { whyWaiting } from "../../src/client/why_waiting.ts";
import { SqliteTaskStore } from "../../src/store/sqlite_task_store.ts";
import type { NewTask } from "../../src/task/types.ts";
import { claimOne, finishOne, submitIds } from "../_helpers/store.ts";

const cmd = (name: string, extra: Partial<NewTask> = {}): NewTask => ({
  spec: { kind: "command", argv: [name] },
  name,
  ...extra,
});

describe("whyWaiting", () => {
  let dir: string;
  let store: SqliteTaskStore;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "bgt-why-"));
    store = await SqliteTaskStore.open(join(dir, "bgt.db"));
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("a dependency that ended any way (timed_out too) is not one it waits on", async () => {
    const [a, b] = await submitIds(store, [cmd("a"), cmd("b", { runAt: Date.now() + 60_000 })]);
    const [c] = await submitIds(store, [cmd("c", { after: [a, b], afterAny: true })]);
    assert.equal(await claimOne(store, "me").then((task) => task?.id), a);
    await finishOne(store, a, "me", { status: "timed_out", signal: "SIGTERM" });
    const task = (await store.get(c))!;
    assert.equal(task.status, "blocked");
    assert.equal(await whyWaiting(store, { dir }, task), `waiting on #${b} (scheduled)`);
  });
});
