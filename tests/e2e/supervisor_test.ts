/**
 * The supervisor's lifecycle through the binary: auto-start races, graceful stop with running
 * commands re-adopted, restart, and following output.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { BGT, liveProcessesInGroup, TempHome, waitFor } from "../_helpers/bgt_home.ts";

describe("supervisor lifecycle", () => {
  let home: TempHome;
  before(() => (home = TempHome.create()));
  after(() => home.cleanup());

  test("ten clients submitting at once into a fresh home start exactly one supervisor", async () => {
    const runs = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        new Promise<{ code: number; out: string }>((resolve) => {
          const child = spawn(BGT, ["run", "--", "echo", String(i)], {
            env: home.env(),
            cwd: home.work,
          });
          let out = "";
          child.stdout.on("data", (chunk) => (out += chunk));
          child.on("exit", (code) => resolve({ code: code ?? 1, out: out.trim() }));
        })),
    );
    assert.deepEqual(runs.map((run) => run.code), Array(10).fill(0));
    const ids = runs.map((run) => run.out);
    assert.equal(new Set(ids).size, 10, "ten distinct ids");
    assert.equal(home.bgt(["wait", ...ids]).code, 0);
    const live = home.supervisorPids().filter((pid) => liveProcessesInGroup(pid).length > 0);
    assert.equal(live.length, 1, "one supervisor lives");
  });

  test("daemon stop leaves a running command alone; the next supervisor re-adopts it", () => {
    const id = home.ok(["run", "--", "sh", "-c", "sleep 1; echo done"]);
    waitFor(() => JSON.parse(home.ok(["show", id, "--json"])).pid !== null);
    const pid = JSON.parse(home.ok(["show", id, "--json"])).pid;
    assert.equal(home.ok(["daemon", "stop"]), "supervisor stopped");
    assert.equal(JSON.parse(home.bgt(["daemon", "status", "--json"]).stdout).up, false);
    assert.ok(liveProcessesInGroup(pid).length > 0, "the command still runs");
    assert.equal(home.bgt(["wait", id]).code, 0);
    assert.equal(home.ok(["logs", id]), "done");
    assert.equal(JSON.parse(home.ok(["show", id, "--json"])).attempt, 1);
  });

  test("daemon restart gives a new supervisor", () => {
    home.ok(["daemon", "start"]);
    const before = JSON.parse(home.ok(["daemon", "status", "--json"])).pid;
    home.ok(["daemon", "restart"]);
    const after = JSON.parse(home.ok(["daemon", "status", "--json"])).pid;
    assert.notEqual(after, before);
  });

  test("logs -f prints output as it is written and ends when the task ends", () => {
    const id = home.ok(["run", "--", "sh", "-c", "echo a; sleep 0.3; echo b; sleep 0.3; echo c"]);
    const followed = home.bgt(["logs", "-f", id]);
    assert.equal(followed.code, 0);
    assert.equal(followed.stdout, "a\nb\nc\n");
  });

  test("after daemon stop, the next run starts a supervisor again", () => {
    home.ok(["daemon", "stop"]);
    const id = home.ok(["run", "--", "echo", "later"]);
    assert.equal(home.bgt(["wait", id]).code, 0);
    assert.equal(home.ok(["logs", id]), "later");
  });
});
