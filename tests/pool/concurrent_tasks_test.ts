import { test } from "node:test";
import assert from "node:assert/strict";
import { Pool } from "../../src/pool/pool.ts";

const opts = { sanitizeOps: false, sanitizeResources: false } as Record<string, unknown>;

/** An async task that counts itself in `sab[0]` and waits until `sab[1]` is set. */
const held = async (sab: SharedArrayBuffer, value: number) => {
  const cells = new Int32Array(sab);
  Atomics.add(cells, 0, 1);
  while (Atomics.load(cells, 1) === 0) await new Promise((r) => setTimeout(r, 2));
  return value;
};

/** Resolves once `count` tasks counted themselves in `sab[0]`. */
async function started(sab: SharedArrayBuffer, count: number): Promise<void> {
  const cells = new Int32Array(sab);
  while (Atomics.load(cells, 0) < count) await new Promise((r) => setTimeout(r, 2));
}

function release(sab: SharedArrayBuffer): void {
  Atomics.store(new Int32Array(sab), 1, 1);
}

test("concurrentTasksPerWorker runs async tasks side by side on one worker", opts, async () => {
  const pool = new Pool({ size: 4, concurrentTasksPerWorker: 10 });
  const sab = new SharedArrayBuffer(8);
  const runs = Array.from({ length: 10 }, (_, i) => pool.run(held, [sab, i]));
  await started(sab, 10); // all ten wait at once
  assert.equal(pool.workers, 1);
  assert.equal(pool.inFlight, 10);
  release(sab);
  assert.deepEqual(await Promise.all(runs), Array.from({ length: 10 }, (_, i) => i));
  await pool.close();
});

test(
  "a worker gets no more than concurrentTasksPerWorker tasks; more start workers up to size",
  opts,
  async () => {
    const pool = new Pool({ size: 3, concurrentTasksPerWorker: 2 });
    const sab = new SharedArrayBuffer(8);
    const runs = Array.from({ length: 7 }, (_, i) => pool.run(held, [sab, i]));
    await started(sab, 6);
    assert.equal(pool.workers, 3);
    assert.equal(pool.inFlight, 6);
    assert.equal(pool.queued, 1); // waits for a free place, not pipelined
    release(sab);
    assert.deepEqual(await Promise.all(runs), Array.from({ length: 7 }, (_, i) => i));
    await pool.close();
  },
);

test(
  "with concurrentTasksPerWorker, a timeout counts from the task's own start, not its wait",
  opts,
  async () => {
    const pool = new Pool({ size: 1, concurrentTasksPerWorker: 2 });
    const sab = new SharedArrayBuffer(8);
    const busy = [pool.run(held, [sab, 1]), pool.run(held, [sab, 2])];
    // Queued behind both (a task with a timeout runs alone): it waits longer than its timeout.
    const timed = pool.run(
      () => new Promise((r) => setTimeout(() => r("in time"), 20)),
      [],
      { timeout: 150 },
    );
    await started(sab, 2);
    await new Promise((r) => setTimeout(r, 300));
    release(sab);
    assert.deepEqual(await Promise.all(busy), [1, 2]);
    assert.equal(await timed, "in time");
    await pool.close();
  },
);

test(
  "with concurrentTasksPerWorker, a timed-out task is stopped alone and spares the others",
  opts,
  async () => {
    const pool = new Pool({ size: 2, concurrentTasksPerWorker: 4, graceMs: 20 });
    const stuck = pool.run(() => new Promise(() => {}), [], { timeout: 50 });
    const others = Array.from(
      { length: 8 },
      (_, i) => pool.run((x: number) => new Promise((r) => setTimeout(() => r(x), 30)), [i]),
    );
    await assert.rejects(stuck, (e: Error) => e.name === "TimeoutError");
    assert.deepEqual(await Promise.all(others), Array.from({ length: 8 }, (_, i) => i));
    await pool.close();
  },
);

test(
  "with concurrentTasksPerWorker, a crash fails the tasks running beside it, not the queued ones",
  opts,
  async () => {
    const pool = new Pool({ size: 1, concurrentTasksPerWorker: 2 });
    const sab = new SharedArrayBuffer(8);
    const beside = pool.run(held, [sab, 1]);
    const crash = pool.run(async () => {
      await new Promise((r) => setTimeout(r, 20));
      setTimeout(() => {
        throw new Error("boom");
      }, 0);
      return new Promise(() => {});
    });
    const queued = pool.run(() => "after");
    for (const p of [crash, beside]) {
      await assert.rejects(p, (e: Error & { code?: string }) => {
        assert.equal(e.code, "WORKER_CRASHED");
        assert.match(e.message, /boom/);
        return true;
      });
    }
    assert.equal(await queued, "after");
    await pool.close();
  },
);

test("ready() starts every worker even with concurrentTasksPerWorker", opts, async () => {
  const pool = new Pool({ size: 3, concurrentTasksPerWorker: 8 });
  await pool.ready();
  assert.equal(pool.workers, 3);
  await pool.close();
});

test("concurrentTasksPerWorker must be an integer ≥ 1", () => {
  for (const bad of [0, 1.5, -1, Number.NaN]) {
    assert.throws(() => new Pool({ concurrentTasksPerWorker: bad }), RangeError);
  }
});
