/**
 * DESIGN §5: "a supervisor crash loses no byte that a task wrote before it". A module task's
 * console output is appended to its files from inside the worker, before `console.log` returns,
 * so `kill -9` of the supervisor loses no line the task printed.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { TempHome, waitFor } from "../_helpers/bgt_home.ts";

describe("module output at a supervisor crash", () => {
  let home: TempHome;
  before(() => {
    home = TempHome.create();
    writeFileSync(
      join(home.work, "chatty.ts"),
      `import { appendFileSync } from "node:fs";
export default (ledger: string) => {
  for (let i = 1; i <= 200000; i++) {
    console.log("line " + i);
    if (i % 100 === 0) appendFileSync(ledger, i + "\\n");
  }
};
`,
    );
  });
  after(() => home.cleanup());

  test("every line a module task printed before kill -9 of the supervisor is in its stdout", () => {
    const ledger = join(home.dir, "ledger");
    writeFileSync(ledger, "");
    const id = home.ok(["run", "chatty.ts", ledger]);
    waitFor(() => readFileSync(ledger, "utf8").split("\n").length > 20);
    process.kill(home.supervisorPids().at(-1)!, "SIGKILL");
    const printed = readFileSync(ledger, "utf8").split("\n").filter(Boolean).map(Number);
    const last = printed.at(-1)!;
    const out = readFileSync(join(home.dir, "home", "logs", id, "stdout"), "utf8");
    const lines = out.split("\n").filter(Boolean).length;
    assert.ok(lines >= last, `console.log returned for ${last} lines; ${lines} reached stdout`);
  });
});
