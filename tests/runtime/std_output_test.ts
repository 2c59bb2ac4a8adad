import { test } from "node:test";
import assert from "node:assert/strict";
import { stderr, stdout } from "../../src/runtime/std_output.ts";

test("stdout and stderr tell a terminal as the process streams do", () => {
  assert.equal(stdout.isTTY, Boolean(process.stdout.isTTY));
  assert.equal(stderr.isTTY, Boolean(process.stderr.isTTY));
  assert.equal(stdout.columns, process.stdout.isTTY ? process.stdout.columns : undefined);
});

test("flushed() resolves once what was written has been handed over", async () => {
  stderr.write("");
  stderr.write(new Uint8Array(0));
  await stderr.flushed();
});
