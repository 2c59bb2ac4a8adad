/**
 * A 64 MiB ArrayBuffer to a worker and back: through `Pool` moved (transfer), against a bare
 * Bun worker echoing it with transfer both ways (the floor), and through `Pool` copied one way
 * (structured clone). Rounds alternate the three; medians.
 *
 * ```sh
 * npx bun scripts/bench/pool_transfer.ts [rounds=15]
 * ```
 */
import { Pool } from "../../src/pool/pool.ts";
import { bench, commandLine, figure, num, numberArg, progress, times } from "./_harness.ts";

const ROUNDS = numberArg(0, 15, 5);
const SIZE = 64 * 1024 * 1024;

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
    const copy = new ArrayBuffer(SIZE);
    t0 = performance.now();
    // Copied there (no transfer); only its length comes back.
    await pool.run((x: ArrayBuffer) => x.byteLength, [copy]);
    const c = performance.now() - t0;
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
