/**
 * Hardening of issue 19, the processes a task leaves:
 *
 * 4. The children a module task spawns end with it: `bgt kill`, `--timeout` and `daemon stop`
 *    signal its worker host's whole process group, so none of N `sleep 1000` children lives on,
 *    reparented to init. The children are found by a marker in their argv (`exec -a`), and the
 *    cleanup kills whatever a failing test left.
 * 10. A task's finishedAt is when it ended, not when the supervisor noticed: a `sleep 1` that
 *    ends while the supervisor is stopped (SIGSTOP) is recorded about 1 s long, not as long as
 *    the stop (its waiter's status file tells when it ended).
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { TempHome, waitFor } from "../_helpers/bgt_home.ts";

/** How many children each task spawns. */
const CHILDREN = 5;

/** Pids of live (not zombie) processes whose argv[0] is `marker`. */
function markedPids(marker: string): number[] {
  return readdirSync("/proc").filter((name) => /^\d+$/.test(name)).filter((pid) => {
    try {
      const argv0 = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0];
      if (argv0 !== marker) return false;
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
    } catch {
      return false;
    }
  }).map(Number);
}

function killMarked(marker: string): void {
  for (const pid of markedPids(marker)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch { /* gone meanwhile */ }
  }
}

describe("hardening: the children of a module task end with it", () => {
  let home: TempHome;
  const markers: string[] = [];
  before(() => {
    home = TempHome.create();
  });
  after(() => {
    for (const marker of markers) killMarked(marker);
    home.cleanup();
  });

  /** Writes a module that spawns CHILDREN marked `sleep 1000`s and never ends; returns its marker. */
  function spawner(name: string): string {
    const marker = `bgt-h19-${name}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    markers.push(marker);
    writeFileSync(
      join(home.work, `${name}.ts`),
      `import { spawn } from "node:child_process";
export default async () => {
  for (let i = 0; i < ${CHILDREN}; i++) {
    spawn("bash", ["-c", 'exec -a "$0" sleep 1000', ${
        JSON.stringify(marker)
      }], { stdio: "ignore" });
  }
  await new Promise((resolve) => setTimeout(resolve, 1e9));
};
`,
    );
    return marker;
  }

  test("bgt kill of a module task ends the children it spawned", () => {
    const marker = spawner("killed");
    const id = home.ok(["run", "killed.ts"]);
    waitFor(() => markedPids(marker).length === CHILDREN, 30_000);
    home.ok(["kill", id]);
    home.bgt(["wait", id]);
    waitFor(() => markedPids(marker).length === 0, 15_000);
  });

  test("--timeout of a module task ends the children it spawned", () => {
    const marker = spawner("timed");
    const id = home.ok(["run", "--timeout", "3s", "timed.ts"]);
    waitFor(() => markedPids(marker).length === CHILDREN, 30_000);
    home.bgt(["wait", id]);
    const task = JSON.parse(home.ok(["show", id, "--json"]));
    assert.notEqual(task.status, "running");
    waitFor(() => markedPids(marker).length === 0, 15_000);
  });

  test("bgt daemon stop ends the children of the module task it ends", () => {
    const marker = spawner("stopped");
    home.ok(["run", "stopped.ts"]);
    waitFor(() => markedPids(marker).length === CHILDREN, 30_000);
    const stop = home.bgt(["daemon", "stop", "--timeout", "1s"]);
    assert.equal(stop.code, 0, stop.stderr);
    waitFor(() => markedPids(marker).length === 0, 15_000);
  });
});

describe("hardening: a task's end is when it ended", () => {
  let home: TempHome;
  before(() => {
    home = TempHome.create();
  });
  after(() => home.cleanup());

  test("a task that ends while the supervisor is stopped keeps its own end as finishedAt", () => {
    /** How long the supervisor stays stopped after the task has ended. */
    const STOP_MS = 4000;
    const id = home.ok(["run", "--", "sleep", "1"]);
    const status = join(home.dir, "home", "logs", id, "status");
    waitFor(() => JSON.parse(home.ok(["show", id, "--json"])).status === "running", 30_000);
    const supervisors = home.supervisorPids().filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    assert.equal(supervisors.length, 1);
    const [supervisor] = supervisors;
    process.kill(supervisor, "SIGSTOP");
    try {
      waitFor(() => existsSync(status), 30_000); // the task ended, unseen
      // The stop itself is what is measured: nothing to await but its length.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, STOP_MS);
    } finally {
      process.kill(supervisor, "SIGCONT");
    }
    home.bgt(["wait", id]);
    const task = JSON.parse(home.ok(["show", id, "--json"]));
    assert.equal(task.status, "succeeded");
    const recordedMs = Date.parse(task.finishedAt) - Date.parse(task.startedAt);
    assert.ok(
      recordedMs < STOP_MS,
      `recorded ${recordedMs} ms for a 1 s task (stopped ${STOP_MS} ms)`,
    );
  });
});
