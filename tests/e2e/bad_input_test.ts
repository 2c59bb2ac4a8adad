/**
 * Bad input gets one clear line on stderr that names the problem, a non-zero exit, no stack
 * trace, and leaves no task row behind.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { TempHome } from "../_helpers/bgt_home.ts";
import { skipWithReason } from "../_helpers/skip.ts";

const CASES: { words: string[]; error: RegExp }[] = [
  { words: ["show", "999"], error: /Cannot find task 999: no such id/ },
  { words: ["logs", "999"], error: /Cannot find task 999/ },
  { words: ["result", "999"], error: /Cannot find task 999/ },
  { words: ["wait", "999"], error: /Cannot find task 999/ },
  { words: ["kill", "999"], error: /Cannot find task 999/ },
  { words: ["rm", "999"], error: /Cannot find task 999/ },
  { words: ["show", "abc"], error: /Cannot parse task id 'abc'/ },
  { words: ["run", "missing.ts"], error: /Cannot run missing.ts: no such file/ },
  { words: ["run"], error: /name a module file or a command/ },
  { words: ["run", "--bogus", "x.ts"], error: /unknown option '--bogus'/ },
  { words: ["run", "--priority", "high", "--", "true"], error: /Cannot parse --priority 'high'/ },
  { words: ["run", "--env", "NOEQUALS", "--", "true"], error: /Cannot parse --env 'NOEQUALS'/ },
  { words: ["run", "--args-json", "[1,", "job.ts"], error: /Cannot parse --args-json/ },
  { words: ["run", "--args-json", "{}", "job.ts"], error: /expected a JSON array/ },
  {
    words: ["run", "--cwd", "/nonexistent/dir", "--", "true"],
    error: /--cwd \/nonexistent\/dir does not exist/,
  },
  { words: ["run", "job.ts#1x"], error: /Cannot parse module target/ },
  {
    words: ["run", "--", "no-such-command-xyz"],
    error: /Cannot run 'no-such-command-xyz': command not found/,
  },
  { words: ["run", "--", "./missing.sh"], error: /Cannot run '.\/missing.sh': command not found/ },
  { words: ["kill", "--signal", "NOPE", "1"], error: /Cannot parse signal 'NOPE'/ },
  { words: ["ls", "--status", "sleeping"], error: /Cannot parse --status 'sleeping'/ },
  { words: ["ls", "--limit", "0"], error: /--limit 0: it must be at least 1/ },
  { words: ["lss"], error: /unknown command 'lss'.*Did you mean ls\?/s },
  // Scheduling (issue 4): each refused at submission, pointing at the bad part.
  { words: ["every", "61 * * * *", "--", "true"], error: /minute field '61' is out of range/ },
  { words: ["every", "fortnightly", "--", "true"], error: /Invalid schedule 'fortnightly'/ },
  { words: ["every", "0 0 30 2 *", "--", "true"], error: /Invalid cron pattern '0 0 30 2 \*'/ },
  {
    words: ["every", "day", "--tz", "Mars/Olympus", "--", "true"],
    error: /Unknown time zone 'Mars\/Olympus'/,
  },
  { words: ["every", "day"], error: /Cannot every: name a module file or a command/ },
  { words: ["every", "day", "--bogus", "x", "--", "true"], error: /option '--bogus'/ },
  {
    words: ["every", "1s", "--overlap", "sometimes", "--", "true"],
    error: /Cannot parse --overlap 'sometimes'/,
  },
  { words: ["every", "1s", "--max-runs", "0", "--", "true"], error: /--max-runs 0/ },
  {
    words: ["every", "day", "--stop-at", "2020-01-01", "--", "true"],
    error: /--stop-at: it comes before the first firing/,
  },
  { words: ["run", "--in", "10 parsecs", "--", "true"], error: /unknown unit 'parsecs'/ },
  { words: ["run", "--at", "tomorow 9am", "--", "true"], error: /Cannot read date 'tomorow 9am'/ },
  { words: ["run", "--at", "2020-01-01 10:00", "--", "true"], error: /is in the past/ },
  { words: ["run", "--at", "2027-02-30 10:00", "--", "true"], error: /2027-02-30/ },
  {
    words: ["run", "--in", "1m", "--at", "tomorrow", "--", "true"],
    error: /--in and --at together/,
  },
  {
    words: ["run", "--timeout", "soon", "--", "true"],
    error: /Cannot use --timeout: Invalid duration/,
  },
  { words: ["run", "--backoff", "-5s", "--", "true"], error: /Cannot use --backoff/ },
  { words: ["run", "--after", "999", "--", "true"], error: /Cannot wait for task 999: no such id/ },
  { words: ["run", "--after", "1,x", "--", "true"], error: /Cannot parse task id 'x'/ },
  { words: ["run", "--after-any", "--", "true"], error: /--after-any without --after/ },
  { words: ["run", "--on-key", "replace", "--", "true"], error: /--on-key without --key/ },
  { words: ["run", "--pin", "--", "true"], error: /--pin: it is for module tasks/ },
  {
    words: ["group", "set", "io", "--parallel", "0"],
    error: /--parallel 0: it must be at least 1/,
  },
  { words: ["schedules", "pause", "999"], error: /Cannot find schedule 999/ },
  { words: ["ls", "--schedule", "x"], error: /Cannot parse schedule id 'x'/ },
];

describe("bad input", () => {
  let home: TempHome;
  before(() => {
    home = TempHome.create();
    writeFileSync(join(home.work, "job.ts"), "export default () => 1;");
    home.bgt(["ls"]);
  });
  after(() => home.cleanup());

  for (const { words, error } of CASES) {
    test(`bgt ${words.join(" ")} fails with one clear line`, () => {
      const result = home.bgt(words);
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, error);
      assert.match(result.stderr, /^bgt: /);
      assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
      assert.equal(result.stdout, "");
    });
  }

  test("no bad input left a task or a schedule behind", () => {
    assert.equal(home.ok(["ls"]), "no tasks");
    assert.match(home.ok(["schedules"]), /^no schedules/);
  });

  test("an unwritable BGT_HOME is named in the error", (t) => {
    const locked = join(home.dir, "locked");
    mkdirSync(locked, { mode: 0o500 });
    chmodSync(locked, 0o500);
    // Permission bits do not stop root; the immutable attribute does (ext4, xfs, btrfs).
    const asRoot = process.getuid?.() === 0;
    if (asRoot && spawnSync("chattr", ["+i", locked]).status !== 0) {
      return skipWithReason(t, "running as root, and chattr +i is refused here");
    }
    try {
      const result = home.bgt(["ls"], { env: { BGT_HOME: join(locked, "home") } });
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /Cannot use BGT_HOME .*locked\/home/);
    } finally {
      if (asRoot) spawnSync("chattr", ["-i", locked]);
    }
  });

  test("a BGT_HOME below a file is named in the error", () => {
    const result = home.bgt(["ls"], { env: { BGT_HOME: "/dev/null/bgt" } });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /^bgt: Cannot use BGT_HOME \/dev\/null\/bgt: ENOTDIR/);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  });
});
