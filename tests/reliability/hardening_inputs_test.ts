/**
 * Issue 19, items 8, 9, 11 and 12: a socket shared by two homes is refused, a stopped supervisor
 * is reported instead of waited on for ever, special files named like modules are refused, and
 * bad input (`--retain 1.5`, an export that is not a function, a `--cwd` the user cannot enter)
 * is refused at submission, each in one line, with a non-zero exit and no row stored.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { bgtHome } from "../../src/store/home.ts";
import { BGT, TempHome } from "../_helpers/bgt_home.ts";
import { skipWithReason } from "../_helpers/skip.ts";
import { assertOneLineError, liveSupervisor, openHomeStore } from "./_reliability.ts";

/** The number of task rows in the home's store. */
async function rowCount(home: TempHome): Promise<number> {
  const db = await openHomeStore(home);
  try {
    return Number(db.all<{ n: number }>("SELECT count(*) AS n FROM tasks")[0].n);
  } finally {
    db.close();
  }
}

/** Asserts a refusal: non-zero exit, one `bgt: ` line matching `error`. */
function assertRefused(result: { code: number; stdout: string; stderr: string }, error: RegExp) {
  assert.notEqual(result.code, 0, `accepted: ${result.stdout.trim()}`);
  assert.equal(assertOneLineError(result.stderr), undefined);
  assert.match(result.stderr, error);
}

describe("issue 19: special files and bad input refused at submission (items 11, 12)", () => {
  let home: TempHome;
  before(() => {
    home = TempHome.create();
    writeFileSync(
      join(home.work, "m.ts"),
      "export const notfn: number = 2;\nexport class Job {}\nexport const fn = () => 1;\n" +
        "export default function () { return 1; }\n",
    );
    symlinkSync("/dev/zero", join(home.work, "zero.ts"));
    const fifo = spawnSync("mkfifo", [join(home.work, "fifo.ts")]);
    assert.equal(fifo.status, 0, "mkfifo");
    home.ok(["ls"]);
  });
  after(() => home.cleanup());

  const CASES: { words: string[]; error: RegExp }[] = [
    { words: ["run", "zero.ts"], error: /Cannot run zero.ts: it is not a regular file/ },
    { words: ["run", "fifo.ts"], error: /Cannot run fifo.ts: it is not a regular file/ },
    { words: ["run", "--retain", "1.5", "--", "true"], error: /--retain '1.5'.*whole number/ },
    { words: ["run", "m.ts#notfn"], error: /m.ts#notfn: its export 'notfn' is not a function/ },
    { words: ["run", "m.ts#Job"], error: /m.ts#Job: its export 'Job' is not a function/ },
  ];
  for (const { words, error } of CASES) {
    test(`bgt ${words.join(" ")} is refused in one line, with no row`, async () => {
      const rows = await rowCount(home);
      // A bound, so that today's endless read of /dev/zero or of the FIFO fails the test.
      assertRefused(home.bgt(words, { timeoutMs: 20_000 }), error);
      assert.equal(await rowCount(home), rows);
    });
  }

  test("a function export and a whole --retain are still accepted", () => {
    assert.match(home.ok(["run", "--retain", "1.5KiB", "m.ts#fn"]), /^\d+$/);
  });

  test("a --cwd the (non-root) user cannot enter is refused in one line, with no row", async (t) => {
    if (process.getuid?.() !== 0) {
      return skipWithReason(t, "needs root to run bgt as another user (nobody) with setpriv");
    }
    if (spawnSync("setpriv", ["--version"]).status !== 0) {
      return skipWithReason(t, "setpriv is not available to run bgt as another user");
    }
    const other = TempHome.create();
    try {
      spawnSync("chown", ["-R", "65534:65534", other.dir]);
      const locked = join(other.work, "locked");
      mkdirSync(locked, { mode: 0o700 });
      chownSync(locked, 0, 0);
      chmodSync(locked, 0o700);
      const asNobody = (words: string[]) => {
        const result = spawnSync(
          "setpriv",
          ["--reuid=65534", "--regid=65534", "--clear-groups", BGT, ...words],
          { cwd: other.work, env: other.env(), encoding: "utf8", timeout: 60_000 },
        );
        return { code: result.status ?? 128, stdout: result.stdout, stderr: result.stderr };
      };
      const first = asNobody(["ls"]);
      assert.equal(first.code, 0, first.stderr);
      const rows = await rowCount(other);
      assertRefused(
        asNobody(["run", "--cwd", locked, "--", "true"]),
        /--cwd .*locked cannot be entered/,
      );
      assert.equal(await rowCount(other), rows);
    } finally {
      other.cleanup();
    }
  });
});

describe("issue 19: a stopped supervisor is reported, not waited on (item 9)", () => {
  let home: TempHome;
  before(() => {
    home = TempHome.create();
    home.ok(["daemon", "start"]);
  });
  after(() => home.cleanup());

  test("daemon status, kill and daemon stop say in one line that it does not respond", () => {
    const id = home.ok(["run", "--", "sleep", "1000"]);
    const pid = liveSupervisor(home);
    assert.ok(pid, "no supervisor");
    process.kill(pid, "SIGSTOP");
    try {
      for (const words of [["daemon", "status"], ["kill", id], ["daemon", "stop"]]) {
        // A bound, so that today's endless wait fails the test instead of hanging it.
        assertRefused(home.bgt(words, { timeoutMs: 30_000 }), /does not respond/);
      }
    } finally {
      process.kill(pid, "SIGCONT");
    }
    assert.equal(liveSupervisor(home), pid, "the supervisor was stopped by a refused request");
    home.ok(["kill", id]);
  });

  test("wait still waits longer than a prompt answer's timeout", () => {
    const id = home.ok(["run", "--", "sleep", "7"]);
    const result = home.bgt(["wait", id]);
    assert.equal(result.code, 0, result.stderr);
  });
});

describe("issue 19: two homes never share one supervisor (item 8)", () => {
  test("a long home's socket is named by a collision-free hash, one per home", () => {
    const long = "/tmp/" + "h".repeat(120);
    const [a, b] = [bgtHome({ BGT_HOME: `${long}/a` }), bgtHome({ BGT_HOME: `${long}/b` })];
    assert.notEqual(a.socket, b.socket);
    assert.match(basename(a.socket), /^[0-9a-f]{32,}\.sock$/);
  });

  test("a client refuses the supervisor of another home on its socket, in one line", () => {
    const a = TempHome.create();
    const b = TempHome.create();
    try {
      a.ok(["daemon", "start"]);
      const pid = liveSupervisor(a);
      b.ok(["ls"]);
      b.ok(["daemon", "stop"]);
      // B's socket leads to A's supervisor (a stale or planted socket, as a collision would).
      symlinkSync(join(a.dir, "home", "bgt.sock"), join(b.dir, "home", "bgt.sock"));
      for (const words of [["daemon", "status"], ["daemon", "stop"], ["wait"]]) {
        assertRefused(b.bgt(words, { timeoutMs: 30_000 }), /serves the home .*, not /);
      }
      assert.equal(liveSupervisor(a), pid, "B's 'daemon stop' stopped A's supervisor");
    } finally {
      b.cleanup();
      a.cleanup();
    }
  });
});
