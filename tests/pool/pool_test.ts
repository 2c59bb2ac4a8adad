import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Pool } from "../../src/pool/pool.ts";
import type { PoolEvent } from "../../src/pool/pool.ts";
import { skipWithReason } from "../_helpers/skip.ts";

/** Names that functions sent by value receive through `capture` (or fail on). */
declare const scale: number;

const JOBS = new URL("./fixtures/jobs.ts", import.meta.url);
const isDeno = "Deno" in globalThis;
const opts = { sanitizeOps: false, sanitizeResources: false } as Record<string, unknown>;

function withJobs(exp: string): URL {
  const u = new URL(JOBS);
  u.hash = exp;
  return u;
}

test("run() calls a function given by value and returns its value", opts, async () => {
  const pool = new Pool({ size: 2 });
  assert.equal(await pool.run((x: number) => x * 2, [21]), 42);
  assert.equal(
    await pool.run(async (a: number, b: number) => await Promise.resolve(a + b), [1, 2]),
    3,
  );
  await pool.close();
});

test("run() hands captured values over by name", opts, async () => {
  const pool = new Pool({ size: 1 });
  assert.equal(
    await pool.run((x: number) => x * scale, [21], { capture: { scale: 2 } }),
    42,
  );
  assert.equal(
    await pool.run((x: number) => x * scale, [21], { capture: { scale: 3 } }),
    63,
  );
  await pool.close();
});

test("a free variable fails the task with an error naming it", opts, async () => {
  const pool = new Pool({ size: 1 });
  await assert.rejects(pool.run((x: number) => x * scale, [21]), (e: Error) => {
    assert.equal(
      e.message,
      "Cannot run function: free variable 'scale' is not defined; pass it with { capture: { scale } }",
    );
    assert.equal(e.name, "ReferenceError");
    return true;
  });
  await pool.close();
});

test("native and bound functions are refused at once with a TypeError", () => {
  const pool = new Pool({ size: 1 });
  assert.throws(() => pool.run(Math.max, [1, 2]), TypeError);
  assert.throws(() => pool.run(function f(this: unknown) {}.bind({}), []), /bound/);
  void pool.terminate();
});

test("run() calls a module's default export or a named #export", opts, async () => {
  const pool = new Pool({ size: 1 });
  assert.equal(await pool.run(JOBS, [1]), 2);
  assert.equal(await pool.run(withJobs("train"), ["data.csv", { epochs: 3 }]), "data.csv:3");
  assert.equal(await pool.run(JOBS.href + "#train", ["a", { epochs: 1 }]), "a:1");
  await pool.close();
});

test("a module that fails to load rejects only that task with a clear message", opts, async () => {
  const pool = new Pool({ size: 1 });
  await assert.rejects(pool.run(withJobs("nope")), (e: Error) => {
    assert.match(e.message, /^Cannot run .*jobs\.ts#nope: the module has no export 'nope'$/);
    assert.equal(e.name, "ModuleLoadError");
    assert.equal((e as Error & { code: string }).code, "MODULE_LOAD");
    return true;
  });
  await assert.rejects(
    pool.run(withJobs("notAFunction")),
    /export 'notAFunction' is not a function/,
  );
  await assert.rejects(
    pool.run("./no/such/file.ts#train"),
    /Cannot run \.\/no\/such\/file\.ts#train: cannot load the module/,
  );
  const dir = mkdtempSync(join(tmpdir(), "bgt-pool-"));
  const broken = join(dir, "broken.ts");
  writeFileSync(broken, "export default function (\n");
  await assert.rejects(pool.run(broken), /cannot load the module/);
  assert.equal(await pool.run(JOBS, [41]), 42);
  await pool.close();
});

test("a task's own error keeps its name, message and stack", opts, async () => {
  const pool = new Pool({ size: 1 });
  await assert.rejects(
    pool.run(() => {
      const e = new RangeError("too big");
      (e as RangeError & { code: string }).code = "E_BIG";
      throw e;
    }),
    (e: Error & { code?: string }) => {
      assert.equal(e.name, "RangeError");
      assert.equal(e.message, "too big");
      assert.equal(e.code, "E_BIG");
      assert.match(e.stack ?? "", /too big/);
      return true;
    },
  );
  await pool.close();
});

test("transfer moves ArrayBuffers both ways without a copy", opts, async () => {
  const pool = new Pool({ size: 1 });
  const buf = new ArrayBuffer(1024);
  new Uint8Array(buf)[0] = 7;
  const back = await pool.run(
    (b: ArrayBuffer) => {
      new Uint8Array(b)[1] = 9;
      return { b };
    },
    [buf],
    { transfer: [buf] },
  ) as { b: ArrayBuffer };
  assert.equal(buf.byteLength, 0, "the sender's buffer is detached");
  assert.equal(back.b.byteLength, 1024);
  assert.deepEqual([...new Uint8Array(back.b, 0, 2)], [7, 9]);
  const auto = new Float64Array(16);
  await pool.run((a: Float64Array) => a.length, [{ a: auto }], { transfer: "auto" });
  assert.equal(auto.buffer.byteLength, 0, '"auto" finds buffers in args');
  const kept = new ArrayBuffer(8);
  await pool.run((b: ArrayBuffer) => b.byteLength, [kept]);
  assert.equal(kept.byteLength, 8, "without transfer the buffer is copied");
  await pool.close();
});

test("SharedArrayBuffer writes are seen on both sides", opts, async () => {
  const pool = new Pool({ size: 1 });
  const sab = new SharedArrayBuffer(8);
  const view = new Int32Array(sab);
  view[0] = 5;
  const seen = await pool.run((s: SharedArrayBuffer) => {
    const v = new Int32Array(s);
    v[1] = 11;
    return v[0];
  }, [sab]);
  assert.equal(seen, 5);
  assert.equal(view[1], 11);
  await pool.close();
});

test(
  "a timeout rejects with TimeoutError, replaces the worker, spares other tasks",
  opts,
  async () => {
    const pool = new Pool({ size: 2, graceMs: 50 });
    const stuck = isDeno ? () => new Promise(() => {}) : () => {
      while (true);
    };
    const others = Array.from({ length: 20 }, (_, i) => pool.run((x: number) => x, [i]));
    await assert.rejects(
      pool.run(stuck, [], { timeout: 100 }),
      (e: Error) => e.name === "TimeoutError",
    );
    assert.deepEqual(await Promise.all(others), Array.from({ length: 20 }, (_, i) => i));
    assert.equal(await pool.run(() => "alive"), "alive");
    await pool.close();
  },
);

test(
  "cancelling a running task aborts context.signal first, then rejects with AbortError",
  opts,
  async () => {
    const pool = new Pool({ size: 1, graceMs: 5000 });
    const ac = new AbortController();
    const events: PoolEvent[] = [];
    const p = pool.run(withJobs("waitForAbort"), [], {
      signal: ac.signal,
      context: { id: 1 },
      onEvent: (e) => events.push(e),
    });
    await new Promise((r) => setTimeout(r, 50));
    ac.abort();
    await assert.rejects(p, (e: Error) => e.name === "AbortError");
    assert.equal(await pool.run(() => 1), 1);
    await pool.close();
  },
);

test("cancelling a stuck task terminates its worker after the grace period", opts, async () => {
  const pool = new Pool({ size: 1, graceMs: 20 });
  const ac = new AbortController();
  const p = pool.run(() => new Promise(() => {}), [], { signal: ac.signal });
  const queued = pool.run(() => "next");
  await new Promise((r) => setTimeout(r, 50));
  ac.abort();
  await assert.rejects(p, (e: Error) => e.name === "AbortError");
  assert.equal(await queued, "next");
  await pool.close();
});

test("cancelling a queued task rejects it at once", opts, async () => {
  const pool = new Pool({ size: 1, maxInFlight: 1 });
  const ac = new AbortController();
  const first = pool.run(() => new Promise((r) => setTimeout(() => r(1), 50)));
  const second = pool.run(() => 2, [], { signal: ac.signal });
  ac.abort();
  await assert.rejects(second, (e: Error) => e.name === "AbortError");
  assert.equal(await first, 1);
  await pool.close();
});

test("a crashed worker fails only its task and is replaced", opts, async () => {
  const pool = new Pool({ size: 1 });
  const crash = pool.run(() => {
    setTimeout(() => {
      throw new Error("boom");
    }, 0);
    return new Promise(() => {});
  });
  const after = pool.run(() => "after");
  await assert.rejects(crash, (e: Error & { code?: string }) => {
    assert.equal(e.code, "WORKER_CRASHED");
    assert.match(e.message, /boom/);
    return true;
  });
  assert.equal(await after, "after");
  await pool.close();
});

test("higher priority runs first, FIFO within a priority", opts, async () => {
  const pool = new Pool({ size: 1, maxInFlight: 1 });
  const order: number[] = [];
  const block = pool.run(() => new Promise((r) => setTimeout(r, 30)));
  const ps = [0, 5, 0, 9, 5].map((p, i) =>
    pool.run(() => 0, [], { priority: p }).then(() => order.push(i))
  );
  await block;
  await Promise.all(ps);
  assert.deepEqual(order, [3, 1, 4, 0, 2]);
  await pool.close();
});

test("captureConsole delivers each task's console output to that task alone", opts, async () => {
  const pool = new Pool({ size: 1 });
  const a: PoolEvent[] = [];
  const b: PoolEvent[] = [];
  const [ra, rb] = await Promise.all([
    pool.run(withJobs("talk"), ["A"], { captureConsole: true, onEvent: (e) => a.push(e) }),
    pool.run(withJobs("talk"), ["B"], { captureConsole: true, onEvent: (e) => b.push(e) }),
  ]);
  assert.deepEqual([ra, rb], ["A", "B"]);
  assert.deepEqual(a, [
    { type: "stdout", text: "out A { n: 1 }\n" },
    { type: "stderr", text: "err A\n" },
    { type: "progress", fraction: 0.5, message: "half A" },
    { type: "data", value: { tag: "A" } },
    { type: "stdout", text: "done A\n" },
  ]);
  assert.equal(b.filter((e) => "text" in e && e.text.includes("A")).length, 0);
  assert.equal(b.length, 5);
  await pool.close();
});

test("context carries id, attempt and meta into the worker", opts, async () => {
  const pool = new Pool({ size: 1 });
  const got = await pool.run(withJobs("whoAmI"), [], {
    context: { id: 42, attempt: 2, meta: { k: "v" } },
  });
  assert.deepEqual(got, { id: 42, attempt: 2, meta: { k: "v" } });
  const none = await pool.run(withJobs("whoAmI"));
  assert.deepEqual(none, { id: undefined, attempt: undefined, meta: {} });
  await pool.close();
});

test("resize() grows and shrinks the pool while it runs", opts, async () => {
  const pool = new Pool({ size: 1 });
  // Each task counts itself in and waits until all four are in: only four workers at once can.
  const meet = (shared: SharedArrayBuffer) => {
    const count = new Int32Array(shared);
    Atomics.add(count, 0, 1);
    Atomics.notify(count, 0);
    const giveUp = Date.now() + 10_000;
    while (Atomics.load(count, 0) < 4 && Date.now() < giveUp) {
      Atomics.wait(count, 0, Atomics.load(count, 0), 50);
    }
    return Atomics.load(count, 0) >= 4;
  };
  const shared = new SharedArrayBuffer(4);
  pool.size = 4;
  const met = await Promise.all([1, 2, 3, 4].map(() => pool.run(meet, [shared])));
  assert.deepEqual(met, [true, true, true, true], "four tasks ran at once");
  assert.equal(pool.workers, 4);
  pool.resize(2);
  assert.equal(pool.workers, 2);
  assert.equal(await pool.run(() => 1), 1);
  assert.throws(() => (pool.size = 0), RangeError);
  await pool.close();
});

test("close() drains queued tasks; terminate() rejects them", opts, async () => {
  const pool = new Pool({ size: 1 });
  const ps = [1, 2, 3].map((x) => pool.run((y: number) => y, [x]));
  await pool.close();
  assert.deepEqual(await Promise.all(ps), [1, 2, 3]);
  await assert.rejects(
    pool.run(() => 1),
    (e: Error & { code?: string }) => e.code === "POOL_CLOSED",
  );
  const p2 = new Pool({ size: 1 });
  const stuck = p2.run(() => new Promise(() => {}));
  await p2.terminate();
  await assert.rejects(stuck, (e: Error & { code?: string }) => e.code === "POOL_CLOSED");
});

test("many pipelined tasks all resolve in order of their values", opts, async () => {
  const pool = new Pool({ size: 2 });
  const n = 20_000;
  const ps = [];
  for (let i = 0; i < n; i++) ps.push(pool.run((x: number) => x + 1, [i]));
  const r = await Promise.all(ps);
  assert.equal(r.length, n);
  assert.equal(r[n - 1], n);
  await pool.close();
});

test("run() with cwd and env runs the task in that directory and environment", opts, async (t) => {
  if (isDeno) {
    return skipWithReason(
      t,
      "Deno refuses chdir in a worker and shares one environment between threads; the option is for bgt's worker hosts, which run on Bun",
    );
  }
  const pool = new Pool({ size: 1 });
  const dir = mkdtempSync(join(tmpdir(), "bgt-cwd-"));
  const here = process.cwd();
  try {
    const seen = await pool.run(
      () => ({ cwd: process.cwd(), env: { ...process.env } }),
      [],
      { cwd: dir, env: { ONLY: "this" } },
    );
    assert.deepEqual(seen, { cwd: dir, env: { ONLY: "this" } });
    // The next task that names no environment gets the worker's own back, not the last task's,
    // whether it carries options or not (a function sent before carries none).
    const only = () => process.env.ONLY ?? null;
    assert.equal(await pool.run(only, [], { cwd: here, context: { id: 2 } }), null);
    await pool.run(() => 0, [], { env: { ONLY: "again" } });
    assert.equal(await pool.run(only), null);
    await assert.rejects(
      pool.run(() => 1, [], { cwd: join(dir, "missing") }),
      /Cannot run the task in .*missing/,
    );
  } finally {
    process.chdir(here); // a worker's chdir moves the whole process
    await pool.close();
  }
});

test(
  "a pool on Deno needs no environment permission unless a task names an environment",
  opts,
  (t) => {
    const deno = join(import.meta.dirname ?? ".", "../../node_modules/.bin/deno");
    if (!existsSync(deno)) return skipWithReason(t, `no Deno at ${deno} (npm install)`);
    const pool = new URL("../../src/pool/pool.ts", import.meta.url).href;
    const script = `import { Pool } from "${pool}";
const p = new Pool({ size: 1 });
console.log(await p.run((a) => a + 1, [1]));
await p.close();`;
    const file = join(mkdtempSync(join(tmpdir(), "bgt-deno-")), "pool.ts");
    writeFileSync(file, script);
    // Read access only: no --allow-env.
    const args = ["run", "--no-check", "--allow-read", "--no-prompt", file];
    const result = spawnSync(deno, args, { encoding: "utf8" });
    assert.equal(result.stdout.trim(), "2", result.stderr);
  },
);
