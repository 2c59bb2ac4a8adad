import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { RunEnd, RunStart, TaskStore } from "../../src/store/task_store.ts";
import { SqliteTaskStore } from "../../src/store/sqlite_task_store.ts";
import { EndRecorder } from "../../src/supervisor/end_recorder.ts";
import type { TaskEvent } from "../../src/task/events.ts";
import { claimOne, submitIds } from "../_helpers/store.ts";

const ok = { status: "succeeded" as const, exitCode: 0 };

/** A store whose finish() is held open until released, and may refuse. */
function heldStore() {
  const calls: { ends: RunEnd[]; started: RunStart[]; release: (fail?: Error) => void }[] = [];
  const store: Pick<TaskStore, "finish"> = {
    finish(_owner, ends, started = []) {
      return new Promise<TaskEvent[]>((resolve, reject) => {
        calls.push({
          ends: [...ends],
          started: [...started],
          release: (fail) => (fail ? reject(fail) : resolve([])),
        });
      });
    },
  };
  return { store, calls };
}

/** Resolves once `condition` holds, looking on each turn of the loop. */
async function turnsUntil(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i++) {
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.ok(condition(), "the condition came true");
}

describe("EndRecorder", () => {
  test("one batch in flight; ends arriving meanwhile form the next batch", async () => {
    const { store, calls } = heldStore();
    const recorder = new EndRecorder({ store, owner: "me" });
    recorder.end({ id: 1, attempt: 1, outcome: ok });
    recorder.end({ id: 2, attempt: 1, outcome: ok });
    await turnsUntil(() => calls.length === 1);
    recorder.end({ id: 3, attempt: 1, outcome: ok });
    recorder.end({ id: 4, attempt: 1, outcome: ok });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(calls.length, 1, "no second batch while one is in flight");
    assert.equal(recorder.pending(1)?.id, 1, "an end in flight is pending");
    calls[0].release();
    await turnsUntil(() => calls.length === 2);
    assert.deepEqual(calls.map((call) => call.ends.map((end) => end.id)), [[1, 2], [3, 4]]);
    const stored = recorder.stored();
    calls[1].release();
    await stored;
    assert.equal(recorder.pending(3), undefined);
  });

  test("a refused batch is kept and stored again, before the ends queued after it", async () => {
    const { store, calls } = heldStore();
    const lines: string[] = [];
    const recorder = new EndRecorder({ store, owner: "me", log: (line) => lines.push(line) });
    recorder.end({ id: 1, attempt: 1, outcome: ok });
    await turnsUntil(() => calls.length === 1);
    recorder.end({ id: 2, attempt: 1, outcome: ok });
    calls[0].release(new Error("disk full"));
    await turnsUntil(() => lines.length === 1);
    assert.match(lines[0], /cannot record 1 task end\(s\) \(disk full\); retrying in 1000 ms/);
    void recorder.flush(); // as a kill does: store now
    await turnsUntil(() => calls.length === 2);
    assert.deepEqual(calls[1].ends.map((end) => end.id), [1, 2]);
    calls[1].release();
    await recorder.stored();
  });

  test("on a real store: a started pid goes with the next end; the events are handed on", async () => {
    const store = await SqliteTaskStore.open(":memory:");
    try {
      const [a, b] = await submitIds(store, [
        { spec: { kind: "command", argv: ["a"] } },
        { spec: { kind: "command", argv: ["b"] } },
      ]);
      const runA = (await claimOne(store, "me"))!;
      const runB = (await claimOne(store, "me"))!;
      const told: TaskEvent[][] = [];
      const recorder = new EndRecorder({
        store,
        owner: "me",
        pidDelayMs: 60_000, // only an end takes the pid along
        onStored: (events) => told.push([...events]),
      });
      recorder.started({ id: b, attempt: runB.attempt, pid: 4321 });
      recorder.end({ id: a, attempt: runA.attempt, outcome: ok });
      await recorder.stored();
      assert.deepEqual(told.map((events) => events.map((event) => [event.taskId, event.kind])), [
        [[a, "succeeded"]],
      ]);
      assert.equal((await store.get(b))!.pid, 4321);
    } finally {
      await store.close();
    }
  });
});
