/**
 * Issue 12, item 9: `--shell` runs its line with `sh -c` — loops, `if`, `$(…)`, `2>&1 |`,
 * heredocs, `&` with `wait`, and `>&3` to the data stream — as pueue and task-spooler do; dax's
 * cross-platform shell stays as `--shell=dax`, and a shell row stored before the choice existed
 * still runs under dax. Through the compiled binary, the home cleaned up.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { TempHome, waitFor } from "../_helpers/bgt_home.ts";

describe("--shell runs the line with sh -c; --shell=dax with dax", () => {
  let home: TempHome;
  before(() => {
    home = TempHome.create();
  });
  after(() => home.cleanup());

  /** Runs the line with `run --shell` (or these words), waits; returns the id and wait's code. */
  const runLine = (line: string, words = ["--shell"]) => {
    const id = home.ok(["run", ...words, line]);
    return { id, code: home.bgt(["wait", id]).code };
  };
  const show = (id: string) => JSON.parse(home.ok(["show", id, "--json"]));

  test("bgt run --shell 'for i in 1 2 3; do echo n$i; done' logs three lines", () => {
    const { id, code } = runLine("for i in 1 2 3; do echo n$i; done");
    assert.equal(code, 0);
    assert.equal(home.ok(["logs", id]), "n1\nn2\nn3");
    assert.equal(show(id).shell, "sh");
  });

  const LINES: { what: string; line: string; stdout: string }[] = [
    { what: "$(…)", line: 'echo "sum=$(expr 2 + 3)"', stdout: "sum=5" },
    { what: "$((…))", line: "echo $((6 * 7))", stdout: "42" },
    {
      what: "if/then/else",
      line: 'if [ -n "$BGT_TASK_ID" ]; then echo has-id; else echo none; fi',
      stdout: "has-id",
    },
    {
      what: "2>&1 | into a pipe",
      line: "(echo out; echo err >&2) 2>&1 | sort",
      stdout: "err\nout",
    },
    { what: "a heredoc", line: "cat <<EOF\nline one\nline two\nEOF", stdout: "line one\nline two" },
    { what: "& and wait", line: "(echo bg) & wait; echo after", stdout: "bg\nafter" },
  ];
  for (const { what, line, stdout } of LINES) {
    test(`--shell runs ${what}`, () => {
      const { id, code } = runLine(line);
      assert.equal(code, 0, home.ok(["logs", id, "--stderr"]));
      assert.equal(home.ok(["logs", id]), stdout);
    });
  }

  test("the README's fd-3 example writes a record to the data stream", () => {
    const { id, code } = runLine(`echo '{"rows": 120}' >&3`);
    assert.equal(code, 0, home.ok(["logs", id, "--stderr"]));
    assert.equal(home.ok(["logs", id, "--data"]), '{"rows": 120}');
  });

  test("--shell takes progress records on fd 3, as a command does", () => {
    const { id, code } = runLine(`echo '{"progress": 0.5, "message": "half"}' >&3`);
    assert.equal(code, 0);
    assert.equal(show(id).progress.fraction, 0.5);
  });

  test("a line's exit code is the task's; its stderr is kept apart", () => {
    const { id, code } = runLine("echo to-err >&2; exit 7");
    assert.equal(code, 7);
    assert.equal(home.ok(["logs", id, "--stderr"]), "to-err");
  });

  test("--shell=dax runs the line in dax's shell", () => {
    const { id, code } = runLine("echo one && echo two", ["--shell=dax"]);
    assert.equal(code, 0);
    assert.equal(home.ok(["logs", id]), "one\ntwo");
    assert.equal(show(id).shell, "dax");
    // Arithmetic expansion is sh's, not dax's: dax refuses it, which tells which shell ran.
    const refused = runLine("echo $((6*7))", ["--shell=dax"]);
    assert.equal(refused.code, 2);
    assert.match(
      home.ok(["logs", refused.id, "--stderr"]),
      /^bgt: cannot run the shell line \(dax's shell\)/,
    );
  });

  test("a shell row stored before --shell=dax existed (no shell named) still runs under dax", async () => {
    home.ok(["ls"]); // the home and its database
    const store = await home.openStore();
    let id: number;
    try {
      [{ id }] = await store.submit([{
        spec: { kind: "shell", line: "echo $((6*7))" },
        env: home.env(),
        cwd: home.work,
      }]);
    } finally {
      await store.close();
    }
    assert.equal(home.bgt(["wait", String(id)]).code, 2);
    assert.match(home.ok(["logs", String(id), "--stderr"]), /dax's shell/);
    assert.equal(show(String(id)).shell, "dax");
  });

  test("--shell=NAME other than sh or dax is refused in one line, and a word after --shell is the line", () => {
    const refused = home.bgt(["run", "--shell=zsh", "echo hi"]);
    assert.equal(refused.code, 2);
    assert.equal(
      refused.stderr,
      "bgt: Cannot parse --shell=zsh: expected --shell=sh or --shell=dax\n",
    );
    // A word written apart after --shell is the line's first word, not a shell's name.
    const { id, code } = runLine("echo", ["--shell", "printf"]);
    assert.equal(code, 0);
    assert.equal(show(id).line, "printf echo");
    assert.equal(home.ok(["logs", id]), "echo");
  });

  test("bgt every … --shell fires the line with sh -c", () => {
    const schedule = home.ok(["every", "1s", "--shell", "for i in 1 2 3; do echo n$i; done"]);
    try {
      let ids: string[] = [];
      waitFor(() => {
        ids = home.ok(["ls", "--schedule", schedule, "-q"]).split("\n").filter(Boolean);
        return ids.length > 0;
      });
      assert.equal(home.bgt(["wait", ids.at(-1)!]).code, 0);
      assert.equal(home.ok(["logs", ids.at(-1)!]), "n1\nn2\nn3");
    } finally {
      home.ok(["schedules", "rm", schedule]);
    }
  });

  test("run --help shows --shell[=dax] and says it runs sh -c", () => {
    const help = home.ok(["run", "--help"]);
    assert.match(help, /--shell\[=dax\]\s+run the words as one shell line with sh -c/);
  });
});
