/**
 * Process faults found by the reliability suites, kept as regressions:
 *
 * 1. `bgt kill` of a command whose grandchild ignores SIGTERM: the command dies of the SIGTERM
 *    and its end is recorded, and the SIGKILL after the grace still reaches the whole group.
 * 2. A module task that allocates until the kernel kills it fails alone, whether it runs in a
 *    worker host process (the default) or `--isolate`d (its own process): the supervisor and
 *    the task beside it live on, and the next module task runs.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { BGT, liveProcessesInGroup, TempHome, waitFor } from "../_helpers/bgt_home.ts";
import { isAlive } from "../../src/runtime/process.ts";
import { skipWithReason } from "../_helpers/skip.ts";

describe("process faults: grace kill and a memory hog", () => {
  let home: TempHome;
  before(() => {
    home = TempHome.create();
    writeFileSync(
      join(home.work, "hog.ts"),
      "export default () => { const keep: Uint8Array[] = []; for (;;) { const b = new Uint8Array(8 << 20); b.fill(1); keep.push(b); } };\n",
    );
    writeFileSync(
      join(home.work, "slow.ts"),
      "export default async () => { await new Promise((r) => setTimeout(r, 3000)); return 'slow'; };\n",
    );
  });
  after(() => home.cleanup());

  test("bgt kill also ends a grandchild that ignores SIGTERM (SIGKILL after the grace)", () => {
    const id = home.ok([
      "run",
      "--",
      "sh",
      "-c",
      '(trap "" TERM; exec sleep 300) & sleep 300 & echo ready; wait',
    ]);
    waitFor(() => home.ok(["logs", id]) === "ready");
    const group = JSON.parse(home.ok(["show", id, "--json"])).pid;
    home.ok(["kill", id]);
    home.bgt(["wait", id]);
    waitFor(() => liveProcessesInGroup(group).length === 0, 10_000);
  });

  test("a module task that allocates until it dies fails alone, in a worker host or --isolate'd (768 MiB cgroup)", (t) => {
    const cgroup = `/sys/fs/cgroup/memory/bgt-reliability-${process.pid}`;
    try {
      mkdirSync(cgroup);
      writeFileSync(join(cgroup, "memory.limit_in_bytes"), String(768 * 1024 * 1024));
    } catch (error) {
      const reason = `no cgroup v1 memory controller to bound the test: ${
        (error as Error).message
      }`;
      return skipWithReason(t, reason);
    }
    try {
      // Start the supervisor inside the cgroup, so that the machine is safe from the hog (and
      // stop the one an earlier test started outside it).
      home.bgt(["daemon", "stop"]);
      const log = openSync(join(home.dir, "home", "supervisor.log"), "a");
      const child = spawn("sh", [
        "-c",
        `echo $$ > ${cgroup}/cgroup.procs; exec "$0" supervise`,
        BGT,
      ], {
        cwd: home.work,
        env: home.env({ BGT_PARALLEL: "2" }),
        detached: true,
        stdio: ["ignore", log, log],
      });
      child.unref();
      waitFor(() => home.bgt(["daemon", "status"]).code === 0);
      const supervisor = JSON.parse(home.ok(["daemon", "status", "--json"])).pid;
      assert.match(
        readFileSync(`/proc/${supervisor}/cgroup`, "utf8"),
        new RegExp(`bgt-reliability-${process.pid}`),
        "the supervisor runs inside the memory-bounded cgroup",
      );
      // A module task runs in a worker host process: the hog takes its host down, and only
      // its host; the task beside it and the supervisor live on, and the next task gets a
      // new host.
      const beside = home.ok(["run", "slow.ts"]);
      const hog = home.ok(["run", "hog.ts"]);
      home.bgt(["wait", hog], { timeoutMs: 60_000 });
      const hogged = JSON.parse(home.ok(["show", hog, "--json"]));
      assert.equal(hogged.status, "failed");
      assert.equal(hogged.signal, "SIGKILL", JSON.stringify(hogged));
      assert.match(hogged.error.message, /worker process running this task was killed by SIGKILL/);
      assert.match(home.ok(["logs", hog, "--stream", "stderr"]), /killed by SIGKILL/);
      assert.ok(isAlive(supervisor), "the supervisor survived the hog in a worker host");
      assert.equal(home.bgt(["wait", beside]).code, 0, "the module task beside it finished");
      const next = home.ok(["run", "slow.ts"]);
      assert.equal(home.bgt(["wait", next]).code, 0, "the next module task ran on a new host");

      // --isolate: the hog's own process is killed (exit code 128 + 9, from its waiter).
      const isolated = home.ok(["run", "--isolate", "hog.ts"]);
      home.bgt(["wait", isolated], { timeoutMs: 60_000 });
      const task = JSON.parse(home.ok(["show", isolated, "--json"]));
      assert.equal(task.status, "failed");
      assert.equal(task.exitCode, 137, JSON.stringify(task));
      assert.ok(isAlive(supervisor), "the supervisor survived the isolated hog");
    } finally {
      home.bgt(["daemon", "stop"]);
      spawnSync("sh", ["-c", `for p in $(cat ${cgroup}/cgroup.procs); do kill -9 $p; done`]);
      for (let i = 0; i < 50 && existsSync(cgroup); i++) {
        try {
          rmdirSync(cgroup);
        } catch {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
        }
      }
    }
  });
});
