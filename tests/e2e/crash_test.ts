/**
 * DESIGN §5: a supervisor killed with SIGKILL loses no byte a task wrote, and the next command
 * starts a new supervisor that re-adopts the task and records its end.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { liveProcessesInGroup, TempHome, waitFor } from "../_helpers/bgt_home.ts";

describe("supervisor crash", () => {
  let home: TempHome;
  before(() => (home = TempHome.create()));
  after(() => home.cleanup());

  test("kill -9 of the supervisor while a task prints loses no output; the task is re-adopted", () => {
    const id = home.ok([
      "run",
      "--",
      "sh",
      "-c",
      "i=0; while [ $i -lt 30 ]; do i=$((i+1)); echo line $i; sleep 0.05; done",
    ]);
    waitFor(() => home.ok(["logs", id]).split("\n").length >= 5);
    const [first] = home.supervisorPids();
    process.kill(first, "SIGKILL");
    const before = home.ok(["logs", id]);
    // The next command starts a new supervisor, which re-adopts the running task.
    const waited = home.bgt(["wait", id]);
    assert.equal(waited.code, 0, waited.stderr);
    const pids = home.supervisorPids();
    assert.equal(pids.length, 2, "a second supervisor started");
    assert.notEqual(pids[1], first);
    const output = home.ok(["logs", id]);
    assert.ok(output.startsWith(before), "nothing written before the crash is missing");
    assert.deepEqual(output.split("\n"), Array.from({ length: 30 }, (_, i) => `line ${i + 1}`));
    const shown = JSON.parse(home.ok(["show", id, "--json"]));
    assert.equal(shown.status, "succeeded");
    assert.equal(shown.exitCode, 0);
    assert.equal(shown.attempt, 1, "re-adopted, not run again");
  });

  test("a task whose process died with its supervisor is recorded as lost", () => {
    const id = home.ok(["run", "--", "sleep", "30"]);
    waitFor(() => JSON.parse(home.ok(["show", id, "--json"])).pid !== null);
    const pid = JSON.parse(home.ok(["show", id, "--json"])).pid;
    const pids = home.supervisorPids();
    process.kill(pids.at(-1)!, "SIGKILL");
    // Kill the waiter and the task too: nothing is left to report the end.
    home.killTaskProcesses(Number(id));
    // SIGKILL is delivered asynchronously: wait until the group is gone.
    waitFor(() => liveProcessesInGroup(pid).length === 0, 5_000);
    const waited = home.bgt(["wait", id]);
    assert.notEqual(waited.code, 0);
    const shown = JSON.parse(home.ok(["show", id, "--json"]));
    assert.equal(shown.status, "lost");
    assert.match(shown.error.message, /supervisor that ran this task died/);
  });
});

describe("supervisor crash after a kill or a pause (issue 13: intent and paused time stored)", () => {
  let home: TempHome;
  before(() => (home = TempHome.create()));
  after(() => home.cleanup());

  test("a task killed just before kill -9 of the supervisor is recorded canceled, not failed", () => {
    const release = `${home.work}/release`;
    // Ignores SIGTERM, and exits 1 on its own once released.
    const id = home.ok([
      "run",
      "--",
      "sh",
      "-c",
      `trap '' TERM; while [ ! -e ${release} ]; do sleep 0.05; done; exit 1`,
    ]);
    waitFor(() => JSON.parse(home.ok(["show", id, "--json"])).pid !== null);
    home.ok(["kill", id]); // SIGTERM, ignored: the task runs on
    const [first] = home.supervisorPids();
    process.kill(first, "SIGKILL"); // before the grace's SIGKILL
    home.ok(["ls"]); // a new supervisor re-adopts the task
    writeFileSync(release, "");
    home.bgt(["wait", id]);
    const shown = JSON.parse(home.ok(["show", id, "--json"]));
    assert.equal(shown.status, "canceled", "the kill's intent outlived the supervisor");
    assert.equal(shown.attempt, 1);
  });

  test("a paused task's pause does not count against its timeout after a supervisor crash", () => {
    // About 1.5 s of running (a stopped loop does not go round), within a 3 s timeout.
    const loop = "i=0; while [ $i -lt 15 ]; do sleep 0.1; i=$((i+1)); done";
    const id = home.ok(["run", "--timeout", "3", "--", "sh", "-c", loop]);
    waitFor(() => JSON.parse(home.ok(["show", id, "--json"])).pid !== null);
    home.ok(["pause", id]);
    // Paused longer than the timeout is long, then the supervisor dies.
    const pausedUntil = Date.now() + 3_200;
    waitFor(() => Date.now() >= pausedUntil, 10_000);
    process.kill(home.supervisorPids().at(-1)!, "SIGKILL");
    home.ok(["resume", id]); // a new supervisor adopts it, paused, and resumes it
    assert.equal(home.bgt(["wait", id]).code, 0, "it had time left: it succeeded");
    assert.equal(JSON.parse(home.ok(["show", id, "--json"])).status, "succeeded");
  });
});
