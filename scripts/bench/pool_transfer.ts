/**
 * A 64 MiB ArrayBuffer to a worker and back: through `Pool` moved (transfer), against a bare
 * Bun worker echoing it with transfer both ways (the floor), and through `Pool` copied one way
 * (structured clone). Rounds alternate the three; medians.
 *
 * After each round the garbage of the copy (64 MiB here, 64 MiB in the worker) is collected in
 * both threads, outside the measures: left alone, its collection landed in the next round's
 * moved measure (medians 0.75–1.3 ms instead of ~0.3 ms for the same code). The copy then goes
 * into fresh memory (page faults: ~100 ms; 25–40 ms when it reuses the last copy's pages).
 *
 * ```sh
 * npx bun scripts/bench/pool_transfer.ts [rounds=41]
 * ```
 */
import { Pool } from "../../src/pool/pool.ts";
import { bench, commandLine, figure, num, numberArg, progress, times } from "./_harness.ts";

const ROUNDS = numberArg(0, 41, 5);
const SIZE = 64 * 1024 * 1024;

/** A full collection in the calling thread now (Bun), here or sent to a worker by value. */
function collectGarbage(): void {
  (globalThis as { Bun?: { gc(force: boolean): void } }).Bun?.gc(true);
}

await bench("pool_transfer", async () => {
  const pool = new Pool({ size: 1 });
  await pool.ready();
  const bare = new Worker(
    new URL("./pool_fixtures/bare_worker.ts", import.meta.url).href,
    { type: "module" },
  );
  const echoBare = (buffer: ArrayBuffer) =>
    new Promise<ArrayBuffer>((resolve) => {
      bare.onmessage = (event) => resolve(event.data as ArrayBuffer);
      bare.postMessage(buffer, [buffer]);
    });
  const echo = (b: ArrayBuffer) => b;
  let buf = new ArrayBuffer(SIZE);
  let bareBuf = new ArrayBuffer(SIZE);
  const moved: number[] = [];
  const bareMoved: number[] = [];
  const cloned: number[] = [];
  for (let i = 0; i < ROUNDS + 2; i++) {
    let t0 = performance.now();
    buf = await pool.run(echo, [buf], { transfer: [buf] }) as ArrayBuffer;
    const m = performance.now() - t0;
    if (buf.byteLength !== SIZE) throw new Error("the buffer did not come back whole");
    t0 = performance.now();
    bareBuf = await echoBare(bareBuf);
    const b = performance.now() - t0;
    if (bareBuf.byteLength !== SIZE) throw new Error("the bare buffer did not come back whole");
    let copy: ArrayBuffer | undefined = new ArrayBuffer(SIZE);
    t0 = performance.now();
    // Copied there (no transfer); only its length comes back.
    await pool.run((x: ArrayBuffer) => x.byteLength, [copy]);
    const c = performance.now() - t0;
    copy = undefined;
    collectGarbage();
    await pool.run(collectGarbage);
    if (i >= 2) { // the first two warm up
      moved.push(m);
      bareMoved.push(b);
      cloned.push(c);
    }
  }
  await pool.close();
  bare.terminate();
  const f = {
    moved: figure(moved, "ms"),
    bare: figure(bareMoved, "ms"),
    cloned: figure(cloned, "ms"),
  };
  progress(
    `moved ${num(f.moved.median)} ms, bare ${num(f.bare.median)} ms, cloned ${
      num(f.cloned.median)
    } ms`,
  );
  return {
    rounds: ROUNDS,
    rows: [{
      id: "pool_transfer",
      section: "The in-process pool",
      measure: "64 MiB ArrayBuffer to a worker and back through `Pool`, moved (a whole task)",
      bgt: f.moved,
      peers: [
        { name: "bare Bun worker echo, moved both ways", figure: f.bare },
        { name: "through `Pool`, copied one way (structured clone)", figure: f.cloned },
      ],
      ratio: `${times(f.moved.median, f.bare.median)} bare; ${
        times(f.cloned.median, f.moved.median)
      } faster than one copy`,
      target: "≤ 0.5 ms (moved, not copied)",
      met: f.moved.median <= 0.5,
      command: commandLine("pool_transfer.ts", ROUNDS),
    }],
  };
});
