/**
 * Resource faults found by the reliability suites, kept as regressions:
 *
 * 1. With its log directory removed while it runs, a command's end is still recorded with its
 *    own exit code (the waiter exits with it even when it cannot write its status file).
 * 2. A task that ends while the disk is full is recorded once there is room again: the
 *    supervisor keeps the outcome and retries recording it (with backoff), and `bgt wait`
 *    returns.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { TempHome, waitFor } from "../_helpers/bgt_home.ts";
import { skipWithReason } from "../_helpers/skip.ts";

describe("resource faults: recording ends despite missing logs or a full disk", () => {
  let home: TempHome;
  const mounts: string[] = [];
  before(() => (home = TempHome.create()));
  after(() => {
    for (const dir of mounts) {
      home.bgt(["daemon", "stop"], { env: { BGT_HOME: join(dir, "home") } });
      spawnSync("umount", ["-l", dir]);
    }
    home.cleanup();
  });

  test("a command whose logs were removed while it ran keeps its exit code 0 as succeeded", () => {
    const id = home.ok(["run", "--", "sh", "-c", "sleep 0.5; exit 0"]);
    waitFor(() => JSON.parse(home.ok(["show", id, "--json"])).status === "running");
    rmSync(join(home.dir, "home", "logs"), { recursive: true, force: true });
    home.bgt(["wait", id]);
    const task = JSON.parse(home.ok(["show", id, "--json"]));
    assert.equal(task.exitCode, 0);
    assert.equal(task.status, "succeeded", `recorded ${task.status} with error ${task.error}`);
  });

  test("a task that ends while the disk is full is recorded once there is room again", (t) => {
    const dir = join(home.dir, "small");
    mkdirSync(dir);
    if (spawnSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir]).status !== 0) {
      return skipWithReason(t, "cannot mount a tmpfs here");
    }
    mounts.push(dir);
    const env = { BGT_HOME: join(dir, "home") };
    const id = home.bgt(["run", "--", "sh", "-c", "head -c 3000000 /dev/zero"], { env }).stdout
      .trim();
    // The task fills the disk and ends while nothing can be written.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2_000);
    rmSync(join(dir, "home", "logs", id, "stdout"), { force: true });
    const waited = home.bgt(["wait", id], { env, timeoutMs: 15_000 });
    assert.notEqual(waited.code, 128, "bgt wait returned");
    const task = JSON.parse(home.bgt(["show", id, "--json"], { env }).stdout);
    assert.ok(["failed", "lost"].includes(task.status), task.status);
  });
});
