import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { punchHole } from "../../src/store/punch_hole.ts";
import {
  prepareTaskFiles,
  readStream,
  readTail,
  setStreamStart,
  streamInfo,
  type TaskFiles,
  taskFiles,
} from "../../src/store/task_files.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe("task files: kept windows of a stream", () => {
  let dir: string;
  let files: TaskFiles;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "bgt-files-"));
    files = taskFiles(dir, 7);
    prepareTaskFiles(files);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test("streamInfo() is {0, size} until a start is recorded, and the window after", () => {
    assert.deepEqual(streamInfo(files, "stdout"), { start: 0, limit: 0 });
    writeFileSync(files.stdout, "0123456789");
    assert.deepEqual(streamInfo(files, "stdout"), { start: 0, limit: 10 });
    setStreamStart(files, "stdout", 4);
    assert.deepEqual(streamInfo(files, "stdout"), { start: 4, limit: 10 });
    assert.deepEqual(streamInfo(files, "stderr"), { start: 0, limit: 0 });
    assert.equal(statSync(join(files.dir, "stdout.start")).mode & 0o777, 0o600);
  });

  test("readStream() reads absolute offsets and never before the kept start", () => {
    writeFileSync(files.stdout, "0123456789");
    setStreamStart(files, "stdout", 4);
    assert.deepEqual(readStream(files, "stdout", { from: 6, to: 8 }), {
      from: 6,
      bytes: new TextEncoder().encode("67"),
    });
    const clamped = readStream(files, "stdout", { from: 0 });
    assert.equal(clamped.from, 4);
    assert.equal(text(clamped.bytes), "456789");
    assert.equal(readStream(files, "stdout", { from: 20 }).bytes.length, 0);
  });

  test("readTail() counts lines inside the kept window only", () => {
    writeFileSync(files.stdout, "one\ntwo\nthree\nfour\n");
    assert.equal(text(readTail(files, "stdout", { lines: 2 })), "three\nfour\n");
    setStreamStart(files, "stdout", 10); // inside "three"
    assert.equal(text(readTail(files, "stdout", { lines: 5 })), "ree\nfour\n");
    assert.equal(text(readTail(files, "stdout", { lines: 1, end: 14 })), "ree\n");
  });

  test("punchHole() frees the front of a file that is still appended to, keeping offsets", async () => {
    const mib = "x".repeat(1 << 20);
    for (let i = 0; i < 8; i++) appendFileSync(files.stdout, mib);
    const before = statSync(files.stdout);
    await punchHole(files.stdout, { offset: 0, length: 7 << 20 });
    appendFileSync(files.stdout, "tail");
    const after = statSync(files.stdout);
    assert.equal(after.size, before.size + 4);
    assert.ok(after.blocks * 512 < 2 << 20, `blocks ${after.blocks} after the punch`);
    assert.equal(text(readStream(files, "stdout", { from: (8 << 20) - 2 }).bytes), "xxtail");
  });

  test("punchHole() rejects with one line on a file that is not there", async () => {
    await assert.rejects(
      punchHole(join(dir, "missing"), { offset: 0, length: 4096 }),
      (error: Error) => !error.message.includes("\n") && error.message.length > 0,
    );
  });
});
