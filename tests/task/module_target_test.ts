import assert from "node:assert/strict";
import { test } from "node:test";
import { looksLikeModule, parseModuleTarget } from "../../src/task/module_target.ts";

test("parseModuleTarget() splits file#export and defaults to the default export", () => {
  assert.deepEqual(parseModuleTarget("fit.ts#train"), { module: "fit.ts", export: "train" });
  assert.deepEqual(parseModuleTarget("./a/b.js"), { module: "./a/b.js", export: "default" });
});

test("parseModuleTarget() refuses a malformed export name", () => {
  assert.throws(() => parseModuleTarget("fit.ts#1bad"), /Cannot parse module target 'fit.ts#1bad'/);
  assert.throws(() => parseModuleTarget("#x"), TypeError);
});

test("looksLikeModule() knows scripts by extension", () => {
  assert.equal(looksLikeModule("job.ts"), true);
  assert.equal(looksLikeModule("job.mjs#run"), true);
  assert.equal(looksLikeModule("curl"), false);
  assert.equal(looksLikeModule("./deploy.sh"), false);
});
