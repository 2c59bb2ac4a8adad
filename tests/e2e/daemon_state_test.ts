/**
 * End-to-end: the supervisor's state told truthfully (issue 12, item 13). `daemon status` says
 * `draining` and which module tasks a stop waits for; `daemon stop` says it on stderr while it
 * waits, gives up at its `--timeout` (the task recorded `lost`), and `--now` waits for nothing;
 * command tasks go on through any stop and are re-adopted — as README and `--help` say.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  BGT,
  type CliResult,
  liveProcessesInGroup,
  TempHome,
  waitFor,
} from "../_helpers/bgt_home.ts";
import { DEFAULT_DRAIN_MS } from "../../src/ipc/protocol.ts";

/** A module task that runs until its flag file exists. */
const GATED = `
import { existsSync } from "node:fs";
export default async function (flag: string) {
  while (!existsSync(flag)) await new Promise((resolve) => setTimeout(resolve, 20));
  return "done";
}
`;

describe("the supervisor's state", () => {
  let home: TempHome;
  let flags = 0;
  const ok = (words: string[]) => home.ok(words);
  const show = (id: string) => JSON.parse(ok(["show", id, "--json"]));
  /** A fresh flag path (not yet created) and a function that raises it. */
  const flag = () => {
    const path = join(home.work, `flag-${++flags}`);
    return { path, raise: () => writeFileSync(path, "") };
  };
  /** Runs bgt in the background; `stderrHas` resolves once its stderr matches. */
  const bgtAsync = (words: string[]) => {
    const child = spawn(BGT, words, { env: home.env(), cwd: home.work });
    let stdout = "";
    let stderr = "";
    const watchers: (() => void)[] = [];
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
      for (const watcher of watchers) watcher();
    });
    const done = new Promise<CliResult>((resolve) =>
      child.on("close", (code) => resolve({ code: code ?? 128, stdout, stderr }))
    );
    const stderrHas = (pattern: RegExp) =>
      new Promise<void>((resolve, reject) => {
        const check = () => pattern.test(stderr) && resolve();
        watchers.push(check);
        check();
        void done.then(() => reject(new Error(`stderr never matched ${pattern}: ${stderr}`)));
      });
    return { done, stderrHas };
  };

  before(() => {
    home = TempHome.create();
    writeFileSync(join(home.work, "gated.ts"), GATED);
  });
  after(() => {
    home.bgt(["daemon", "stop", "--now"]);
    home.cleanup();
  });

  test("daemon status says draining and the module tasks it waits for; stop says it on stderr, and the task finishes", async () => {
    const gate = flag();
    const id = ok(["run", "gated.ts", gate.path]);
    waitFor(() => show(id).status === "running");
    const stop = bgtAsync(["daemon", "stop"]);
    const line = new RegExp(
      `^bgt: draining: waiting for 1 running task \\(id ${id}\\), up to \\d+s more$`,
      "m",
    );
    await stop.stderrHas(line);
    const status = home.bgt(["daemon", "status"]);
    assert.equal(status.code, 0);
    assert.match(status.stdout, /^supervisor draining, pid \d+/);
    assert.match(
      status.stdout,
      new RegExp(`^draining: waiting for 1 running task \\(id ${id}\\)`, "m"),
    );
    const json = JSON.parse(ok(["daemon", "status", "--json"]));
    assert.equal(json.state, "draining");
    assert.deepEqual(json.draining.waitingFor, [Number(id)]);
    assert.ok(Date.parse(json.draining.deadline) > Date.now());
    gate.raise();
    const stopped = await stop.done;
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.equal(stopped.stdout, "supervisor stopped\n");
    assert.equal(show(id).status, "succeeded", "a module task finishes within the drain");
    assert.equal(show(id).result, "done");
  });

  test("daemon status of a supervisor that is not stopping says running", () => {
    ok(["daemon", "start"]);
    assert.equal(JSON.parse(ok(["daemon", "status", "--json"])).state, "running");
    assert.match(ok(["daemon", "status"]), /^supervisor running, pid \d+/);
    assert.doesNotMatch(ok(["daemon", "status"]), /draining/);
  });

  test("a module task still running at the stop's --timeout is recorded lost; a command goes on and is re-adopted", () => {
    const gate = flag();
    const module = ok(["run", "gated.ts", gate.path]);
    const command = ok([
      "run",
      "--",
      "sh",
      "-c",
      `while [ ! -e ${gate.path} ]; do sleep 0.02; done; echo went on`,
    ]);
    waitFor(() => show(module).status === "running" && show(command).pid !== null);
    const stopped = home.bgt(["daemon", "stop", "--timeout", "1s"]);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(
      stopped.stderr,
      new RegExp(
        `^bgt: task ${module} was still running when the stop gave up: recorded lost$`,
        "m",
      ),
    );
    assert.equal(show(module).status, "lost");
    assert.ok(liveProcessesInGroup(show(command).pid).length > 0, "the command still runs");
    gate.raise();
    const waited = home.bgt(["wait", command]);
    assert.equal(waited.code, 0, `${waited.stdout}${waited.stderr}${ok(["show", command])}`);
    assert.equal(ok(["logs", command]), "went on");
    assert.equal(show(command).attempt, 1, "re-adopted, not run again");
  });

  test("daemon stop --now waits for no module task: it is recorded lost and runs again if it has retries", () => {
    const gate = flag();
    const id = ok(["run", "--retries", "1", "gated.ts", gate.path]);
    waitFor(() => show(id).status === "running");
    const stopped = home.bgt(["daemon", "stop", "--now"]);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.equal(show(id).status, "queued", "lost, with a retry left");
    const attempts = JSON.parse(ok(["show", id, "--attempts", "--json"])).attempts;
    assert.equal(attempts.at(-1).status, "lost");
    gate.raise();
    assert.equal(home.bgt(["wait", id]).code, 0, "the next supervisor runs it again");
    assert.equal(show(id).attempt, 2);
  });

  test("daemon stop --help documents the cap, what happens to each kind of task, and --now", () => {
    const help = ok(["daemon", "stop", "--help"]);
    const cap = new RegExp(`up\\s+to ${DEFAULT_DRAIN_MS / 1000}s`);
    for (
      const phrase of [/--now/, /--timeout/, cap, /recorded 'lost'/, /re-adopts them/, /draining/]
    ) {
      assert.match(help, phrase);
    }
    assert.equal(home.bgt(["daemon", "stop", "--now", "--timeout", "5s"]).code, 2);
  });

  test("the README says what a stop does to module and command tasks, as the code does", () => {
    const readme = readFileSync(join(import.meta.dirname ?? ".", "../../README.md"), "utf8");
    const section = readme.slice(
      readme.indexOf("### `bgt daemon"),
      readme.indexOf("### `bgt supervise"),
    );
    const seconds = DEFAULT_DRAIN_MS / 1000;
    assert.match(section, new RegExp(`module tasks[^.]*up to\\s+${seconds} s`));
    assert.match(section, /recorded `lost`/);
    assert.match(section, /command tasks keep running/i);
    assert.match(section, /--now/);
  });
});
