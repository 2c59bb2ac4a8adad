/**
 * End-to-end: commands that take several ids act on each one they can and name each one they
 * cannot (issue 12, item 10), the bulk selectors `-g GROUP`, `--all`, `--failed` and a bare
 * `wait`, and `last` as an id (item 11).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { BGT, type CliResult, TempHome, waitFor } from "../_helpers/bgt_home.ts";

describe("per-id and bulk control", () => {
  let home: TempHome;
  const ok = (words: string[]) => home.ok(words);
  const show = (id: string) => JSON.parse(ok(["show", id, "--json"]));
  const status = (id: string) => show(id).status;
  const exists = (id: string) => home.bgt(["show", id]).code === 0;
  const warnings = (result: CliResult) => result.stderr.split("\n").filter(Boolean);
  /** A task that runs until killed, started and seen running. */
  const running = (group = "default") => {
    const id = ok(["run", "-g", group, "--", "sleep", "60"]);
    waitFor(() => status(id) === "running");
    return id;
  };
  /** A task that has finished with this exit code. */
  const finished = (code = 0, group = "default") => {
    const id = ok(["run", "-g", group, "--", "sh", "-c", `exit ${code}`]);
    home.bgt(["wait", id]);
    return id;
  };
  /** Runs bgt without blocking this process (to race two calls). */
  const bgtAsync = (words: string[]) => {
    const child = spawn(BGT, words, { env: home.env(), cwd: home.work });
    const done = new Promise<CliResult>((resolve) => {
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk) => (stdout += chunk));
      child.stderr.on("data", (chunk) => (stderr += chunk));
      child.on("close", (code) => resolve({ code: code ?? 128, stdout, stderr }));
    });
    return { child, done };
  };

  before(() => {
    home = TempHome.create();
    // Enough room that a test's tasks all run at once, whatever the machine's cores.
    ok(["daemon", "stop"]);
    home.bgt(["daemon", "start"], { env: { BGT_PARALLEL: "8" } });
  });
  after(() => {
    home.bgt(["daemon", "stop", "--now"]);
    home.cleanup();
  });

  test("kill <finished> <running> ends the running one; the finished one is one warning, exit 0", () => {
    const done = finished();
    const live = running();
    const result = home.bgt(["kill", done, live]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(warnings(result), [
      `bgt: Cannot kill task ${done}: it has already ended (succeeded)`,
    ]);
    home.bgt(["wait", live]);
    assert.equal(status(live), "canceled");
    assert.equal(status(done), "succeeded");
  });

  test("kill of an unknown id acts on the others, names it and exits non-zero", () => {
    const live = running();
    const result = home.bgt(["kill", "999999", live]);
    assert.equal(result.code, 1);
    assert.deepEqual(warnings(result), ["bgt: Cannot find task 999999: no such id (see 'bgt ls')"]);
    home.bgt(["wait", live]);
    assert.equal(status(live), "canceled");
  });

  test("pause and resume act on each id: already in that state is a warning, not running an error", () => {
    const a = running();
    const b = running();
    const done = finished();
    ok(["pause", a]);
    const paused = home.bgt(["pause", a, b]);
    assert.equal(paused.code, 0, paused.stderr);
    assert.deepEqual(warnings(paused), [`bgt: Cannot pause task ${a}: it is already paused`]);
    assert.equal(status(b), "paused");
    const resumed = home.bgt(["resume", done, a, b]);
    assert.equal(resumed.code, 1);
    assert.deepEqual(warnings(resumed), [
      `bgt: Cannot resume task ${done}: it is succeeded, not running`,
    ]);
    assert.equal(status(a), "running");
    assert.equal(status(b), "running");
    ok(["kill", a, b]);
    home.bgt(["wait", a, b]);
  });

  test("restart of several restarts each one: a finished one at once, a running one after a kill", () => {
    const failed = finished(3);
    const live = running();
    const result = home.bgt(["restart", failed, live, "999999"]);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, `${failed} attempt 2\n${live} attempt 2\n`);
    assert.deepEqual(warnings(result), ["bgt: Cannot find task 999999: no such id (see 'bgt ls')"]);
    home.bgt(["wait", failed]);
    assert.equal(show(failed).attempt, 2);
    assert.equal(show(live).attempt, 2);
    ok(["kill", live]);
    home.bgt(["wait", live]);
  });

  test("rm removes each id it can and names the running and the unknown ones, exit 1", () => {
    const done = finished();
    const live = running();
    const result = home.bgt(["rm", done, live, "999999"]);
    assert.equal(result.code, 1);
    assert.deepEqual(warnings(result), [
      `bgt: Cannot remove task ${live}: it is running; kill it first or use --force`,
      "bgt: Cannot find task 999999: no such id (see 'bgt ls')",
    ]);
    assert.ok(!exists(done), "the finished task is removed");
    assert.ok(exists(live), "the running task stays");
    ok(["rm", "--force", live]);
    assert.ok(!exists(live));
  });

  test("rm racing the start of its tasks removes them or names them running, never neither", async () => {
    // The group's tasks start the moment it is resumed, while rm deletes them: whatever the
    // order, each task is gone, or it stays and rm names it (and exits non-zero).
    for (let round = 0; round < 25; round++) {
      ok(["group", "pause", "race"]);
      const ids = Array.from({ length: 4 }, () => ok(["run", "-g", "race", "--", "sleep", "60"]));
      const [, removed] = await Promise.all([
        bgtAsync(["group", "resume", "race"]).done,
        bgtAsync(["rm", ...ids]).done,
      ]);
      const named = [...removed.stderr.matchAll(/Cannot remove task (\d+): it is running/g)]
        .map((match) => match[1]);
      const kept = ids.filter(exists);
      assert.deepEqual(kept, named, `round ${round}: ${removed.stderr}`);
      assert.equal(removed.code, kept.length ? 1 : 0, `round ${round}`);
      if (kept.length) ok(["rm", "--force", ...kept]);
    }
  });

  test("kill -g G ends the group's tasks, running and waiting; other groups go on", () => {
    ok(["group", "set", "kg", "--parallel", "1"]);
    const first = running("kg");
    const waiting = ok(["run", "-g", "kg", "--", "sleep", "60"]);
    const other = running("other");
    const result = home.bgt(["kill", "-g", "kg"]);
    assert.equal(result.code, 0, result.stderr);
    home.bgt(["wait", first, waiting]);
    assert.equal(status(first), "canceled");
    assert.equal(status(waiting), "canceled");
    assert.equal(show(waiting).attempt, 0, "the waiting task never started");
    assert.equal(status(other), "running");
    assert.match(home.bgt(["kill", "-g", "kg"]).stderr, /no unfinished tasks in group kg/);
    ok(["kill", other]);
    home.bgt(["wait", other]);
  });

  test("kill --all ends every unfinished task", () => {
    const ids = [running("a1"), running("a2")];
    ok(["kill", "--all"]);
    home.bgt(["wait", ...ids]);
    assert.deepEqual(ids.map(status), ["canceled", "canceled"]);
    assert.equal(ok(["ls", "-q", "-s", "running,paused,queued"]), "");
  });

  test("pause -g G pauses the group and its running tasks; resume -g G continues both", () => {
    const live = running("pg");
    ok(["pause", "-g", "pg"]);
    assert.equal(status(live), "paused");
    const later = ok(["run", "-g", "pg", "--", "true"]);
    assert.match(show(later).waiting ?? "", /paused/, "the paused group starts nothing");
    ok(["resume", "-g", "pg"]);
    assert.equal(status(live), "running");
    assert.equal(home.bgt(["wait", later]).code, 0);
    ok(["kill", live]);
    home.bgt(["wait", live]);
  });

  test("pause --all and resume --all act on every running task", () => {
    const ids = [running("p1"), running("p2")];
    ok(["pause", "--all"]);
    assert.deepEqual(ids.map(status), ["paused", "paused"]);
    ok(["resume", "--all"]);
    assert.deepEqual(ids.map(status), ["running", "running"]);
    ok(["kill", ...ids]);
    home.bgt(["wait", ...ids]);
  });

  test("wait with no ids waits for every unfinished task; wait -g G for the group's only", async () => {
    const flag = join(home.work, "go");
    const gated = (group: string) =>
      ok(["run", "-g", group, "--", "sh", "-c", `while [ ! -e ${flag} ]; do sleep 0.02; done`]);
    const mine = gated("w1");
    const theirs = ok(["run", "-g", "w2", "--", "sh", "-c", "exit 4"]);
    home.bgt(["wait", theirs]);
    const other = gated("w2");
    const waitGroup = bgtAsync(["wait", "-g", "w1"]);
    const waitAll = bgtAsync(["wait"]);
    // A wait has chosen its tasks once it talks to the supervisor (it chooses first).
    waitFor(() => waitGroup.child.pid !== undefined && _hasSocket(waitGroup.child.pid));
    waitFor(() => waitAll.child.pid !== undefined && _hasSocket(waitAll.child.pid));
    writeFileSync(flag, "");
    const [group, all] = await Promise.all([waitGroup.done, waitAll.done]);
    assert.equal(group.code, 0);
    assert.deepEqual(group.stdout.trim().split("\n").map((line) => line.split(" ")[0]), [mine]);
    assert.equal(all.code, 0, "the failed task had finished before: not waited for");
    const waited = all.stdout.trim().split("\n").map((line) => line.split(" ")[0]);
    assert.deepEqual(waited, [mine, other]);
  });

  test("restart --failed [-g G] runs the failed, timed-out and lost tasks again, not the others", () => {
    const failed = finished(2, "rf");
    const succeeded = finished(0, "rf");
    const otherGroup = finished(5, "rf2");
    const canceled = running("rf");
    ok(["kill", canceled]);
    home.bgt(["wait", canceled]);
    const result = home.bgt(["restart", "--failed", "-g", "rf"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `${failed} attempt 2\n`);
    home.bgt(["wait", failed]);
    assert.equal(show(failed).attempt, 2);
    assert.equal(show(succeeded).attempt, 1);
    assert.equal(show(canceled).attempt, 1);
    assert.equal(show(otherGroup).attempt, 1);
    const all = home.bgt(["restart", "--failed"]);
    assert.match(all.stdout, new RegExp(`^${otherGroup} attempt 2$`, "m"));
    assert.equal(home.bgt(["restart", "-g", "rf"]).code, 2, "-g alone is refused");
  });

  test("clean -g G removes only that group's finished tasks", () => {
    const mine = finished(0, "cg");
    const other = finished(0, "cg2");
    const result = JSON.parse(ok(["clean", "-g", "cg", "--json"]));
    assert.deepEqual(result.removed, [Number(mine)]);
    assert.ok(!exists(mine));
    assert.ok(exists(other));
  });

  test("last names the newest task in every command that takes an id", () => {
    writeFileSync(join(home.work, "answer.ts"), "export default () => 42;");
    ok(["run", "--", "echo", "older"]);
    const id = ok(["run", "answer.ts"]);
    assert.equal(home.bgt(["wait", "last"]).code, 0);
    assert.equal(show("last").id, Number(id));
    assert.equal(ok(["result", "last"]), "42");
    ok(["meta", "last", "k=v"]);
    assert.deepEqual(show(id).meta, { k: "v" });
    assert.deepEqual(JSON.parse(ok(["logs", "last", "--json"])).stdout.start, 0);
    const dependant = ok(["run", "--after", "last", "--", "true"]);
    assert.deepEqual(show(dependant).after, [Number(id)]);
    assert.equal(home.bgt(["wait", dependant]).code, 0);
    const stdin = ok(["run", "--stdin", "--", "cat"]);
    ok(["send", "last", "hello", "--eof"]);
    assert.equal(home.bgt(["wait", stdin]).code, 0);
    assert.equal(ok(["logs", stdin]), "hello");
    const live = running();
    ok(["pause", "last"]);
    assert.equal(status(live), "paused");
    ok(["resume", "last"]);
    ok(["kill", "last"]);
    home.bgt(["wait", live]);
    ok(["restart", "last"]);
    ok(["kill", "last"]);
    home.bgt(["wait", live]);
    ok(["rm", "last"]);
    assert.ok(!exists(live));
  });

  test("bad selections are one line and exit 2: no tasks named, ids with -g, a bad id", () => {
    for (
      const [words, message] of [
        [["kill"], /Cannot kill: name the tasks \(ids, 'last', -g GROUP or --all/],
        [["pause", "1", "-g", "x"], /Cannot pause: give task ids or -g GROUP or --all, not both/],
        [["kill", "-g", "x", "--all"], /Cannot kill: give -g GROUP or --all, not both/],
        [
          ["show", "newest"],
          /Cannot parse task id 'newest': expected a positive integer or 'last'/,
        ],
        [["rm", "0"], /Cannot parse task id '0'/],
      ] as const
    ) {
      const result = home.bgt([...words]);
      assert.equal(result.code, 2, words.join(" "));
      assert.equal(warnings(result).length, 1, result.stderr);
      assert.match(result.stderr, message);
    }
  });
});

/**
 * True once the process holds a socket beyond its stdio (which a test runner may make of
 * socket pairs): Linux shows it as a link to `socket:[…]` among its fds.
 */
function _hasSocket(pid: number): boolean {
  try {
    // A Unix socket (the supervisor's): on PostgreSQL the client holds TCP sockets before it
    // has chosen its tasks.
    const unix = new Set(
      readFileSync("/proc/net/unix", "utf8").split("\n").slice(1).map((line) =>
        line.trim().split(/\s+/)[6]
      ),
    );
    return readdirSync(`/proc/${pid}/fd`).filter((fd) => Number(fd) > 2).some((fd) => {
      try {
        const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
        return /^socket:\[\d+\]$/.test(link) && unix.has(link.slice(8, -1));
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

describe("last in an empty home", () => {
  test("is one line naming the problem, exit 1", () => {
    const home = TempHome.create();
    try {
      const result = home.bgt(["show", "last"]);
      assert.equal(result.code, 1);
      assert.equal(result.stderr, "bgt: Cannot find task 'last': there are no tasks yet\n");
    } finally {
      home.cleanup();
    }
  });
});
