/**
 * Issue 6, part 5: the bad-input catalogue, beyond the cases of tests/e2e/bad_input_test.ts.
 * Each bad input gives exactly one line on stderr (`bgt: …`) naming the problem, a non-zero exit
 * code, no stack trace, nothing on stdout — and leaves no task row behind (rows are counted in
 * the database before and after every case).
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { TempHome } from "../_helpers/bgt_home.ts";
import { assertOneLineError, countRows, report } from "./_reliability.ts";

/** `KNOWN` stands for the id of a finished task that exists. */
const KNOWN = "<known>";

const CASES: { words: string[]; error: RegExp }[] = [
  // Arguments given twice, or to the wrong kind of task.
  {
    words: ["run", "--args-json", "[1]", "job.ts", "extra"],
    error: /either after the file or with --args-json/,
  },
  { words: ["run", "--args-json", "[1]", "--", "true"], error: /--args-json is for module tasks/ },
  { words: ["run", "--shell", "--args-json", "[1]", "echo hi"], error: /not --shell/ },
  // Empty commands.
  { words: ["run", "--", ""], error: /name a module file or a command/ },
  { words: ["run", "--shell", ""], error: /name a module file or a command/ },
  // Nonexistent files and things that are not programs.
  {
    words: ["run", "/nonexistent/abs.ts"],
    error: /Cannot run \/nonexistent\/abs.ts: no such file/,
  },
  { words: ["run", "--", "/etc/passwd"], error: /Cannot run '\/etc\/passwd': command not found/ },
  { words: ["run", "--", "/tmp"], error: /Cannot run '\/tmp': command not found/ },
  // Malformed flags and values.
  { words: ["run", "--retries", "-1", "--", "true"], error: /--retries -1: it must be at least 0/ },
  { words: ["run", "--retries", "1.5", "--", "true"], error: /Cannot parse --retries '1.5'/ },
  {
    words: ["run", "--priority", "99999999999999999999", "--", "true"],
    error: /Cannot parse --priority '99999999999999999999'/,
  },
  { words: ["run", "-p"], error: /--priority <n>' argument missing/ },
  { words: ["run", "--name"], error: /--name <name>' argument missing/ },
  { words: ["run", "--env", "=V", "--", "true"], error: /Cannot parse --env '=V'/ },
  { words: ["run", "-e", "A=1", "-e", "--", "true"], error: /Cannot parse --env '--'/ },
  { words: ["logs", KNOWN, "--tail", "-3"], error: /--tail -3: it must be at least 0/ },
  { words: ["logs", KNOWN, "--tail", "abc"], error: /Cannot parse --tail 'abc'/ },
  { words: ["logs", KNOWN, "--tail", "1.5"], error: /Cannot parse --tail '1.5'/ },
  { words: ["logs", KNOWN, "--attempt", "0"], error: /--attempt 0: it must be at least 1/ },
  { words: ["ls", "--limit", "abc"], error: /Cannot parse --limit 'abc'/ },
  { words: ["ls", "--offset", "-1"], error: /--offset -1: it must be at least 0/ },
  { words: ["ls", "--status", ""], error: /Cannot parse --status ''/ },
  { words: ["ls", "--json", "extra"], error: /too many arguments for 'ls'/ },
  { words: ["show", KNOWN, KNOWN], error: /too many arguments for 'show'/ },
  { words: ["supervise", "--parallel", "0"], error: /--parallel 0: it must be at least 1/ },
  { words: ["daemon", "bogus"], error: /unknown command 'bogus'/ },
  // Unknown signals.
  { words: ["kill", "--signal", "999", KNOWN], error: /Cannot parse signal '999'/ },
  { words: ["kill", "--signal", "", KNOWN], error: /Cannot parse signal ''/ },
  { words: ["kill", "--signal", "SIGTERMX", KNOWN], error: /Cannot parse signal 'SIGTERMX'/ },
  // Malformed and unknown ids, for every command that takes one.
  { words: ["kill", "1.5"], error: /Cannot parse task id '1.5'/ },
  { words: ["rm", "99999999999999999999"], error: /Cannot parse task id '99999999999999999999'/ },
  { words: ["wait", "0"], error: /Cannot parse task id '0'/ },
  { words: ["result", "abc"], error: /Cannot parse task id 'abc'/ },
  { words: ["wait", KNOWN, "-g", "io"], error: /Cannot wait: give task ids or -g GROUP, not/ },
  { words: ["kill"], error: /Cannot kill: name the tasks/ },
  { words: ["rm"], error: /missing required argument 'ids'/ },
  { words: ["wait", KNOWN, "999"], error: /Cannot find task 999/ },
  { words: ["logs", "999", "-f"], error: /Cannot find task 999/ },
  { words: ["logs", "999", "--stderr"], error: /Cannot find task 999/ },
  { words: ["show", "999", "--json"], error: /Cannot find task 999/ },
  { words: ["pause", "999"], error: /Cannot find task 999/ },
  { words: ["resume", "999"], error: /Cannot find task 999/ },
  { words: ["restart", "999"], error: /Cannot find task 999/ },
  { words: ["meta", "999", "k=v"], error: /Cannot find task 999/ },
  { words: ["show", "999", "--attempts"], error: /Cannot find task 999/ },
  { words: ["pause", "abc"], error: /Cannot parse task id 'abc'/ },
  { words: ["schedules", "resume", "999"], error: /Cannot find schedule 999/ },
  { words: ["schedules", "rm", "999"], error: /Cannot find schedule 999/ },
  { words: ["meta", KNOWN, "novalue"], error: /Cannot parse meta 'novalue'/ },
  { words: ["completions", "tcsh"], error: /Cannot parse shell 'tcsh'/ },
  { words: ["clean", "--bogus"], error: /unknown option '--bogus'/ },
  // Requests the task's state forbids.
  // (kill of a finished task is a warning with exit 0: tests/e2e/bulk_control_test.ts)
  { words: ["pause", KNOWN], error: /Cannot pause task \d+: it is succeeded/ },
  { words: ["resume", KNOWN], error: /Cannot resume task \d+: it is succeeded/ },
];

describe("bad input catalogue", () => {
  let home: TempHome;
  let db: string;
  let known: string;
  let rows: number;
  let tried = 0;
  before(async () => {
    home = TempHome.create();
    writeFileSync(
      join(home.work, "job.ts"),
      "export default (...args: unknown[]) => args.length;\n",
    );
    mkdirSync(join(home.work, "subdir"));
    known = home.ok(["run", "--", "true"]);
    assert.equal(home.bgt(["wait", known]).code, 0);
    db = join(home.dir, "home", "bgt.db");
    rows = await countRows(db);
  });
  after(() => {
    report("bad input catalogue", { cases: tried });
    home.cleanup();
  });

  for (const { words, error } of CASES) {
    const shown = words.map((word) => (word === "" ? "''" : word)).join(" ");
    test(`bgt ${shown} fails with one line naming the problem, and leaves no row`, async () => {
      const result = home.bgt(words.map((word) => (word === KNOWN ? known : word)));
      tried++;
      assert.notEqual(result.code, 0, `exit code (stdout: ${result.stdout})`);
      assert.equal(assertOneLineError(result.stderr), undefined);
      assert.match(result.stderr, error);
      assert.equal(result.stdout, "");
      assert.equal(await countRows(db), rows, "no row left behind");
    });
  }

  test("an --args-json nested too deeply to encode fails in one line and leaves no row", async () => {
    const depth = 20_000;
    const result = home.bgt([
      "run",
      "--args-json",
      "[".repeat(depth) + "]".repeat(depth),
      "job.ts",
    ]);
    tried++;
    assert.notEqual(result.code, 0);
    assert.equal(assertOneLineError(result.stderr), undefined);
    assert.equal(result.stdout, "");
    assert.equal(await countRows(db), rows, "no row left behind");
  });

  test("an argv over ARG_MAX is refused by the system before bgt; one just under runs intact", async () => {
    // 100,000 arguments: far more than any shell line, still under ARG_MAX (2 MiB here).
    const many = Array.from({ length: 100_000 }, (_, i) => String(i % 10));
    const id = home.ok(["run", "--", "sh", "-c", 'echo "$#"', "sh", ...many]);
    assert.equal(home.bgt(["wait", id]).code, 0);
    assert.equal(home.ok(["logs", id]), "100000");
    const moduleId = home.ok(["run", "job.ts", "--", ...many]);
    assert.equal(home.bgt(["wait", moduleId]).code, 0);
    assert.equal(home.ok(["result", moduleId]), "100000");
    // Over ARG_MAX, exec itself refuses (E2BIG): bgt never runs and nothing is written.
    const huge = home.bgt([
      "run",
      "--",
      "true",
      ..."x".repeat(4096).split("").map(() => "y".repeat(1024)),
    ]);
    assert.notEqual(huge.code, 0);
    rows += 2;
    assert.equal(await countRows(db), rows, "only the two valid tasks were added");
    tried++;
  });
});
