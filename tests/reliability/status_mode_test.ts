/**
 * DESIGN §4: every file of a home is 0600 — also the waiter's `logs/<id>/status`, which `sh`
 * would create with the task's umask (0644 under the usual 022) had the runner not made it first;
 * the command keeps its own umask.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { TempHome } from "../_helpers/bgt_home.ts";

describe("the waiter's status file", () => {
  let home: TempHome;
  before(() => (home = TempHome.create()));
  after(() => home.cleanup());

  test("logs/<id>/status is 0600, and the command keeps its own umask", () => {
    const id = home.ok(["run", "--", "sh", "-c", "umask"]);
    assert.equal(home.bgt(["wait", id]).code, 0);
    const mode = statSync(join(home.dir, "home", "logs", id, "status")).mode & 0o777;
    assert.equal(mode.toString(8), "600");
    const ours = spawnSync("sh", ["-c", "umask"], { encoding: "utf8" }).stdout.trim();
    assert.equal(home.ok(["logs", id]), ours, "the command runs with the client's umask");
  });
});
