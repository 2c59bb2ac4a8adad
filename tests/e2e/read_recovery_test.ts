/**
 * Issue 12 item 3: a read after a supervisor crash shows how a task that ended meanwhile ended.
 * Read commands (`ls`, `show`, `logs`, `send`, `result`) start a supervisor when none runs and
 * read after its recovery is stored (it opens its socket only then).
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { TempHome, waitFor } from "../_helpers/bgt_home.ts";

describe("reads after a supervisor crash", () => {
  let home: TempHome;
  before(() => (home = TempHome.create()));
  after(() => home.cleanup());

  /** Runs a short sleep, kills the supervisor with SIGKILL and waits until the task has ended. */
  function crashWhileTaskRuns(): string {
    const id = home.ok(["run", "--", "sleep", "0.3"]);
    waitFor(() => JSON.parse(home.ok(["show", id, "--json"])).pid !== null);
    const supervisor = JSON.parse(home.ok(["daemon", "status", "--json"])).pid as number;
    process.kill(supervisor, "SIGKILL");
    waitFor(() =>
      !existsSync(`/proc/${supervisor}`) ||
      /State:\s+Z/.test(readFileSync(`/proc/${supervisor}/status`, "utf8"))
    );
    // The waiter makes its status file, "<attempt> <exit code>", when the command ends.
    const status = join(home.dir, "home", "logs", id, "status");
    waitFor(() => existsSync(status) && /^1 0\n$/.test(readFileSync(status, "utf8")));
    return id;
  }

  test("ls --json after kill -9 shows a task that ended meanwhile as succeeded, exit 0", () => {
    const id = crashWhileTaskRuns();
    const listed = JSON.parse(home.ok(["ls", "--json"])).find(
      (task: { id: number }) => task.id === Number(id),
    );
    assert.equal(listed.status, "succeeded");
    assert.equal(listed.exitCode, 0);
  });

  test("show --json after kill -9 shows a task that ended meanwhile as succeeded, exit 0", () => {
    const before = home.supervisorPids().length;
    const id = crashWhileTaskRuns();
    const shown = JSON.parse(home.ok(["show", id, "--json"]));
    assert.equal(shown.status, "succeeded");
    assert.equal(shown.exitCode, 0);
    assert.equal(shown.attempt, 1, "re-adopted, not run again");
    assert.equal(home.supervisorPids().length, before + 1, "show started a supervisor");
  });

  test("logs -f after kill -9 ends with the task's real end instead of waiting on it", () => {
    const id = crashWhileTaskRuns();
    const followed = home.bgt(["logs", "-f", id]);
    assert.equal(followed.code, 0, followed.stderr);
    assert.match(followed.stderr, new RegExp(`^task ${id} succeeded$`, "m"));
  });
});
