import { test } from "node:test";
import assert from "node:assert/strict";
import { Pool } from "../../src/pool/pool.ts";
import { task } from "../../src/pool/task.ts";
import { Future } from "../../src/pool/future.ts";
import { BackgroundTask } from "../../src/pool/background_task.ts";
import { BackgroundTaskPool } from "../../src/pool/background_task_pool.ts";

const opts = { sanitizeOps: false, sanitizeResources: false } as Record<string, unknown>;

test("task() returns a function whose calls return pollable futures", opts, async () => {
  const pool = new Pool({ size: 2 });
  const double = task((x: number) => x * 2, { pool });
  const f = double(21);
  assert.ok(f instanceof Future);
  assert.equal(f.isDone(), false);
  assert.equal(await f, 42);
  assert.equal(f.isDone(), true);
  assert.equal(await f.result(), 42);
  await pool.close();
});

test("Future.cancel() rejects a running task with AbortError", opts, async () => {
  const pool = new Pool({ size: 1, graceMs: 10 });
  const forever = task(() => new Promise(() => {}), { pool });
  const f = forever();
  f.cancel();
  await assert.rejects(f.result(), (e: Error) => e.name === "AbortError");
  assert.equal(f.isDone(), true);
  await pool.close();
});

test("task() refuses native and bound functions at once", () => {
  assert.throws(() => task(Math.max), TypeError);
  assert.throws(() => task(((x: number) => x).bind(null)), TypeError);
});

test("BackgroundTask runs a function in the background and can be polled", opts, async () => {
  const bg = new BackgroundTask(
    async (a: number, b: number) => {
      await new Promise((r) => setTimeout(r, 20));
      return [a + b, "ok"];
    },
    1,
    2,
  );
  assert.equal(bg.isDone(), false);
  assert.deepEqual(await bg.result(), [3, "ok"]);
  assert.equal(bg.isDone(), true);
});

test("BackgroundTask runs a module export", opts, async () => {
  const bg = new BackgroundTask(new URL("./fixtures/jobs.ts#train", import.meta.url), "m", {
    epochs: 2,
  });
  assert.equal(await bg.result(), "m:2");
});

test("BackgroundTaskPool runs many tasks on n workers", opts, async () => {
  const pool = new BackgroundTaskPool(2);
  const tasks = [1, 2, 3].map((x) => pool.add((y: number) => y * y, x));
  assert.deepEqual(await pool.results(), [1, 4, 9]);
  assert.ok(pool.isDone() && tasks.every((t) => t.isDone()));
  await pool.close();
});
