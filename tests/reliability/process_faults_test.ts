/**
 * Issue 6, part 3: process faults. A command that ignores SIGTERM is SIGKILLed after the grace;
 * a command's whole process tree dies on `bgt kill`; no zombie is left behind by the supervisor;
 * output that closes early or is not UTF-8 is kept byte for byte; a module task that spins
 * forever, exits its worker, throws asynchronously, crashes its process or has it killed fails
 * alone and the next module task runs; a supervisor killed with -9 leaves no worker host behind.
 * (Timeouts belong to the scheduling suites; a module task that exhausts memory is in
 * `process_faults_extra_test.ts`.)
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { liveProcessesInGroup, TempHome, waitFor } from "../_helpers/bgt_home.ts";
import { isAlive } from "../../src/runtime/process.ts";
import { bgtBytes, liveSupervisor, report } from "./_reliability.ts";

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Time between SIGTERM and SIGKILL given to the supervisor. */
const GRACE_MS = 1_000;

/** The task's process group (its waiter's pid), once it runs. */
function groupOf(home: TempHome, id: string): number {
  waitFor(() => JSON.parse(home.ok(["show", id, "--json"])).pid !== null);
  return JSON.parse(home.ok(["show", id, "--json"])).pid;
}

/** Children of `pid` that are zombies (ended, not reaped by it). */
function zombieChildren(pid: number): number[] {
  return readdirSync("/proc").filter((name) => /^\d+$/.test(name)).filter((child) => {
    try {
      const stat = readFileSync(`/proc/${child}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return fields[0] === "Z" && Number(fields[1]) === pid;
    } catch {
      return false;
    }
  }).map(Number);
}

describe("process faults", () => {
  let home: TempHome;
  const figures: Record<string, unknown> = {};
  before(() => {
    home = TempHome.create();
    const files: Record<string, string> = {
      "spin.ts": "export default () => { for (;;) {} };\n",
      "ok.ts": "export default (x = 1) => ({ ok: x });\n",
      "exit.ts": "export default () => { process.exit(3); };\n",
      "segfault.ts": "export default () => { process.kill(process.pid, 'SIGSEGV'); };\n",
      "sleep.ts": "export default () => new Promise((done) => setTimeout(done, 60_000));\n",
      "nap.ts":
        "export default () => new Promise((done) => setTimeout(() => done('rested'), 1_500));\n",
      "bigint.ts": "export default () => 2n ** 100n;\n",
      "circular.ts": "export default () => { const a: any = {}; a.self = a; return a; };\n",
      "fd3.ts":
        "import { writeSync } from 'node:fs';\nexport default () => { writeSync(3, '{\"progress\":0.5}\\n'); return 'wrote'; };\n",
      "async_throw.ts":
        "export default () => new Promise((done) => { setTimeout(() => { throw new Error('async boom'); }, 10); setTimeout(done, 2000); });\n",
      "unhandled.ts":
        "export default () => { Promise.reject(new Error('unhandled')); return new Promise((done) => setTimeout(done, 2000)); };\n",
    };
    for (const [name, text] of Object.entries(files)) writeFileSync(join(home.work, name), text);
    // Two workers at least, so that a module task can run beside a spinning one; a 1 s grace
    // between SIGTERM and SIGKILL (BGT_KILL_GRACE) instead of 5 s.
    const env = { BGT_PARALLEL: "4", BGT_KILL_GRACE: `${GRACE_MS}ms` };
    assert.equal(home.bgt(["daemon", "start"], { env }).code, 0);
  });
  after(() => home.cleanup());

  test("a command that ignores SIGTERM is SIGKILLed after the grace period", () => {
    const id = home.ok([
      "run",
      "--",
      "sh",
      "-c",
      'trap "" TERM; echo ready; while :; do sleep 1; done',
    ]);
    const group = groupOf(home, id);
    waitFor(() => home.ok(["logs", id]) === "ready");
    const started = Date.now();
    assert.equal(home.bgt(["kill", id]).code, 0);
    const waited = home.bgt(["wait", id]);
    const tookMs = Date.now() - started;
    assert.notEqual(waited.code, 0);
    const task = JSON.parse(home.ok(["show", id, "--json"]));
    assert.equal(task.status, "canceled");
    assert.equal(task.signal, "SIGKILL");
    assert.ok(tookMs >= GRACE_MS - 100, `SIGKILL came after the grace (${tookMs} ms)`);
    assert.ok(tookMs < GRACE_MS + 10_000, `and not much later (${tookMs} ms)`);
    waitFor(() => liveProcessesInGroup(group).length === 0);
    figures.sigkillAfterMs = tookMs;
  });

  test("bgt kill ends a command's whole tree: children, grandchildren and subshells", () => {
    const id = home.ok([
      "run",
      "--",
      "sh",
      "-c",
      'sleep 300 & (sleep 300 &); sh -c "sleep 300 & sleep 300; wait" & echo ready; wait',
    ]);
    const group = groupOf(home, id);
    waitFor(() => home.ok(["logs", id]) === "ready");
    waitFor(() => liveProcessesInGroup(group).length >= 6);
    const members = liveProcessesInGroup(group).length;
    assert.equal(home.bgt(["kill", id]).code, 0);
    home.bgt(["wait", id]);
    assert.equal(JSON.parse(home.ok(["show", id, "--json"])).status, "canceled");
    waitFor(() => liveProcessesInGroup(group).length === 0, 5_000);
    figures.treeKilled = members;
  });

  test("the supervisor leaves no zombie children behind", () => {
    const ids = Array.from(
      { length: 20 },
      (_, i) => home.ok(["run", "--", "sh", "-c", `exit ${i % 3}`]),
    );
    home.bgt(["wait", ...ids]);
    const supervisor = liveSupervisor(home);
    assert.ok(supervisor, "the supervisor lives");
    assert.deepEqual(zombieChildren(supervisor), []);
  });

  test("a command that closes its stdout early keeps what it wrote, and its other streams", () => {
    const id = home.ok([
      "run",
      "--",
      "sh",
      "-c",
      "printf first; exec 1>&-; sleep 0.2; echo on-stderr >&2; echo lost 2>/dev/null; exit 0",
    ]);
    assert.equal(home.bgt(["wait", id]).code, 0);
    assert.equal(home.ok(["logs", id]), "first");
    assert.equal(home.ok(["logs", id, "--stderr"]), "on-stderr");
    assert.equal(JSON.parse(home.ok(["show", id, "--json"])).status, "succeeded");
  });

  test("binary output and invalid UTF-8 come back from bgt logs byte for byte", () => {
    const bytes = new Uint8Array(256 * 4 + 64 * 1024 + 16);
    let at = 0;
    for (let round = 0; round < 4; round++) for (let b = 0; b < 256; b++) bytes[at++] = b;
    // Invalid UTF-8: a lone continuation, an overlong form, a surrogate, a cut sequence, 0xFF.
    for (
      const b of [0x80, 0xc0, 0xaf, 0xed, 0xa0, 0x80, 0xe2, 0x82, 0xff, 0xfe, 0, 0, 0x0d, 0x0a]
    ) {
      bytes[at++] = b;
    }
    let seed = 7;
    while (at < bytes.length) bytes[at++] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
    writeFileSync(join(home.work, "bytes.bin"), bytes);
    const id = home.ok(["run", "--", "sh", "-c", "cat bytes.bin; cat bytes.bin >&2"]);
    assert.equal(home.bgt(["wait", id]).code, 0);
    const out = bgtBytes(home, ["logs", id]);
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(out.stdout, bytes);
    assert.deepEqual(bgtBytes(home, ["logs", id, "--stderr"]).stdout, bytes);
    figures.binaryBytesChecked = bytes.length * 2;
  });

  test("a module task that spins forever runs beside others, ends on kill, and the pool goes on", () => {
    const spin = home.ok(["run", "spin.ts"]);
    waitFor(() => JSON.parse(home.ok(["show", spin, "--json"])).status === "running");
    // While it spins, another module task runs on the other worker.
    const beside = home.ok(["run", "ok.ts", "2"]);
    assert.equal(home.bgt(["wait", beside]).code, 0);
    assert.equal(home.ok(["result", beside]), '{"ok":2}');
    const started = Date.now();
    assert.equal(home.bgt(["kill", spin]).code, 0);
    home.bgt(["wait", spin]);
    const task = JSON.parse(home.ok(["show", spin, "--json"]));
    assert.equal(task.status, "canceled");
    figures.spinKilledAfterMs = Date.now() - started;
    const next = Array.from({ length: 4 }, (_, i) => home.ok(["run", "ok.ts", String(i)]));
    assert.equal(home.bgt(["wait", ...next]).code, 0);
    assert.deepEqual(next.map((id) => JSON.parse(home.ok(["result", id])).ok), [0, 1, 2, 3]);
  });

  test("a module task that exits its worker, throws asynchronously or crashes its process fails alone", () => {
    const supervisor = liveSupervisor(home);
    const ended = new Map<string, string>();
    for (const file of ["exit.ts", "async_throw.ts", "unhandled.ts", "segfault.ts"]) {
      const id = home.ok(["run", file]);
      ended.set(file, id);
      const ok = home.ok(["run", "ok.ts", "5"]);
      assert.notEqual(home.bgt(["wait", id]).code, 0, file);
      const task = JSON.parse(home.ok(["show", id, "--json"]));
      assert.equal(task.status, "failed", file);
      assert.ok(task.error?.message, `${file} has a reason`);
      assert.equal(home.bgt(["wait", ok]).code, 0);
      assert.equal(home.ok(["result", ok]), '{"ok":5}');
      assert.ok(supervisor !== undefined && isAlive(supervisor), `the supervisor survived ${file}`);
    }
    assert.equal(liveSupervisor(home), supervisor, "the same supervisor throughout");
    const crashed = JSON.parse(home.ok(["show", ended.get("segfault.ts")!, "--json"]));
    assert.equal(crashed.signal, "SIGSEGV", "a crashed worker host's signal is the task's");
  });

  test("a module task whose process is killed from outside fails alone, with the signal", () => {
    const id = home.ok(["run", "sleep.ts"]);
    const host = groupOf(home, id);
    assert.notEqual(host, liveSupervisor(home), "the task's pid is its worker host's");
    process.kill(host, "SIGKILL");
    assert.notEqual(home.bgt(["wait", id]).code, 0);
    const task = JSON.parse(home.ok(["show", id, "--json"]));
    assert.equal(task.status, "failed");
    assert.equal(task.signal, "SIGKILL");
    assert.match(home.ok(["logs", id, "--stderr"]), /worker process running this task was killed/);
    const next = home.ok(["run", "ok.ts", "7"]);
    assert.equal(home.bgt(["wait", next]).code, 0);
  });

  test("a module task whose result cannot be stored fails with the reason; the next runs", () => {
    // (A bigint wider than 64 bits is kept as its decimal string since issue 19, item 7.)
    const bigint = home.ok(["run", "bigint.ts"]);
    assert.equal(home.bgt(["wait", bigint], { timeoutMs: 20_000 }).code, 0);
    assert.equal(home.ok(["result", bigint]), `"${2n ** 100n}"`);
    for (const file of ["circular.ts"]) {
      const id = home.ok(["run", file]);
      assert.notEqual(home.bgt(["wait", id], { timeoutMs: 20_000 }).code, 0, file);
      const task = JSON.parse(home.ok(["show", id, "--json"]));
      assert.equal(task.status, "failed", file);
      assert.match(task.error.message, /Cannot store the task's result/, file);
    }
    const next = home.ok(["run", "ok.ts", "8"]);
    assert.equal(home.bgt(["wait", next]).code, 0);
  });

  test("a module task that writes to fd 3 does not garble its host's channel", () => {
    const id = home.ok(["run", "fd3.ts"]);
    assert.equal(home.bgt(["wait", id]).code, 0);
    assert.equal(home.ok(["result", id]), '"wrote"');
  });

  test("a graceful stop resumes a paused module task and lets it finish", () => {
    const id = home.ok(["run", "nap.ts"]);
    groupOf(home, id);
    home.ok(["pause", id]);
    const started = Date.now();
    assert.equal(home.bgt(["daemon", "stop"]).code, 0);
    assert.ok(Date.now() - started < 10_000, "the stop did not wait for the drain's time limit");
    const task = JSON.parse(home.ok(["show", id, "--json"]));
    assert.equal(task.status, "succeeded", JSON.stringify(task));
    assert.equal(home.bgt(["daemon", "start"], { env: { BGT_PARALLEL: "4" } }).code, 0);
  });

  test("a paused module task's host left by a supervisor killed with -9 is ended by the next", () => {
    const id = home.ok(["run", "sleep.ts"]);
    const host = groupOf(home, id);
    home.ok(["pause", id]);
    process.kill(liveSupervisor(home)!, "SIGKILL");
    sleep(300);
    assert.ok(isAlive(host), "a stopped host cannot see its supervisor go");
    assert.equal(home.bgt(["daemon", "start"], { env: { BGT_PARALLEL: "4" } }).code, 0);
    waitFor(() => !isAlive(host), 5_000);
    waitFor(() => JSON.parse(home.ok(["show", id, "--json"])).status === "lost");
  });

  test("a supervisor killed with -9 takes its worker hosts with it; the next records the task lost", () => {
    const id = home.ok(["run", "sleep.ts"]);
    const host = groupOf(home, id);
    const supervisor = liveSupervisor(home)!;
    process.kill(supervisor, "SIGKILL");
    // A host exits when its stdin closes: the task does not run on without a supervisor.
    waitFor(() => !isAlive(host), 5_000);
    figures.hostGoneAfterCrash = true;
    assert.equal(home.bgt(["daemon", "start"], { env: { BGT_PARALLEL: "4" } }).code, 0);
    waitFor(() => JSON.parse(home.ok(["show", id, "--json"])).status === "lost");
    report("process faults", figures);
  });
});
