/**
 * Issue 6, part 4: resource faults. A home that cannot be written (a read-only file system, which
 * stops root too), the log directory removed while tasks run, and a full disk (a 1 MiB tmpfs):
 * each gives a clear one-line error or a task that ends, never a dead supervisor or a corrupt
 * table. The mounts need root (or CAP_SYS_ADMIN); elsewhere those cases skip with the reason.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { TempHome, waitFor } from "../_helpers/bgt_home.ts";
import {
  assertOneLineError,
  countRows,
  integrityCheck,
  isAlive,
  liveSupervisor,
  report,
} from "./_reliability.ts";
import { skipWithReason } from "../_helpers/skip.ts";

/** Mounts a tmpfs at `dir`; returns undefined, or why it cannot. */
function mountTmpfs(dir: string, options: string): string | undefined {
  mkdirSync(dir, { recursive: true });
  const result = spawnSync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", dir], {
    encoding: "utf8",
  });
  return result.status === 0 ? undefined : `mount -t tmpfs failed: ${result.stderr.trim()}`;
}

/** Kills what a home outside the TempHome started: its supervisors and task process groups. */
function killHome(dir: string): void {
  const pids: number[] = [];
  try {
    const log = readFileSync(join(dir, "supervisor.log"), "utf8");
    pids.push(...[...log.matchAll(/started pid (\d+)/g)].map((m) => Number(m[1])));
  } catch { /* never started */ }
  try {
    for (const id of readdirSync(join(dir, "logs"))) {
      try {
        pids.push(-JSON.parse(readFileSync(join(dir, "logs", id, "pid"), "utf8")).pid);
      } catch { /* no process recorded */ }
    }
  } catch { /* no logs */ }
  for (const pid of pids) {
    try {
      // A supervisor pid is killed only while it is still bgt (pids are reused).
      if (pid > 0 && !readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("bgt")) continue;
      process.kill(pid, "SIGKILL");
    } catch { /* gone */ }
  }
}

/** Unmounts `dir`, lazily as a last resort: a test never leaves a mount behind. */
function umount(dir: string): void {
  for (let i = 0; i < 20; i++) {
    if (spawnSync("umount", [dir]).status === 0) return;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
  }
  spawnSync("umount", ["-l", dir]);
}

/** Stops the home's supervisor and waits until its process (which holds files open) has gone. */
function stopAndWait(home: TempHome, env: Record<string, string>): void {
  const status = JSON.parse(home.bgt(["daemon", "status", "--json"], { env }).stdout || "{}");
  home.bgt(["daemon", "stop"], { env });
  if (status.pid) waitFor(() => !isAlive(status.pid));
}

describe("resource faults", () => {
  let home: TempHome;
  const mounts: string[] = [];
  const figures: Record<string, unknown> = {};
  before(() => {
    home = TempHome.create();
    writeFileSync(
      join(home.work, "count.ts"),
      "export default async (n = 10) => { for (let i = 1; i <= n; i++) { console.log(`m${i}`); await new Promise((r) => setTimeout(r, 50)); } return n; };\n",
    );
  });
  after(() => {
    for (const dir of mounts) {
      home.bgt(["daemon", "stop"], { env: { BGT_HOME: join(dir, "home") } });
      killHome(join(dir, "home"));
      umount(dir);
    }
    home.cleanup();
  });

  test("a home on a read-only file system gets one clear error, also as root", (t) => {
    const dir = join(home.dir, "ro");
    const why = mountTmpfs(dir, "ro,size=1m");
    if (why) {
      return skipWithReason(t, why);
    }
    mounts.push(dir);
    const result = home.bgt(["run", "--", "true"], { env: { BGT_HOME: join(dir, "home") } });
    assert.notEqual(result.code, 0);
    assert.equal(assertOneLineError(result.stderr), undefined);
    assert.match(result.stderr, /Cannot use BGT_HOME .*ro\/home: EROFS/);
  });

  test("an existing home made read-only refuses new tasks in one line and loses nothing", async (t) => {
    const dir = join(home.dir, "remount");
    const why = mountTmpfs(dir, "size=8m");
    if (why) {
      return skipWithReason(t, why);
    }
    mounts.push(dir);
    const env = { BGT_HOME: join(dir, "home") };
    const id = home.bgt(["run", "--", "echo", "before"], { env }).stdout.trim();
    assert.equal(home.bgt(["wait", id], { env }).code, 0);
    stopAndWait(home, env);
    const db = join(dir, "home", "bgt.db");
    const rows = await countRows(db);
    assert.equal(spawnSync("mount", ["-o", "remount,ro", dir]).status, 0, "remount read-only");
    try {
      const refused = home.bgt(["run", "--", "true"], { env });
      assert.notEqual(refused.code, 0);
      assert.equal(assertOneLineError(refused.stderr), undefined);
      assert.match(refused.stderr, /EROFS|read-only|readonly/i);
      figures.readOnlyHomeError = refused.stderr.trim();
    } finally {
      spawnSync("mount", ["-o", "remount,rw", dir]);
    }
    assert.equal(await countRows(db), rows, "no row was written");
    assert.equal(await integrityCheck(db), "ok");
    const again = home.bgt(["run", "--", "echo", "after"], { env }).stdout.trim();
    assert.equal(home.bgt(["wait", again], { env }).code, 0);
    assert.equal(home.bgt(["logs", again], { env }).stdout, "after\n");
    home.bgt(["daemon", "stop"], { env });
  });

  test("the log directory removed while tasks run: tasks end, the supervisor goes on", async () => {
    home.ok(["daemon", "start"]);
    const supervisor = liveSupervisor(home);
    const ids = [
      home.ok([
        "run",
        "--",
        "sh",
        "-c",
        "for i in 1 2 3 4 5 6 7 8 9 10; do echo $i; sleep 0.1; done",
      ]),
      home.ok(["run", "--", "sh", "-c", "sleep 0.5; exit 3"]),
      home.ok(["run", "count.ts", "10"]),
    ];
    waitFor(() =>
      home.ok(["ls", "--status", "running", "--json"]).includes(`"id": ${ids[0]}`) ||
      home.ok(["ls", "--status", "running", "--json"]).includes(`"id":${ids[0]}`)
    );
    rmSync(join(home.dir, "home", "logs"), { recursive: true, force: true });
    const waited = home.bgt(["wait", ...ids], { timeoutMs: 30_000 });
    assert.notEqual(waited.code, 128, "wait returned (did not hang)");
    const tasks = ids.map((id) => JSON.parse(home.ok(["show", id, "--json"])));
    for (const task of tasks) {
      assert.ok(
        ["succeeded", "failed", "lost", "canceled"].includes(task.status),
        `task ${task.id} ended: ${task.status}`,
      );
    }
    assert.equal(tasks[2].status, "succeeded", "the module task ran on");
    figures.logsRemoved = tasks.map((task) => `${task.id}:${task.status}/${task.exitCode}`);
    assert.ok(supervisor !== undefined && isAlive(supervisor), "the supervisor lives");
    const next = [home.ok(["run", "--", "echo", "fine"]), home.ok(["run", "count.ts", "2"])];
    assert.equal(home.bgt(["wait", ...next]).code, 0);
    assert.equal(home.ok(["logs", next[0]]), "fine");
    assert.equal(home.ok(["logs", next[1]]), "m1\nm2");
    assert.equal(await integrityCheck(join(home.dir, "home", "bgt.db")), "ok");
  });

  test("a full disk gives one-line errors; the supervisor lives and the table stays sound", async (t) => {
    const dir = join(home.dir, "small");
    const why = mountTmpfs(dir, "size=1m");
    if (why) {
      return skipWithReason(t, why);
    }
    mounts.push(dir);
    const env = { BGT_HOME: join(dir, "home") };
    const first = home.bgt(["run", "--", "true"], { env }).stdout.trim();
    assert.equal(home.bgt(["wait", first], { env }).code, 0);
    const supervisor = JSON.parse(home.bgt(["daemon", "status", "--json"], { env }).stdout).pid;
    // Fill the disk from outside, then ask for more.
    spawnSync("sh", ["-c", `head -c 4000000 /dev/zero > ${join(dir, "filler")}`]);
    const refused = home.bgt(["run", "--", "true"], { env });
    assert.notEqual(refused.code, 0);
    assert.equal(assertOneLineError(refused.stderr), undefined);
    assert.match(refused.stderr, /full|ENOSPC|space/i);
    figures.diskFullError = refused.stderr.trim();
    for (const words of [["ls"], ["show", first], ["daemon", "status"]]) {
      const read = home.bgt(words, { env });
      if (read.code !== 0) {
        assert.equal(assertOneLineError(read.stderr), undefined, words.join(" "));
      }
    }
    assert.ok(isAlive(supervisor), "the supervisor lives on a full disk");
    rmSync(join(dir, "filler"));
    assert.equal(await integrityCheck(join(dir, "home", "bgt.db")), "ok");
    const after = home.bgt(["run", "--", "echo", "room again"], { env }).stdout.trim();
    assert.equal(home.bgt(["wait", after], { env, timeoutMs: 20_000 }).code, 0);
    assert.equal(home.bgt(["logs", after], { env }).stdout, "room again\n");
    assert.ok(isAlive(supervisor), "the same supervisor");
    home.bgt(["daemon", "stop"], { env });
    report("resource faults", figures);
  });
});
