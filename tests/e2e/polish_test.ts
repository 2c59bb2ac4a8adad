/**
 * End-to-end: terminal polish (issue 12, item 15) — ls's footer and exit codes, run -w's return
 * value, Ctrl-C while watching, completions, colour, aliases, bare `bgt`, bare-number durations,
 * process titles and wait's live view. Terminal-only behaviour runs under `script` (a pty).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { BGT, type CliResult, TempHome, waitFor } from "../_helpers/bgt_home.ts";

// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;]*m/;

/** Runs a command line in a pty (util-linux `script`) and returns what the terminal showed. */
function inPty(home: TempHome, line: string, env: Record<string, string> = {}): string {
  const result = spawnSync("script", ["-qfec", line, "/dev/null"], {
    cwd: home.work,
    env: home.env(env),
    encoding: "utf8",
    timeout: 60_000,
  });
  return result.stdout ?? "";
}

/**
 * Runs bgt with these words until its stdout shows `text`, then sends it SIGINT (Ctrl-C); returns
 * its exit code (as a shell sees it: some runtimes' child_process report 130 as a signal) and
 * stderr. Job control (`set -m`) keeps SIGINT unignored in the background job.
 */
let interrupts = 0;

function interruptWhenShown(home: TempHome, words: string[], text: string): CliResult {
  // Files of their own for each call: an earlier call's "started" must not trigger this one.
  const n = ++interrupts;
  const out = join(home.dir, `interrupt-${n}.out`);
  const err = join(home.dir, `interrupt-${n}.err`);
  writeFileSync(out, "");
  writeFileSync(err, "");
  const script = `set -m; "$0" "$@" > '${out}' 2> '${err}' & p=$!
    until grep -q '${text}' '${out}' || ! kill -0 $p 2>/dev/null; do sleep 0.02; done
    kill -INT $p; wait $p; echo $?`;
  const result = spawnSync("bash", ["-c", script, BGT, ...words], {
    cwd: home.work,
    env: home.env(),
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: Number(result.stdout.trim()), stdout: "", stderr: readFileSync(err, "utf8") };
}

describe("terminal polish", () => {
  let home: TempHome;
  before(() => {
    home = TempHome.create();
    writeFileSync(join(home.work, "add.ts"), "export default (a, b) => ({ sum: a + b });\n");
  });
  after(() => home.cleanup());

  test("bgt alone prints help on stdout and exits 0 when the home has no tasks, creating none", () => {
    const result = home.bgt([]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Usage: bgt/);
    assert.equal(existsSync(join(home.dir, "home", "bgt.db")), false);
  });

  test("ls says on stderr how many rows lie past --limit; --json and -q stdout stay clean", () => {
    const ids = [1, 2, 3].map(() => home.ok(["run", "--", "sh", "-c", "exit 3"]));
    home.bgt(["wait", ...ids]);
    const table = home.bgt(["ls", "--limit", "1"]);
    assert.equal(table.stdout.trim().split("\n").length, 2, table.stdout);
    assert.match(table.stderr, /^… 2 more tasks \(use --limit\)$/m);
    const paged = home.bgt(["ls", "--limit", "1", "--offset", "1"]);
    assert.match(paged.stderr, /^… 1 more task \(use --limit\)$/m, "the rows past this page");
    const json = home.bgt(["ls", "--json", "--limit", "2"]);
    assert.equal(JSON.parse(json.stdout).length, 2);
    assert.match(json.stderr, /… 1 more task \(use --limit\)/);
    const quiet = home.bgt(["ls", "-q", "--limit", "1"]);
    assert.match(quiet.stdout, /^\d+\n$/);
    assert.equal(home.bgt(["ls", "--limit", "10"]).stderr, "", "nothing past the limit: no note");
  });

  test("ls shows a failed task's exit code in its status: failed (3)", () => {
    const id = home.ok(["run", "--", "sh", "-c", "exit 3"]);
    home.bgt(["wait", id]);
    assert.match(home.ok(["ls", "--limit", "1"]), new RegExp(`^${id}\\s+failed \\(3\\)\\s`, "m"));
  });

  test("bgt alone prints the task list on stdout with exit 0 once there are tasks", () => {
    const result = home.bgt([]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^ID\s+STATUS/);
  });

  test("run -w of a module prints its return value as JSON on stdout and exits 0", () => {
    const result = home.bgt(["run", "-w", "add.ts", "2", "3"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '{"sum":5}\n');
  });

  test("Ctrl-C in run -w says the task goes on and how to stop it, and exits 130", () => {
    const words = ["run", "-w", "--", "sh", "-c", "echo started; sleep 60"];
    const { code, stderr } = interruptWhenShown(home, words, "started");
    const match = /^bgt: task (\d+) keeps running; stop it with: bgt kill (\d+)$/m.exec(stderr);
    try {
      assert.equal(code, 130, stderr);
      assert.ok(match && match[1] === match[2], stderr);
      assert.equal(JSON.parse(home.ok(["show", match[1], "--json"])).status, "running");
    } finally {
      home.bgt(["kill", ...(match ? [match[1]] : [])]);
    }
  });

  test("Ctrl-C in logs -f says the task goes on and how to stop it, and exits 130", () => {
    const id = home.ok(["run", "--", "sh", "-c", "echo started; sleep 60"]);
    try {
      const { code, stderr } = interruptWhenShown(home, ["logs", "-f", id], "started");
      assert.equal(code, 130, stderr);
      assert.match(stderr, new RegExp(`task ${id} keeps running; stop it with: bgt kill ${id}`));
    } finally {
      home.ok(["kill", id]);
    }
  });

  test("--timeout 5 means 5 seconds, as in timeout(1)", () => {
    const id = home.ok(["run", "--timeout", "5", "--", "true"]);
    assert.equal(JSON.parse(home.ok(["show", id, "--json"])).timeoutMs, 5_000);
  });

  test("pueue and pm2 habits work as aliases, and help lists them", () => {
    const id = home.ok(["add", "--", "sh", "-c", "echo hello"]);
    home.bgt(["wait", id]);
    assert.match(home.ok(["status"]), new RegExp(`^${id}\\s+succeeded`, "m"));
    assert.equal(home.ok(["log", id]), "hello");
    assert.equal(home.ok(["follow", id]), "hello");
    const running = home.ok(["add", "--", "sleep", "60"]);
    assert.equal(home.bgt(["stop", running]).code, 0);
    assert.equal(home.bgt(["wait", running]).code !== 0, true);
    assert.equal(home.bgt(["delete", id]).code, 0);
    assert.notEqual(home.bgt(["show", id]).code, 0);
    assert.match(home.ok(["help", "stop"]), /^Usage: bgt kill/);
    assert.match(
      home.ok(["--help"]),
      /Aliases: status → ls, add → run, stop → kill, log → logs, follow → logs -f, delete → rm/,
    );
  });

  test("--color=always and FORCE_COLOR colour a pipe; --color=never wins; bad values are refused", () => {
    assert.match(home.ok(["--color=always", "ls"]), ANSI);
    assert.match(home.ok(["ls", "--color", "always"]), ANSI);
    assert.match(home.bgt(["ls"], { env: { FORCE_COLOR: "1" } }).stdout, ANSI);
    assert.doesNotMatch(
      home.bgt(["ls", "--color=never"], { env: { FORCE_COLOR: "1" } }).stdout,
      ANSI,
    );
    assert.doesNotMatch(home.ok(["ls"]), ANSI, "NO_COLOR=1 and a pipe: no colour");
    const bad = home.bgt(["ls", "--color=sometimes"]);
    assert.equal(bad.code, 2);
    assert.equal(
      bad.stderr,
      "bgt: Cannot parse --color 'sometimes': expected one of always, never, auto\n",
    );
  });

  test("on a terminal, only a non-empty NO_COLOR disables colour (no-color.org)", () => {
    assert.match(inPty(home, `${BGT} ls`, { NO_COLOR: "" }), ANSI);
    assert.doesNotMatch(inPty(home, `${BGT} ls`, { NO_COLOR: "1" }), ANSI);
  });

  test("the bash completion completes task ids, states, groups and shells via bgt __complete", () => {
    const web = home.ok(["run", "-g", "web", "--", "true"]);
    const script = join(home.dir, "bgt.bash");
    writeFileSync(script, home.ok(["completions", "bash"]));
    const complete = (...words: string[]) => {
      const line =
        `source ${script}; COMP_WORDS=(${BGT} ${words.map((w) => `'${w}'`).join(" ")}); ` +
        `COMP_CWORD=${words.length}; _bgt; printf '%s\\n' "\${COMPREPLY[@]}"`;
      const result = spawnSync("bash", ["-c", line], { env: home.env(), encoding: "utf8" });
      return result.stdout.trim().split("\n").filter(Boolean);
    };
    const ids = home.ok(["ls", "-q", "--limit", "1000"]).split("\n");
    assert.deepEqual(complete("kill", "").sort(), [...ids].sort());
    assert.ok(complete("stop", "").includes(web), "aliases complete as their command");
    assert.deepEqual(complete("ls", "--status", "su"), ["succeeded"]);
    assert.deepEqual(complete("ls", "-g", ""), ["default", "web"]);
    assert.deepEqual(complete("completions", ""), ["bash", "zsh", "fish"]);
    assert.deepEqual(complete("sta"), ["status"]);
    assert.equal(home.ok(["__complete", "groups"]), "default\nweb");
    for (const shell of ["zsh", "fish"]) {
      const text = home.ok(["completions", shell]);
      assert.match(text, /__complete \$/, shell);
      for (const kind of ["ids", "states", "groups", "shells"]) {
        assert.match(text, new RegExp(`kind=${kind}\\b|__fish_bgt_values ${kind}`), shell);
      }
    }
    assert.doesNotMatch(home.ok(["--help"]), /__complete/);
  });

  test("a command task's waiter is titled 'bgt: task N <command>', the supervisor 'bgt supervise <home>'", () => {
    const id = home.ok(["run", "--", "sleep", "60"]);
    const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, "utf8");
    let pid: number | null = null;
    waitFor(() => (pid = JSON.parse(home.ok(["show", id, "--json"])).pid) !== null);
    assert.equal(cmdline(pid!), `bgt: task ${id} sleep 60\0`);
    const supervisor = home.supervisorPids().at(-1)!;
    assert.equal(cmdline(supervisor), `bgt\0supervise\0${join(home.dir, "home")}\0`);
    home.ok(["kill", id]);
  });

  test("wait's live view on a terminal is never taller than the screen and has a summary line", () => {
    const ids = Array.from({ length: 8 }, () => home.ok(["run", "--", "sleep", "0.2"]));
    const shown = inPty(home, `stty rows 6 cols 80; ${BGT} wait ${ids.join(" ")}`);
    assert.match(shown, /\d+\/8 done · \d+ running · 0 failed/);
    // Each redraw moves up over the lines drawn before: never more than the screen's 6 - 1.
    // deno-lint-ignore no-control-regex
    const heights = [...shown.matchAll(/\x1b\[(\d+)A/g)].map((match) => Number(match[1]));
    assert.ok(heights.length > 0, "the view was drawn and erased");
    assert.ok(heights.every((height) => height <= 5), `heights ${heights}`);
    assert.match(shown, /… \d+ more: /);
  });
});
