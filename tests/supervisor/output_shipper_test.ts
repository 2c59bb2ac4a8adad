/**
 * The output shipper against a real PostgreSQL store: a run's streams reach the output table in
 * chunks of at most 64 KiB and finish() resolves once all of it is in; what --retain drops is not
 * shipped; a last ship the store refuses leaves a marker, and the home's next shipper ships the
 * rest and removes it.
 */
import assert from "node:assert/strict";
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, test } from "node:test";
import type { OutputChunk, OutputStore } from "../../src/store/shared_io.ts";
import { readRange, taskFiles } from "../../src/store/task_files.ts";
import { OutputShipper } from "../../src/supervisor/output_shipper.ts";
import { forEachStore, postgresFactory } from "../store/_stores.ts";

/** Everything stored of a task's stdout, in offset order, joined. */
async function storedStdout(output: OutputStore, id: number): Promise<Buffer> {
  const chunks = await output.read(id, { stdout: 0, stderr: 0, data: 0 });
  return Buffer.concat(chunks.filter((c) => c.stream === "stdout").map((c) => c.data));
}

const pattern = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => 97 + (i % 26)));

forEachStore("OutputShipper", (open) => {
  let dir: string;
  let shippers: OutputShipper[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "bgt-shipper-"));
    mkdirSync(join(dir, "logs"));
  });
  afterEach(async () => {
    for (const shipper of shippers) await shipper.stop();
    shippers = [];
    rmSync(dir, { recursive: true, force: true });
  });
  const shipper = (output: OutputStore) => {
    const made = new OutputShipper({ output, homeDir: dir, logsDir: join(dir, "logs") });
    shippers.push(made);
    return made;
  };

  test("a run's output reaches the table in chunks of at most 64 KiB; finish() waits for the last", async () => {
    const store = await open();
    const files = taskFiles(join(dir, "logs"), 1);
    mkdirSync(files.dir);
    const shipping = shipper(store.output!);
    shipping.track({ id: 1, attempt: 1 }, files, { stdout: 0, stderr: 0, data: 0 });
    appendFileSync(files.stdout, pattern(150_000));
    await new Promise((resolve) => setTimeout(resolve, 400)); // a pass while it runs
    appendFileSync(files.stdout, pattern(30_000));
    await shipping.finish(1);
    const chunks = await store.output!.read(1, { stdout: 0, stderr: 0, data: 0 });
    assert.ok(chunks.every((chunk) => chunk.data.length <= 64 * 1024));
    assert.deepEqual(await storedStdout(store.output!, 1), Buffer.from(readRange(files.stdout, 0)));
    assert.equal(existsSync(join(dir, "shipping", "1")), false);
  });

  test("what --retain drops is not shipped", async () => {
    const store = await open();
    const files = taskFiles(join(dir, "logs"), 2);
    mkdirSync(files.dir);
    const shipping = shipper(store.output!);
    shipping.track({ id: 2, attempt: 1, retain: 1000 }, files, { stdout: 0, stderr: 0, data: 0 });
    appendFileSync(files.stdout, pattern(300_000));
    await shipping.finish(2);
    const stored = await storedStdout(store.output!, 2);
    assert.equal(stored.length, 1000);
    assert.deepEqual(stored, Buffer.from(readRange(files.stdout, 299_000)));
  });

  test("a ship that committed but was reported failed loses no byte of what follows", async () => {
    const store = await open();
    const real = store.output!;
    const files = taskFiles(join(dir, "logs"), 4);
    mkdirSync(files.dir);
    let lose = true;
    const losingAck: OutputStore = {
      ...real,
      shippedEnds: (id) => real.shippedEnds(id),
      ship: async (chunks, trims) => {
        await real.ship(chunks, trims);
        if (lose && chunks.length) {
          lose = false;
          throw new Error("connection reset"); // after the commit: its acknowledgement is lost
        }
      },
    };
    const shipping = shipper(losingAck);
    shipping.track({ id: 4, attempt: 1 }, files, { stdout: 0, stderr: 0, data: 0 });
    appendFileSync(files.stdout, pattern(100));
    const deadline = Date.now() + 20_000;
    while (lose && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(lose, false, "the first ship happened");
    appendFileSync(files.stdout, pattern(70_000));
    await shipping.finish(4);
    assert.deepEqual(await storedStdout(real, 4), Buffer.from(readRange(files.stdout, 0)));
  });

  test("a last ship the store refuses leaves a marker; the next shipper ships the rest", async () => {
    const store = await open();
    const files = taskFiles(join(dir, "logs"), 3);
    mkdirSync(files.dir);
    const refusing: OutputStore = {
      ...store.output!,
      shippedEnds: (id) => store.output!.shippedEnds(id),
      ship: (_chunks: readonly OutputChunk[]) => Promise.reject(new Error("connection refused")),
    };
    const first = shipper(refusing);
    first.track({ id: 3, attempt: 1 }, files, { stdout: 0, stderr: 0, data: 0 });
    appendFileSync(files.stdout, pattern(100_000));
    await first.finish(3); // resolves though nothing was stored
    assert.equal((await storedStdout(store.output!, 3)).length, 0);
    assert.ok(existsSync(join(dir, "shipping", "3")));
    await first.stop();
    // The home's next supervisor.
    const next = shipper(store.output!);
    next.resume();
    for (let i = 0; i < 100 && existsSync(join(dir, "shipping", "3")); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(existsSync(join(dir, "shipping", "3")), false);
    assert.deepEqual(await storedStdout(store.output!, 3), Buffer.from(readRange(files.stdout, 0)));
  });
}, [postgresFactory]);
