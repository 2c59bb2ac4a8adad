/**
 * End-to-end: the compiled binary, a temporary BGT_HOME each, every process cleaned up by pid.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { liveProcessesInGroup, TempHome, waitFor } from "../_helpers/bgt_home.ts";

const MODULE = `
import { context } from "bgt";
export default function add(a: number, b: number) {
  console.log("adding", a, b);
  console.error("to stderr");
  context.progress(0.5, "half way");
  return { sum: a + b, id: context.id };
}
export function fails() { throw new TypeError("kaboom"); }
// Known only by running it (a literal export is refused at submission).
export const notAFunction = Number("3");
export function options(file: string, opts: Record<string, unknown>) { return { file, opts }; }
export function where() {
  return { cwd: process.cwd(), flag: process.env.BGT_TEST_FLAG ?? null, file: readHere() };
}
import { readFileSync } from "node:fs";
function readHere() { try { return readFileSync("here.txt", "utf8"); } catch { return null; } }
`;

describe("bgt end to end", () => {
  let home: TempHome;
  before(() => {
    home = TempHome.create();
    writeFileSync(join(home.work, "job.ts"), MODULE);
    writeFileSync(join(home.work, "broken.ts"), "export default function ( {");
  });
  after(() => home.cleanup());

  test("run prints the id alone; a module task's return value, output and progress are kept", () => {
    const id = home.ok(["run", "job.ts", "2", "3"]);
    assert.match(id, /^\d+$/);
    assert.equal(home.bgt(["wait", id]).code, 0);
    assert.deepEqual(JSON.parse(home.ok(["result", id])), { sum: 5, id: Number(id) });
    assert.equal(home.ok(["logs", id]), "adding 2 3");
    assert.equal(home.ok(["logs", id, "--stderr"]), "to stderr");
    const shown = JSON.parse(home.ok(["show", id, "--json"]));
    assert.equal(shown.status, "succeeded");
    assert.deepEqual(shown.progress, { fraction: 0.5, message: "half way" });
  });

  test("words after the file become arguments: JSON values, then one options object", () => {
    const id = home.ok(["run", "job.ts#options", "data.csv", "--epochs", "3", "--dry"]);
    home.bgt(["wait", id]);
    assert.deepEqual(JSON.parse(home.ok(["result", id])), {
      file: "data.csv",
      opts: { epochs: 3, dry: true },
    });
    const explicit = home.ok(["run", "--args-json", '[[1,2],{"k":1}]', "job.ts#options"]);
    home.bgt(["wait", explicit]);
    assert.deepEqual(JSON.parse(home.ok(["result", explicit])), { file: [1, 2], opts: { k: 1 } });
  });

  test("a module task runs in its --cwd with the environment of its submission, -e added", () => {
    const dir = join(home.work, "elsewhere");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "here.txt"), "found");
    const module = `${join(home.work, "job.ts")}#where`;
    const id = home.ok(["run", "--cwd", dir, "-e", "BGT_TEST_FLAG=on", module]);
    assert.equal(home.bgt(["wait", id]).code, 0);
    assert.deepEqual(JSON.parse(home.ok(["result", id])), { cwd: dir, flag: "on", file: "found" });
    // The next task on the same worker host has its own: the default directory, no flag.
    const next = home.ok(["run", "job.ts#where"]);
    assert.equal(home.bgt(["wait", next]).code, 0);
    assert.deepEqual(JSON.parse(home.ok(["result", next])), {
      cwd: home.work,
      flag: null,
      file: null,
    });
  });

  test("an unpinned module task runs its file as it is when it starts, on a reused worker host", () => {
    const file = join(home.work, "version.ts");
    writeFileSync(file, "export default () => 1;\n");
    const first = home.ok(["run", "version.ts"]);
    assert.equal(home.bgt(["wait", first]).code, 0);
    writeFileSync(file, "export default () => 2;\n");
    utimesSync(file, new Date(), new Date(Date.now() + 2_000)); // a clock tick is not enough
    const second = home.ok(["run", "version.ts"]);
    assert.equal(home.bgt(["wait", second]).code, 0);
    assert.deepEqual([home.ok(["result", first]), home.ok(["result", second])], ["1", "2"]);
  });

  test("a module that throws or whose export is not a function fails only its task", () => {
    const thrown = home.ok(["run", "job.ts#fails"]);
    const notFn = home.ok(["run", "job.ts#notAFunction"]);
    assert.equal(home.bgt(["wait", thrown, notFn]).code, 1);
    const error = (id: string) => JSON.parse(home.ok(["show", id, "--json"])).error;
    assert.deepEqual([error(thrown).name, error(thrown).message], ["TypeError", "kaboom"]);
    assert.match(error(notFn).message, /not a function/);
    // The supervisor lives on and still runs tasks.
    const ok = home.ok(["run", "job.ts", "1", "1"]);
    assert.equal(home.bgt(["wait", ok]).code, 0);
  });

  test("a module that lacks the export or does not parse is refused at submission", () => {
    const missing = home.bgt(["run", "job.ts#nope"]);
    assert.equal(missing.code, 2);
    assert.match(
      missing.stderr,
      /^bgt: Cannot run job.ts#nope: job.ts has no export named 'nope' \(it exports /,
    );
    const broken = home.bgt(["run", "broken.ts"]);
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /^bgt: Cannot run broken.ts: it does not parse \(/);
  });

  test("a module whose export is gone by the time it runs fails only its task, with the reason", () => {
    writeFileSync(join(home.work, "moving.ts"), "export function soon() { return 1; }");
    const id = home.ok(["run", "--in", "1s", "moving.ts#soon"]);
    writeFileSync(join(home.work, "moving.ts"), "export function later() { return 2; }");
    assert.equal(home.bgt(["wait", id]).code, 1);
    assert.match(JSON.parse(home.ok(["show", id, "--json"])).error.message, /no export 'soon'/);
  });

  test("command tasks: output, exit codes, and wait's exit code mirrors the task", () => {
    const good = home.ok(["run", "--", "sh", "-c", "echo out; echo err >&2"]);
    const bad = home.ok(["run", "--", "sh", "-c", "exit 3"]);
    assert.equal(home.bgt(["wait", good]).code, 0);
    assert.equal(home.bgt(["wait", bad]).code, 3);
    assert.equal(home.ok(["logs", good]), "out");
    assert.equal(home.ok(["logs", good, "--stderr"]), "err");
    const shown = JSON.parse(home.ok(["show", bad, "--json"]));
    assert.equal(shown.status, "failed");
    assert.equal(shown.exitCode, 3);
  });

  test("run --wait streams the output and exits with the task's code", () => {
    const result = home.bgt(["run", "--wait", "--shell", "echo one && echo two >&2; exit 4"]);
    assert.equal(result.code, 4);
    assert.equal(result.stdout, "one\n");
    assert.match(result.stderr, /^two\n/);
  });

  test("a shell line dax cannot run fails with one line on its stderr, exit code 2", () => {
    const result = home.bgt(["run", "--wait", "--shell=dax", "echo $((6*7))"]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^bgt: cannot run the shell line \(dax's shell\): .+\n/);
    assert.ok(result.stderr.split("\n").length <= 3, "no source dump, no stack");
  });

  test("arguments pass to a command literally: no shell unless --shell", () => {
    const id = home.ok(["run", "--", "printf", "%s|", "$(echo hi)", "a b", "'q'"]);
    home.bgt(["wait", id]);
    assert.equal(home.ok(["logs", id]), "$(echo hi)|a b|'q'|");
  });

  test("kill stops a running task's whole process group; wait gives 128+signal", () => {
    const id = home.ok(["run", "--", "sh", "-c", "sleep 30 & sleep 30; wait"]);
    waitFor(() => JSON.parse(home.ok(["show", id, "--json"])).pid !== null);
    const pid = JSON.parse(home.ok(["show", id, "--json"])).pid;
    home.ok(["kill", id]);
    assert.equal(home.bgt(["wait", id]).code, 143);
    const shown = JSON.parse(home.ok(["show", id, "--json"]));
    assert.equal(shown.status, "canceled");
    assert.equal(shown.signal, "SIGTERM");
    assert.deepEqual(liveProcessesInGroup(pid), [], "the task's process group is gone");
  });

  test("ls shows states in a table and as JSON with DESIGN §3 field names", () => {
    const table = home.ok(["ls"]);
    assert.match(
      table.split("\n")[0],
      /^ID\s+STATUS\s+NAME\/COMMAND\s+AGE\s+DURATION\s+CPU\s+MEM$/,
    );
    assert.match(table, /succeeded/);
    assert.match(table, /failed/);
    const rows = JSON.parse(home.ok(["ls", "--json", "--status", "failed"]));
    assert.ok(rows.length > 0 && rows.every((row: { status: string }) => row.status === "failed"));
    for (
      const key of [
        "id",
        "kind",
        "name",
        "group",
        "priority",
        "status",
        "runAt",
        "createdAt",
        "startedAt",
        "finishedAt",
        "attempt",
        "exitCode",
        "signal",
        "error",
        "meta",
      ]
    ) {
      assert.ok(key in rows[0], `ls --json has ${key}`);
    }
    assert.ok(!("result" in rows[0]), "ls --json leaves results out ('bgt result <id>' reads one)");
  });

  test("logs --tail gives the last lines; rm removes a finished task and its logs", () => {
    const id = home.ok(["run", "--", "seq", "1", "100"]);
    home.bgt(["wait", id]);
    assert.equal(home.ok(["logs", id, "--tail", "3"]), "98\n99\n100");
    home.ok(["rm", id]);
    assert.match(home.bgt(["show", id]).stderr, new RegExp(`Cannot find task ${id}`));
  });

  test("rm refuses a running task without --force", () => {
    const id = home.ok(["run", "--", "sleep", "30"]);
    waitFor(() => JSON.parse(home.ok(["show", id, "--json"])).status === "running");
    const refused = home.bgt(["rm", id]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /is running; kill it first or use --force/);
    home.ok(["rm", "--force", id]);
    assert.notEqual(home.bgt(["show", id]).code, 0);
  });

  test("daemon status --json gives pid, startedAt, running and queued", () => {
    const status = JSON.parse(home.ok(["daemon", "status", "--json"]));
    assert.equal(typeof status.pid, "number");
    assert.ok(!Number.isNaN(Date.parse(status.startedAt)));
    assert.equal(typeof status.running, "number");
    assert.equal(typeof status.queued, "number");
  });

  test("the home is 0700 and its database 0600 (on PostgreSQL: no database file)", () => {
    const dir = join(home.dir, "home");
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    if (home.pgSchema !== undefined) assert.equal(existsSync(join(dir, "bgt.db")), false);
    else assert.equal(statSync(join(dir, "bgt.db")).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, "bgt.sock")).mode & 0o777, 0o600);
  });

  test("the supervisor log names each start", () => {
    assert.match(readFileSync(join(home.dir, "home", "supervisor.log"), "utf8"), /started pid \d+/);
  });
});
