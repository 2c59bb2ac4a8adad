import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { keepStreams } from "../../src/runner/stream_keeper.ts";
import {
  prepareTaskFiles,
  readStream,
  streamInfo,
  type TaskFiles,
  taskFiles,
} from "../../src/store/task_files.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** `count` numbered lines of `width` bytes each, from `first`. */
function lines(first: number, count: number, width = 16): string {
  let out = "";
  for (let i = first; i < first + count; i++) out += `${String(i).padStart(width - 1, "0")}\n`;
  return out;
}

describe("keepStreams()", () => {
  let dir: string;
  let files: TaskFiles;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "bgt-keeper-"));
    files = taskFiles(dir, 1);
    prepareTaskFiles(files);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test("does nothing without retain or onProgress", () => {
    assert.equal(keepStreams(files, {}), undefined);
  });

  test("trims each stream to exactly the last retain bytes, freeing the blocks before", async () => {
    appendFileSync(files.stdout, lines(0, 256 * 1024)); // 4 MiB
    appendFileSync(files.stderr, "short\n");
    const keeper = keepStreams(files, { retain: 64 * 1024 })!;
    await keeper.stop();
    const info = streamInfo(files, "stdout");
    assert.deepEqual(info, { start: (4 << 20) - 64 * 1024, limit: 4 << 20 });
    assert.ok(statSync(files.stdout).blocks * 512 <= 128 * 1024, "blocks were freed");
    const kept = text(readStream(files, "stdout", { from: 0 }).bytes);
    assert.equal(kept, lines(256 * 1024 - 4096, 4096));
    assert.deepEqual(streamInfo(files, "stderr"), { start: 0, limit: 6 });
  });

  test("keeps the files bounded while they grow, and trims the data stream at a record", async () => {
    const keeper = keepStreams(files, { retain: 100_000, intervalMs: 1 })!;
    for (let i = 0; i < 40; i++) {
      appendFileSync(files.stdout, lines(i * 4096, 4096)); // 64 KiB a step
      appendFileSync(files.data, `${JSON.stringify({ i, pad: "p".repeat(1000) })}\n`);
      keeper.poke();
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
    const running = streamInfo(files, "stdout");
    assert.ok(running.limit - running.start <= 3 * 100_000, `window ${JSON.stringify(running)}`);
    await keeper.stop();
    const done = streamInfo(files, "stdout");
    assert.equal(done.limit - done.start, 100_000);
    const data = streamInfo(files, "data");
    const records = text(readStream(files, "data", { from: 0 }).bytes);
    assert.ok(data.limit - data.start <= 100_000);
    assert.match(records, /^\{"i":\d+,/, "the data stream starts at a record");
    assert.match(records, /"i":39,/);
  });

  test("reports the last progress record of the data stream, across partial lines", async () => {
    const seen: [number, string | null][] = [];
    const keeper = keepStreams(files, {
      onProgress: (fraction, message) => seen.push([fraction, message]),
      intervalMs: 1,
      dataFrom: 0,
    })!;
    appendFileSync(files.data, '{"other":1}\n{"progress": 0.25, "message": "a quarter"}\n{"prog');
    await new Promise((resolve) => setTimeout(resolve, 50));
    keeper.poke();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(seen.at(-1), [0.25, "a quarter"]);
    appendFileSync(files.data, 'ress": 0.5}\nnot json "progress"\n{"progress": 7}\n');
    await keeper.stop();
    assert.deepEqual(seen.at(-1), [1, null], "7 is clamped to 1");
    assert.equal(seen.length, 2, `one report per look: ${JSON.stringify(seen)}`);
  });

  test("without fallocate, says so once in stderr and still moves the kept start", async () => {
    const path = process.env.PATH;
    process.env.PATH = dir; // no fallocate there
    try {
      appendFileSync(files.stdout, lines(0, 64 * 1024)); // 1 MiB
      const keeper = keepStreams(files, { retain: 4096 })!;
      await keeper.stop();
    } finally {
      process.env.PATH = path;
    }
    assert.deepEqual(streamInfo(files, "stdout"), { start: (1 << 20) - 4096, limit: 1 << 20 });
    const said = text(readStream(files, "stderr", { from: 0 }).bytes);
    assert.match(said, /^bgt: cannot free the disk space of output dropped by --retain \(.+\);/);
    assert.equal(said.split("\n").length, 2, "one line");
    assert.equal(statSync(files.stdout).size, 1 << 20);
  });

  test("starts looking for progress at dataFrom (records of an earlier attempt are not reported)", async () => {
    appendFileSync(files.data, '{"progress": 0.9}\n');
    const seen: number[] = [];
    const keeper = keepStreams(files, { onProgress: (fraction) => seen.push(fraction) })!;
    await keeper.stop();
    assert.deepEqual(seen, []);
  });
});
