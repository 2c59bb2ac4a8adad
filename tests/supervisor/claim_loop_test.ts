import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { SqliteTaskStore } from "../../src/store/sqlite_task_store.ts";
import { ClaimLoop } from "../../src/supervisor/claim_loop.ts";
import type { Task } from "../../src/task/types.ts";
import { submitIds } from "../_helpers/store.ts";

/** Resolves once `condition` holds, looking on each turn of the loop. */
async function turnsUntil(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i++) {
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.ok(condition(), "the condition came true");
}

/** Lets a few turns of the loop pass (for what must NOT happen). */
async function someTurns(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe("ClaimLoop", () => {
  let dir: string;
  let store: SqliteTaskStore;
  let loop: ClaimLoop | undefined;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "bgt-claim-loop-"));
    store = await SqliteTaskStore.open(join(dir, "bgt.db"));
  });
  afterEach(async () => {
    loop?.stop();
    loop = undefined;
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A claim pass held open until released; counts the passes. */
  function heldClaim() {
    const passes: (() => void)[] = [];
    const claim = () => new Promise<void>((resolve) => passes.push(resolve));
    return { passes, claim };
  }

  test("wakes coalesce: many wakes, one pass", async () => {
    let passes = 0;
    loop = new ClaimLoop({ store, claim: () => Promise.resolve(void passes++) });
    loop.wake();
    loop.wake();
    loop.wake();
    await turnsUntil(() => passes === 1);
    await someTurns();
    assert.equal(passes, 1);
  });

  test("one pass in flight; wakes during it run exactly one more after it", async () => {
    const { passes, claim } = heldClaim();
    loop = new ClaimLoop({ store, claim });
    loop.wake();
    await turnsUntil(() => passes.length === 1);
    loop.wake();
    loop.wake();
    await someTurns();
    assert.equal(passes.length, 1, "no second pass while one is in flight");
    passes[0]();
    await turnsUntil(() => passes.length === 2);
    passes[1]();
    await someTurns();
    assert.equal(passes.length, 2, "the wakes during the pass asked for one more, not two");
  });

  test("with nothing ahead it does not wake itself: no busy loop", async () => {
    let passes = 0;
    loop = new ClaimLoop({ store, claim: () => Promise.resolve(void passes++) });
    loop.wake();
    await turnsUntil(() => passes === 1);
    await someTurns();
    assert.equal(passes, 1);
    assert.equal(loop.sleepingFor, undefined);
  });

  test("sleeps until the next run_at, then claims the task", async () => {
    const runAt = Date.now() + 60_000;
    await submitIds(store, [{ spec: { kind: "command", argv: ["later"] }, runAt }]);
    let passes = 0;
    loop = new ClaimLoop({ store, claim: () => Promise.resolve(void passes++) });
    loop.wake();
    await turnsUntil(() => loop!.sleepingFor !== undefined);
    assert.equal(passes, 1);
    assert.ok(loop.sleepingFor! > 0 && loop.sleepingFor! <= 60_000, `${loop.sleepingFor}`);

    // A task submitted during the first pass, due in a moment, is claimed by the timer's
    // pass: nothing else wakes the loop.
    let soon = 0;
    const claimedPerPass: number[][] = [];
    const { promise: claimedSoon, resolve } = Promise.withResolvers<void>();
    loop.stop();
    loop = new ClaimLoop({
      store,
      claim: async () => {
        const tasks = await store.claim("me", { maxProcesses: 1, maxWorkers: 1 });
        claimedPerPass.push(tasks.map((task) => task.id));
        if (!soon) {
          [soon] = await submitIds(store, [{
            spec: { kind: "command", argv: ["soon"] },
            runAt: Date.now() + 30,
          }]);
        }
        if (tasks.some((task) => task.id === soon)) resolve();
      },
    });
    loop.wake();
    await claimedSoon;
    assert.deepEqual(claimedPerPass.at(-1), [soon]);
    assert.deepEqual(claimedPerPass[0], [], "the first pass had nothing due");
  });

  test("fires due schedules before claiming, then sleeps until the next firing", async () => {
    const now = Date.now();
    await store.schedules.create({
      every: "1h",
      timeZone: null,
      template: { spec: { kind: "command", argv: ["tick"] }, name: "tick" },
      anchor: now - 3_600_000,
      nextAt: now - 1000,
    });
    const claimed: Task[] = [];
    loop = new ClaimLoop({
      store,
      claim: async () => {
        claimed.push(...await store.claim("me", { maxProcesses: 1, maxWorkers: 1 }));
      },
    });
    loop.wake();
    await turnsUntil(() => loop!.sleepingFor !== undefined);
    assert.deepEqual(
      claimed.map((task) => task.name),
      ["tick"],
      "the firing's run, in the same pass",
    );
    assert.ok(loop.sleepingFor! > 0 && loop.sleepingFor! <= 3_600_000, `${loop.sleepingFor}`);
  });

  test("a failed pass is logged, and the next wake tries again", async () => {
    const lines: string[] = [];
    let passes = 0;
    loop = new ClaimLoop({
      store,
      claim: () =>
        ++passes === 1 ? Promise.reject(new Error("database is locked")) : Promise.resolve(),
      log: (line) => lines.push(line),
    });
    loop.wake();
    await turnsUntil(() => lines.length === 1);
    assert.equal(lines[0], "cannot claim tasks: database is locked");
    loop.wake();
    await turnsUntil(() => passes === 2);
  });

  test("after stop, wakes run no pass and the timer is cleared", async () => {
    await submitIds(store, [{
      spec: { kind: "command", argv: ["later"] },
      runAt: Date.now() + 60_000,
    }]);
    let passes = 0;
    loop = new ClaimLoop({ store, claim: () => Promise.resolve(void passes++) });
    loop.wake();
    await turnsUntil(() => loop!.sleepingFor !== undefined);
    loop.stop();
    assert.equal(loop.sleepingFor, undefined);
    loop.wake();
    await someTurns();
    assert.equal(passes, 1);
  });
});
