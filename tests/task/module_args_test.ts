import assert from "node:assert/strict";
import { test } from "node:test";
import { parseModuleArgs } from "../../src/task/module_args.ts";

test("parseModuleArgs() parses JSON positionals and keeps other words as strings", () => {
  assert.deepEqual(parseModuleArgs(["2", "3.5", "data.csv", '{"k":1}', "[1,2]", "true", "null"]), [
    2,
    3.5,
    "data.csv",
    { k: 1 },
    [1, 2],
    true,
    null,
  ]);
});

test("parseModuleArgs() gathers --key value and --flag into one options object, last", () => {
  assert.deepEqual(parseModuleArgs(["data.csv", "--epochs", "3", "--dry-run", "--lr=0.1"]), [
    "data.csv",
    { epochs: 3, dryRun: true, lr: 0.1 },
  ]);
});

test("parseModuleArgs() treats words after a lone -- as positionals", () => {
  assert.deepEqual(parseModuleArgs(["--", "--not-an-option", "1"]), ["--not-an-option", 1]);
});

test("parseModuleArgs() gives no options object when there are no options", () => {
  assert.deepEqual(parseModuleArgs([]), []);
});
