/**
 * Issue 12, item 5: a module task's stderr holds the user's frames only. A task that throws
 * leaves its own stack there without bgt's frames (`$bunfs/…`, the pool's worker); a task that
 * bgt kills leaves no bgt stack at all, and its stored error says why in one line. In a worker
 * host and `--isolate`d, through the compiled binary; the home cleaned up.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { TempHome, waitFor } from "../_helpers/bgt_home.ts";

/** What no line of a task's log may hold: a frame of bgt's own code. */
const BGT_FRAME = /\$bunfs|~BUN|src\/pool\/|src\/runner\/|worker\.js|AbortError/;

for (const mode of ["worker host", "--isolate"] as const) {
  describe(`module task errors in the log (${mode})`, () => {
    let home: TempHome;
    const words = mode === "--isolate" ? ["--isolate"] : [];
    before(() => {
      home = TempHome.create();
      writeFileSync(
        join(home.work, "throws.ts"),
        'function inner() {\n  throw new Error("boom from user");\n}\n' +
          "export default function () {\n  inner();\n}\n",
      );
      writeFileSync(
        join(home.work, "async_throws.ts"),
        "async function step() {\n  await new Promise((r) => setTimeout(r, 5));\n" +
          '  throw new TypeError("async boom");\n}\n' +
          "export default async function () {\n  await step();\n}\n",
      );
      writeFileSync(
        join(home.work, "load_throws.ts"),
        'function setup() {\n  throw new Error("bad config");\n}\nsetup();\n' +
          "export default function () {}\n",
      );
      writeFileSync(
        join(home.work, "slow.ts"),
        'export default async function () {\n  console.log("started");\n' +
          "  await new Promise((r) => setTimeout(r, 60_000));\n}\n",
      );
    });
    after(() => home.cleanup());

    const stderrOf = (id: string) => {
      const path = join(home.dir, "home", "logs", id, "stderr");
      return existsSync(path) ? readFileSync(path, "utf8") : "";
    };
    const show = (id: string) => JSON.parse(home.ok(["show", id, "--json"]));

    test("a task that throws logs its own frames and none of bgt's", () => {
      const id = home.ok(["run", ...words, "throws.ts"]);
      assert.equal(home.bgt(["wait", id]).code, 1);
      const stderr = stderrOf(id);
      assert.match(stderr, /^Error: boom from user\n/);
      assert.match(stderr, /\n\s+at inner \(.*throws\.ts:2:\d+\)\n/);
      assert.match(stderr, /\n\s+at .*throws\.ts:5:\d+\)?\n$/, "the export's own frame");
      assert.doesNotMatch(stderr, BGT_FRAME);
      const { error } = show(id);
      assert.equal(error.message, "boom from user");
      assert.doesNotMatch(error.stack, BGT_FRAME, "the stored stack is the logged one");
    });

    test("an async task that throws logs its frames, not the runtime's ticks into bgt", () => {
      const id = home.ok(["run", ...words, "async_throws.ts"]);
      assert.equal(home.bgt(["wait", id]).code, 1);
      const stderr = stderrOf(id);
      assert.match(stderr, /^TypeError: async boom\n\s+at step \(.*async_throws\.ts:3:\d+\)/);
      assert.doesNotMatch(stderr, BGT_FRAME);
      assert.doesNotMatch(stderr, /processTicksAndRejections|native:/);
    });

    test("a module that throws while loading logs where, not the worker's frames", () => {
      const id = home.ok(["run", ...words, "load_throws.ts"]);
      assert.equal(home.bgt(["wait", id]).code, 1);
      const stderr = stderrOf(id);
      assert.match(
        stderr,
        /^ModuleLoadError: Cannot run .*load_throws\.ts#default: .*bad config\n/,
      );
      assert.match(stderr, /\n\s+at setup \(.*load_throws\.ts:2:\d+\)/);
      assert.doesNotMatch(stderr, BGT_FRAME);
    });

    test("bgt kill leaves no bgt stack in the log; show gives the reason in one line", () => {
      const id = home.ok(["run", ...words, "slow.ts"]);
      waitFor(() => home.ok(["logs", id]) === "started", 30_000);
      home.ok(["kill", id]);
      assert.notEqual(home.bgt(["wait", id]).code, 0);
      assert.equal(stderrOf(id), "", "nothing of bgt's in the task's stderr");
      const { error, status } = show(id);
      assert.equal(status, "canceled");
      assert.equal(error.message, "Cannot finish the task: it was killed (SIGTERM)");
      assert.equal(error.stack, undefined);
      const shown = home.ok(["show", id]).split("\n").filter((line) => line.startsWith("error"));
      assert.deepEqual(shown, [
        "error      AbortError: Cannot finish the task: it was killed (SIGTERM)",
      ]);
    });
  });
}
