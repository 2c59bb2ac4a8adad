/**
 * Issue 12 item 12: `bgt logs` shows stdout on stdout and stderr on stderr (marked on a
 * terminal, raw when piped); `logs -f` ends with one status line on stderr and the task's exit
 * code, as `wait`; `logs -f` without an id follows every running task, each line labelled.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { BGT, TempHome } from "../_helpers/bgt_home.ts";

/** A bgt process running in the background, its output collected as it comes. */
interface Background {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves once the output (stdout + stderr) matches, or rejects when bgt exits first. */
  until: (pattern: RegExp) => Promise<void>;
  exited: Promise<number>;
}

function background(home: TempHome, words: string[]): Background {
  const child = spawn(BGT, words, { cwd: home.work, env: home.env(), stdio: "pipe" });
  let stdout = "";
  let stderr = "";
  const listeners = new Set<() => void>();
  const tell = () => listeners.forEach((listener) => listener());
  child.stdout!.on("data", (chunk) => (stdout += chunk, tell()));
  child.stderr!.on("data", (chunk) => (stderr += chunk, tell()));
  const exited = new Promise<number>((resolve) =>
    child.on("close", (code, signal) => (resolve(code ?? (signal ? 128 : 0)), tell()))
  );
  let done = false;
  void exited.then(() => (done = true));
  const until = (pattern: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (pattern.test(stdout + stderr)) {
          listeners.delete(check);
          resolve();
        } else if (done) {
          listeners.delete(check);
          reject(new Error(`bgt exited before ${pattern}: ${stdout}${stderr}`));
        }
      };
      listeners.add(check);
      check();
    });
  return { child, stdout: () => stdout, stderr: () => stderr, until, exited };
}

/** Runs a shell line under a pseudo-terminal (`script`) with `env`; what the terminal showed. */
function onTerminal(home: TempHome, line: string, env: Record<string, string>): string {
  const result = spawnSync("script", ["-qfec", line, "/dev/null"], {
    cwd: home.work,
    env,
    encoding: "utf8",
    timeout: 60_000,
  });
  return (result.stdout ?? "").replaceAll("\r\n", "\n");
}

/** The environment of a colour terminal (TempHome sets NO_COLOR). */
function colorEnv(home: TempHome): Record<string, string> {
  const env = home.env();
  delete env.NO_COLOR;
  return { ...env, TERM: "xterm" };
}

describe("logs -f", () => {
  let home: TempHome;
  before(() => (home = TempHome.create()));
  after(() => home.cleanup());

  test("logs -f of 'echo out; echo err >&2; exit 7' shows both streams, a status line, and exits 7", async () => {
    const id = home.ok([
      "run",
      "--stdin",
      "--",
      "sh",
      "-c",
      "read go; echo out; echo err >&2; exit 7",
    ]);
    const follower = background(home, ["logs", "-f", id]);
    home.ok(["send", id, "go"]);
    assert.equal(await follower.exited, 7);
    assert.equal(follower.stdout(), "out\n");
    assert.equal(follower.stderr(), `err\ntask ${id} failed (exit 7)\n`, "raw when piped");
    const succeeded = home.ok(["run", "--", "sh", "-c", "echo fine"]);
    const followed = home.bgt(["logs", "-f", succeeded]);
    assert.equal(followed.code, 0);
    assert.equal(followed.stderr, `task ${succeeded} succeeded\n`);
  });

  test("logs (without -f) prints stdout on stdout and stderr on stderr; exit 0", () => {
    const id = home.ok(["run", "--", "sh", "-c", "echo out; echo err >&2; exit 3"]);
    home.bgt(["wait", id]);
    const shown = home.bgt(["logs", id]);
    assert.deepEqual(shown, { code: 0, stdout: "out\n", stderr: "err\n" });
  });

  test("--stdout, --stderr and --data alone print that stream on stdout; several are prefixed", () => {
    const id = home.ok(["run", "--", "sh", "-c", "echo out; echo err >&2; echo '{}' >&3"]);
    home.bgt(["wait", id]);
    assert.deepEqual(home.bgt(["logs", id, "--stdout"]), { code: 0, stdout: "out\n", stderr: "" });
    assert.deepEqual(home.bgt(["logs", id, "--stderr"]), { code: 0, stdout: "err\n", stderr: "" });
    assert.deepEqual(home.bgt(["logs", id, "--data"]), { code: 0, stdout: "{}\n", stderr: "" });
    assert.equal(home.ok(["logs", id, "--stdout", "--stderr"]), "[out] out\n[err] err");
    const followed = home.bgt(["logs", "-f", id, "--stdout"]);
    assert.equal(followed.stdout, "out\n");
    assert.equal(followed.stderr, `task ${id} succeeded\n`);
  });

  test("on a terminal, stderr is red (or prefixed [err] without colour); piped it is raw", () => {
    const id = home.ok(["run", "--", "sh", "-c", "echo out; echo err >&2; exit 7"]);
    home.bgt(["wait", id]);
    const colored = onTerminal(home, `${BGT} logs -f ${id}`, colorEnv(home));
    assert.ok(colored.startsWith("out\n\x1b[31merr\x1b[39m\n"), JSON.stringify(colored));
    assert.match(colored, new RegExp(`task ${id} \\x1b\\[31mfailed\\x1b\\[0m \\(exit 7\\)\\n$`));
    const plain = onTerminal(home, `${BGT} logs ${id}`, home.env());
    assert.equal(plain, "out\n[err] err\n");
    assert.equal(home.bgt(["logs", id]).stderr, "err\n");
  });

  test("logs -f without an id follows every running task and those that start, lines labelled", async () => {
    const line = (word: string) =>
      `while :; do echo ${word}; echo ${word}-err >&2; sleep 0.1; done`;
    const alpha = home.ok(["run", "-n", "alpha", "--", "sh", "-c", line("tick")]);
    const follower = background(home, ["logs", "-f"]);
    try {
      await follower.until(new RegExp(`^${alpha}\\|alpha \\| tick$`, "m"));
      await follower.until(new RegExp(`^${alpha}\\|alpha \\| tick-err$`, "m"));
      const beta = home.ok(["run", "-n", "beta", "--", "sh", "-c", line("tock")]);
      await follower.until(new RegExp(`^${beta}\\|beta \\| tock$`, "m"));
      home.ok(["kill", beta]);
      await follower.until(new RegExp(`^task ${beta} canceled \\(SIGTERM\\)$`, "m"));
      assert.match(follower.stderr(), new RegExp(`^${alpha}\\|alpha \\| tick-err$`, "m"));
      assert.doesNotMatch(follower.stdout(), /-err/, "stderr lines stay on stderr");
      home.ok(["kill", alpha]);
    } finally {
      follower.child.kill("SIGINT");
      await follower.exited;
    }
  });

  test("logs without an id or -f is refused in one line", () => {
    const result = home.bgt(["logs"]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^bgt: Cannot show logs: give a task id, or -f alone/);
    assert.equal(result.stderr.trim().split("\n").length, 1);
  });
});
