/**
 * Issue 19, items 6 and 13: text a task controls reaches the terminal escaped, and what bgt
 * prints for a returned Error or a lost restart race reads as a user would understand it.
 *
 * 6. A name, progress message or meta value holding `ESC ]0;…BEL` (retitle) or `ESC [2J` (clear)
 *    is shown by `ls`, `show`, `wait` and the live `wait` view (on a pty, via `script`) with its
 *    control characters escaped; `--json` keeps them exact; `ls` never cuts inside an escape.
 * 13. A module task that returns (not throws) an Error: `bgt result` prints `{name, message,
 *    stack}`; a restart that lost the race to another one says the task was restarted meanwhile.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { connect } from "../../src/client/client.ts";
import { BGT, TempHome } from "../_helpers/bgt_home.ts";
import { report } from "./_reliability.ts";

const TITLE = "\x1b]0;pwned\x07";
const CLEAR = "\x1b[2J";
const HOSTILE = `${TITLE}x${CLEAR}y`;
/** A raw ESC, BEL or CSI byte: none may reach the screen from task text. */
// deno-lint-ignore no-control-regex
const RAW = /[\x07\x1b\x9b]/;
/** The live view's line with the progress message, raw (before the fix) or escaped. */
// deno-lint-ignore no-control-regex
const DRAWN = /step (\\x1b|\x1b)\]0;pwned/;

describe("task text on the terminal (issue 19, item 6)", () => {
  let home: TempHome;
  before(() => {
    home = TempHome.create();
    writeFileSync(
      join(home.work, "hostile.ts"),
      `import { context } from "bgt";
import { existsSync } from "node:fs";
export default async function hostile(release: string) {
  context.meta({ note: ${JSON.stringify(HOSTILE)} });
  context.progress(0.5, ${JSON.stringify(`step ${HOSTILE}`)});
  while (!existsSync(release)) await new Promise((resolve) => setTimeout(resolve, 20));
  return 1;
}
`,
    );
  });
  after(() => home.cleanup());

  test("ls, show and wait escape control characters; --json keeps them exact", async () => {
    const release = join(home.work, "release");
    const id = home.ok(["run", "--name", `job ${HOSTILE}`, "hostile.ts", release]);
    // The live view of `wait` needs a terminal: run it on a pty and watch its screen.
    const screen = await _liveWait(id, release);
    // deno-lint-ignore no-control-regex
    assert.doesNotMatch(screen, /\x1b\]0;|\x1b\[2J|\x07/, "the live view draws no task escapes");
    assert.match(screen, /step \\x1b\]0;pwned\\x07x\\x1b\[2Jy/, "the message shows, escaped");

    for (const words of [["ls"], ["show", id], ["wait", id], ["ls", "--color=always"]]) {
      const out = home.ok(words);
      // deno-lint-ignore no-control-regex
      const task = words.includes("--color=always") ? out.replace(/\x1b\[[0-9;]*m/g, "") : out;
      assert.doesNotMatch(task, RAW, `bgt ${words.join(" ")} prints no raw control byte`);
      assert.match(task, /job \\x1b\]0;pwned\\x07x\\x1b\[2Jy/, `bgt ${words.join(" ")}: name`);
    }
    const shown = home.ok(["show", id]);
    assert.match(shown, /step \\x1b\]0;pwned\\x07x\\x1b\[2Jy/, "show: the progress message");
    assert.match(shown, /\\u001b\]0;pwned\\u0007x\\u001b\[2Jy/, "show: the meta value");

    const json = JSON.parse(home.ok(["show", id, "--json"]));
    assert.equal(json.name, `job ${HOSTILE}`, "--json keeps the name exact");
    assert.equal(json.meta.note, HOSTILE, "--json keeps meta exact");
    assert.equal(json.progress.message, `step ${HOSTILE}`, "--json keeps the message exact");
    const listed = JSON.parse(home.ok(["ls", "--json"]));
    assert.equal(listed[0].name, `job ${HOSTILE}`);
    report("hardening_terminal", { hostileFields: 3, rawBytesShown: 0 });
  });

  test("ls never cuts a name inside an escape", () => {
    // ls gives NAME/COMMAND max(20, columns - 55) characters: 20 at COLUMNS=60 (no tty: 100).
    for (let pad = 10; pad <= 20; pad++) {
      home.ok(["run", "--name", `${"n".repeat(pad)}${CLEAR}${CLEAR}`, "--", "true"]);
    }
    home.ok(["wait"]);
    const out = spawnSync(BGT, ["ls"], {
      cwd: home.work,
      env: home.env({ COLUMNS: "60" }),
      encoding: "utf8",
    }).stdout;
    assert.doesNotMatch(out, RAW);
    for (const line of out.split("\n").filter((line) => line.includes("nnnnnnnnnn"))) {
      const name = line.split(/\s{2,}/)[2];
      assert.match(
        name,
        /^n+(\\x1b\[2J)*(\\x1b)?(\[2?J?)?…?$/,
        `the name ends on a whole escape: ${JSON.stringify(name)}`,
      );
      assert.doesNotMatch(name, /\\(x1?)?…$/, `no escape is split: ${JSON.stringify(name)}`);
    }
  });

  /**
   * Runs `bgt wait` on a pty until its live view has drawn the task's progress message (raw or
   * escaped), then creates `release` so that the task ends; returns the screen.
   */
  function _liveWait(id: string, release: string): Promise<string> {
    const child = spawn("script", ["-qfec", `${BGT} wait ${id}`, "/dev/null"], {
      cwd: home.work,
      env: { ...home.env({ TERM: "xterm", COLUMNS: "200", LINES: "40" }) },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let screen = "";
    child.stdout.setEncoding("utf8");
    return new Promise((resolve, reject) => {
      let released = false;
      child.stdout.on("data", (chunk: string) => {
        screen += chunk;
        // The view has drawn the task's message at least once: let the task end.
        if (!released && DRAWN.test(screen)) {
          released = true;
          writeFileSync(release, "");
        }
      });
      child.on("error", reject);
      child.on("close", (code) => {
        if (code === 0) resolve(screen);
        else reject(new Error(`bgt wait exited ${code}: ${screen}`));
      });
    });
  }
});

describe("what a user reads (issue 19, item 13)", () => {
  let home: TempHome;
  before(() => (home = TempHome.create()));
  after(() => home.cleanup());

  test("bgt result prints a returned Error as {name, message, stack}", () => {
    writeFileSync(
      join(home.work, "returns_error.ts"),
      `export default () => new Error("returned not thrown");\n`,
    );
    const id = home.ok(["run", "returns_error.ts"]);
    assert.equal(home.bgt(["wait", id]).code, 0);
    const result = JSON.parse(home.ok(["result", id]));
    assert.equal(Array.isArray(result), false, `not an array: ${JSON.stringify(result)}`);
    assert.equal(result.name, "Error");
    assert.equal(result.message, "returned not thrown");
    assert.equal(typeof result.stack, "string");
  });

  test("a restart that lost the race says the task was restarted meanwhile", async () => {
    const id = Number(home.ok(["run", "--", "true"]));
    assert.equal(home.bgt(["wait", String(id)]).code, 0);
    const client = await connect({ env: home.env() });
    const other = await home.openStore();
    try {
      // Another client's restart lands between this one's read and its restart.
      const read = client.get.bind(client);
      let raced = false;
      client.get = async (taskId: number) => {
        const task = await read(taskId);
        if (!raced) {
          raced = true;
          assert.ok(await other.restart(taskId), "the other restart goes first");
        }
        return task;
      };
      const [outcome] = await client.restartEach([id]);
      assert.equal(outcome.ok, false);
      const message = outcome.ok ? "" : outcome.error.message;
      assert.doesNotMatch(message, /succeeded, not finished/);
      assert.match(message, new RegExp(`^Cannot restart task ${id}: .*restarted meanwhile`));
    } finally {
      await other.close();
      await client.close();
    }
  });
});
