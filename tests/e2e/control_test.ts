/**
 * End-to-end control of tasks after they started (issue 5, parts 1, 2, 5-7): pause/resume of a
 * process tree, restart with history, metadata from the CLI and from a module task, filters,
 * clean, checkpoints, completions and live progress.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { BGT, TempHome, waitFor } from "../_helpers/bgt_home.ts";
import { skipWithReason } from "../_helpers/skip.ts";

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

describe("bgt task control end to end", () => {
  let home: TempHome;
  const ok = (words: string[]) => home.ok(words);
  const show = (id: string) => JSON.parse(ok(["show", id, "--json"]));
  const lines = (id: string, file = "stdout") => {
    const path = join(home.dir, "home", "logs", id, file);
    return existsSync(path) ? readFileSync(path, "utf8").split("\n").length : 0;
  };

  /** Pauses a task once it has printed, and checks it prints nothing while paused. */
  const pauseQuietly = (id: string): number => {
    waitFor(() => lines(id) > 3);
    ok(["pause", id]);
    assert.equal(show(id).status, "paused");
    sleep(100);
    const paused = lines(id);
    sleep(400);
    assert.equal(lines(id), paused, "no output while paused");
    return paused;
  };

  before(() => {
    home = TempHome.create();
    writeFileSync(
      join(home.work, "steps.ts"),
      `import { context } from "bgt";
export default async function (fail: boolean) {
  const from = (context.lastCheckpoint as number | undefined) ?? 0;
  for (let step = from + 1; step <= 3; step++) {
    context.progress(step / 3, \`step \${step}\`);
    context.checkpoint(step);
    if (fail && step === 2 && from === 0) throw new Error("crash at step 2");
  }
  context.meta({ stage: "done", owner: null });
  return { resumedFrom: from };
}`,
    );
  });
  after(() => {
    home.bgt(["daemon", "stop"]);
    home.cleanup();
  });

  test("pause stops a whole process tree (a paused child prints nothing); resume continues it", () => {
    // The child loop prints; its parent only waits: pausing must reach the grandchild.
    const id = ok([
      "run",
      "--",
      "sh",
      "-c",
      "sh -c 'while :; do echo tick; sleep 0.05; done' & wait",
    ]);
    const paused = pauseQuietly(id);
    ok(["resume", id]);
    assert.equal(show(id).status, "running");
    waitFor(() => lines(id) > paused + 3, 5_000);
    ok(["kill", id]);
    home.bgt(["wait", id]);
    assert.equal(show(id).status, "canceled");
  });

  test("a paused task can be killed", () => {
    const id = ok(["run", "--", "sleep", "30"]);
    waitFor(() => show(id).status === "running");
    ok(["pause", id]);
    ok(["kill", id]);
    home.bgt(["wait", id]);
    assert.equal(show(id).status, "canceled");
  });

  test("a module task in a worker host pauses and resumes (its host process is stopped)", () => {
    writeFileSync(
      join(home.work, "beats.ts"),
      `export default async function (n: number) {
  for (let i = 1; i <= n; i++) {
    console.log("beat", i);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return n;
}`,
    );
    const id = ok(["run", "beats.ts", "100"]);
    pauseQuietly(id);
    ok(["resume", id]);
    assert.equal(home.bgt(["wait", id]).code, 0);
    assert.equal(show(id).result, 100);
    assert.equal(lines(id), 101, "every beat printed once");
  });

  test("an --isolate'd module task can be paused, reports progress and meta, and returns its result", () => {
    writeFileSync(
      join(home.work, "ticks.ts"),
      `import { context } from "bgt";
export default async function (n: number) {
  for (let i = 1; i <= n; i++) {
    console.log("tick", i);
    context.progress(i / n, "tick " + i);
    await new Promise((resolve) => setTimeout(resolve, 40));
  }
  context.meta({ isolated: true });
  return { pid: process.pid, n };
}`,
    );
    const id = ok(["run", "--isolate", "ticks.ts", "25"]);
    pauseQuietly(id);
    ok(["resume", id]);
    assert.equal(home.bgt(["wait", id]).code, 0);
    const shown = show(id);
    assert.equal(shown.status, "succeeded");
    assert.equal(shown.result.n, 25);
    assert.notEqual(shown.result.pid, home.supervisorPids().at(-1), "its own process");
    assert.deepEqual(shown.meta, { isolated: true });
    assert.deepEqual(shown.progress, { fraction: 1, message: "tick 25" });
  });

  test("pausing an --isolate'd task in the middle of its store writes leaves the store usable", () => {
    // Its process writes its meta (64 KB each time) back to back: a SIGSTOP landing inside one
    // of those writes held bgt.db's lock until resume, and every other writer waited on it.
    writeFileSync(
      join(home.work, "busy_meta.ts"),
      `import { context } from "bgt";
export default async function () {
  for (let i = 0; ; i++) {
    context.meta({ big: "x".repeat(1 << 16) + i });
    if (i % 20 === 0) console.log("wrote", i);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}`,
    );
    const id = ok(["run", "--isolate", "busy_meta.ts"]);
    try {
      waitFor(() => lines(id) > 3);
      for (let round = 1; round <= 6; round++) {
        const paused = home.bgt(["pause", id], { timeoutMs: 20_000 });
        assert.equal(paused.code, 0, `pause ${round}: ${paused.stderr}`);
        // While it is stopped, others write: a submission, and the end of that task.
        const other = home.bgt(["run", "--wait", "--", "true"], { timeoutMs: 20_000 });
        assert.equal(other.code, 0, `a task beside pause ${round}: ${other.stderr}`);
        ok(["resume", id]);
        sleep(30 * round); // each pause lands at another moment of the writes
      }
    } finally {
      home.bgt(["resume", id], { timeoutMs: 20_000 });
      home.bgt(["kill", id], { timeoutMs: 20_000 });
    }
    home.bgt(["wait", id], { timeoutMs: 20_000 });
    assert.equal(show(id).status, "canceled");
  });

  test("an --isolate'd module task outlives a supervisor killed with -9 and is re-adopted", () => {
    const id = ok(["run", "--isolate", "ticks.ts", "30"]);
    waitFor(() => lines(id) > 3);
    const supervisor = home.supervisorPids().at(-1)!;
    process.kill(supervisor, "SIGKILL");
    ok(["daemon", "start"]);
    assert.equal(home.bgt(["wait", id]).code, 0);
    const shown = show(id);
    assert.equal(shown.status, "succeeded");
    assert.equal(shown.result.n, 30);
    assert.equal(ok(["logs", id]).split("\n").length, 30, "no line lost");
  });

  test("a restarted --isolate'd task killed before it wrote reports its own end, not the last", () => {
    const file = join(home.work, "answer.ts");
    writeFileSync(file, `export default () => "first";`);
    const id = ok(["run", "--isolate", "answer.ts"]);
    assert.equal(home.bgt(["wait", id]).code, 0);
    assert.equal(show(id).result, "first");
    // The same task again, now slow (an unpinned module runs its file as it is at start), and
    // killed with SIGKILL before it can write anything.
    writeFileSync(
      file,
      `export default () => new Promise((resolve) => setTimeout(resolve, 30_000));`,
    );
    home.bgt(["restart", id]);
    waitFor(() => show(id).status === "running" && show(id).pid !== null);
    ok(["kill", "--signal", "KILL", id]);
    home.bgt(["wait", id]);
    const shown = show(id);
    assert.equal(shown.attempt, 2);
    assert.notEqual(shown.status, "succeeded", JSON.stringify(shown));
    assert.equal(shown.result, null);
  });

  test("restart runs a finished task again; show --attempts keeps each attempt and its output", () => {
    const id = ok(["run", "--", "sh", "-c", "echo run; exit 3"]);
    home.bgt(["wait", id]);
    assert.match(ok(["restart", id]), new RegExp(`^${id} attempt 2`));
    home.bgt(["wait", id]);
    const shown = JSON.parse(ok(["show", id, "--json", "--attempts"]));
    assert.equal(shown.attempt, 2);
    assert.equal(shown.attempts.length, 2);
    assert.deepEqual(shown.attempts.map((a: { exitCode: number }) => a.exitCode), [3, 3]);
    assert.deepEqual(shown.attempts.map((a: { slices: { stdout: number[] } }) => a.slices.stdout), [
      [0, 4],
      [4, 8],
    ]);
    assert.equal(ok(["logs", id]), "run\nrun");
    const first = ok(["run", "--", "sleep", "5"]);
    const waiting = ok(["run", "--after", first, "--", "true"]);
    const refused = home.bgt(["restart", waiting]);
    assert.match(refused.stderr, /Cannot restart task \d+: it is blocked, not finished/);
    ok(["kill", first, waiting]);
  });

  test("meta: set at submission, merged and deleted from the CLI, filtered by ls", () => {
    const id = ok([
      "run",
      "--meta",
      "team=data",
      "--meta",
      "owner=ann",
      "-n",
      "nightly-1",
      "--",
      "true",
    ]);
    const other = ok(["run", "--meta", "team=web", "-n", "adhoc", "--", "true"]);
    home.bgt(["wait", id, other]);
    assert.deepEqual(JSON.parse(ok(["meta", id, "note=paused by me", "owner="])), {
      team: "data",
      note: "paused by me",
    });
    const ids = (words: string[]) =>
      JSON.parse(ok(["ls", "--json", ...words])).map((t: { id: number }) => String(t.id));
    assert.deepEqual(ids(["--meta", "team=data"]), [id]);
    assert.deepEqual(ids(["--meta", "team=data", "--meta", "note=paused by me"]), [id]);
    assert.deepEqual(ids(["--name", "nightly-*"]), [id]);
    assert.deepEqual(ids(["--name", "nightly-*", "--status", "failed"]), []);
    assert.ok(ids(["--since", "1h"]).includes(other));
    ok(["meta", other, "--json-values", "urgent=true", "n=3"]);
    assert.deepEqual(ids(["--meta", "urgent=true"]), [other], "a boolean matches its JSON text");
    assert.deepEqual(ids(["--meta", "n=3"]), [other]);
    assert.deepEqual(ids(["--until", "1h"]), []);
    const page = ids(["--limit", "1", "--offset", "1", "--asc"]);
    assert.equal(page.length, 1);
  });

  test("a module task merges its own meta; a retried attempt receives its last checkpoint", () => {
    const id = ok([
      "run",
      "--meta",
      "owner=bob",
      "--retries",
      "1",
      "--backoff",
      "100ms",
      "steps.ts",
      "true",
    ]);
    assert.equal(home.bgt(["wait", id]).code, 0);
    const shown = JSON.parse(ok(["show", id, "--json", "--attempts"]));
    assert.equal(shown.attempt, 2);
    assert.deepEqual(shown.result, { resumedFrom: 2 }, "attempt 2 started after step 2");
    assert.deepEqual(shown.meta, { stage: "done" }, "owner deleted, stage merged");
    assert.equal(shown.attempts[0].status, "failed");
    assert.deepEqual(shown.progress, { fraction: 1, message: "step 3" });
  });

  test("clean removes finished tasks by state and age, and their logs", () => {
    const failed = ok(["run", "--", "false"]);
    home.bgt(["wait", failed]);
    assert.match(ok(["clean", "--older-than", "1h"]), /^removed 0 tasks/);
    const removed = JSON.parse(ok(["clean", "--status", "failed", "--json"])).removed;
    assert.ok(removed.includes(Number(failed)));
    assert.notEqual(home.bgt(["show", failed]).code, 0);
    assert.match(
      home.bgt(["clean", "--status", "running"]).stderr,
      /Cannot parse --status 'running'/,
    );
  });

  test("completions for bash, zsh and fish list the commands and their options", () => {
    const bash = ok(["completions", "bash"]);
    assert.match(bash, /complete -o default -F _bgt bgt/);
    assert.match(bash, /every\) words="[^"]*--catch-up/);
    const check = spawnSync("bash", ["-n"], { input: bash });
    assert.equal(check.status, 0, "bash accepts the script");
    assert.match(ok(["completions", "zsh"]), /^#compdef bgt/);
    assert.match(ok(["completions", "fish"]), /__fish_seen_subcommand_from schedules' -a pause/);
    assert.match(home.bgt(["completions", "tcsh"]).stderr, /Cannot parse shell 'tcsh'/);
  });

  test("wait draws live progress bars on a terminal and plain lines otherwise", (t) => {
    const script = spawnSync("script", ["--version"]);
    if (script.status !== 0) {
      return skipWithReason(t, "util-linux 'script' (a pseudo-terminal) is not installed");
    }
    writeFileSync(
      join(home.work, "slow.ts"),
      `import { context } from "bgt";
export default async () => {
  for (let i = 1; i <= 4; i++) {
    context.progress(i / 4, "quarter " + i);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
};`,
    );
    const id = ok(["run", "slow.ts"]);
    const tty = spawnSync("script", ["-qc", `${BGT} wait ${id}`, "/dev/null"], {
      env: home.env({ TERM: "xterm", COLUMNS: "120" }),
      cwd: home.work,
      encoding: "utf8",
    });
    assert.match(
      tty.stdout,
      new RegExp(`${id} running \\[#+-*\\] \\d+% quarter`),
      "a bar was drawn",
    );
    // deno-lint-ignore no-control-regex
    assert.match(tty.stdout, /\x1b\[\d+A\x1b\[J/, "and redrawn in place");
    assert.match(tty.stdout, new RegExp(`${id} .*succeeded`));
    const plain = home.bgt(["wait", id]);
    assert.doesNotMatch(
      plain.stdout + plain.stderr,
      // deno-lint-ignore no-control-regex
      /\x1b\[/,
      "no escape codes without a terminal",
    );
  });
});
