/**
 * A module task's direct writes to process.stdout and process.stderr (no newline, bytes) land in
 * its own logs, in order with its console output, in a worker host and `--isolate`d.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { TempHome } from "../_helpers/bgt_home.ts";

const WRITER = `
export default function () {
  process.stdout.write("text");
  console.log(" and a line");
  process.stdout.write(new TextEncoder().encode("bytes, no newline"));
  process.stderr.write("err without newline");
  return 1;
}
`;

for (const isolate of [false, true]) {
  describe(`module output written to process.stdout${isolate ? " (--isolate)" : ""}`, () => {
    let home: TempHome;
    before(() => {
      home = TempHome.create();
      writeFileSync(join(home.work, "writer.ts"), WRITER);
    });
    after(() => home.cleanup());

    test("is kept in the task's stdout and stderr logs, whole and in order", () => {
      const id = home.ok(["run", ...(isolate ? ["--isolate"] : []), "writer.ts"]);
      assert.equal(home.bgt(["wait", id]).code, 0);
      assert.equal(home.ok(["logs", "--stdout", id]), "text and a line\nbytes, no newline");
      assert.equal(home.bgt(["logs", "--stderr", id]).stdout, "err without newline");
    });
  });
}
