import { test } from "node:test";
import assert from "node:assert/strict";
import { Pool } from "../../src/pool/pool.ts";
import { WorkQueue } from "../../src/pool/work_queue.ts";

const LOAD = new URL("./fixtures/jobs.ts#loadFiles", import.meta.url);
const opts = { sanitizeOps: false, sanitizeResources: false } as Record<string, unknown>;
declare const scale: number;

test("WorkQueue: two workers answer three questions, close() ends their reads", opts, async () => {
  const pool = new Pool({ size: 2 });
  const q = new WorkQueue(pool);
  const done = q.map(2, LOAD);
  q.write("f1", "f2", "f3");
  const answers = [await q.read(), await q.read(), await q.read()];
  assert.deepEqual(answers.sort(), ["contents of f1", "contents of f2", "contents of f3"]);
  q.close();
  const counts = (await done) as number[];
  assert.equal(counts[0] + counts[1], 3);
  await pool.close();
});

test(
  "WorkQueue: read({ wait: false }) returns undefined when no answer is ready",
  opts,
  async () => {
    const pool = new Pool({ size: 1 });
    const q = new WorkQueue(pool);
    assert.equal(q.read({ wait: false }), undefined);
    const done = q.map(1, LOAD);
    q.write("x");
    assert.equal(await q.read(), "contents of x");
    assert.equal(q.read({ wait: false }), undefined);
    q.close();
    await done;
    await pool.close();
  },
);

test("WorkQueue: ArrayBuffers move through the queue both ways", opts, async () => {
  const pool = new Pool({ size: 1 });
  const q = new WorkQueue(pool);
  const done = q.map(1, LOAD);
  const buf = new ArrayBuffer(64);
  new Uint8Array(buf)[3] = 3;
  q.write(buf);
  assert.equal(buf.byteLength, 0, "the writer's buffer is detached at once");
  const back = await q.read() as ArrayBuffer;
  assert.equal(back.byteLength, 64);
  assert.equal(new Uint8Array(back)[3], 3);
  q.close();
  await done;
  await pool.close();
});

test(
  "WorkQueue: writeFn sends a function with its captured values; write(fn) is refused",
  opts,
  async () => {
    const pool = new Pool({ size: 1 });
    const q = new WorkQueue(pool);
    const done = q.map(1, LOAD);
    assert.throws(() => q.write(() => 1), /writeFn/);
    q.writeFn((x: number) => x * scale, { scale: 2 });
    assert.equal(await q.read(), 40);
    q.close();
    await done;
    await pool.close();
  },
);

// On Deno "bgt" resolves through deno.json's import map to mod.ts; on Bun through the worker's plugin.
test("WorkQueue: a function task reads the queue through import('bgt')", opts, async () => {
  const pool = new Pool({ size: 1 });
  const q = new WorkQueue(pool);
  const done = q.map(1, async () => {
    const { workQueue } = await import("bgt") as any;
    for (let x; (x = await workQueue.read()) !== undefined;) workQueue.write(x * 2);
  });
  q.write(1, 2);
  assert.deepEqual([await q.read(), await q.read()], [2, 4]);
  q.close();
  await done;
  await pool.close();
});
