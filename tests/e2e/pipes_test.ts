/**
 * Output through a slow pipe: every command prints all of its output, whatever its size, when
 * the reader takes its time (`bgt … | (sleep 1; wc -c)`); before, all but the first 64 KiB (one
 * pipe buffer) was lost because bgt exited before stdout drained.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { openSqlite } from "../../src/runtime/sqlite.ts";
import type { NewTask } from "../../src/task/types.ts";
import { BGT, TempHome } from "../_helpers/bgt_home.ts";

const MIB = 1024 * 1024;

/** What a reader that sleeps a second before reading gets of `bgt words…`, and bgt's exit code. */
function throughSlowPipe(home: TempHome, words: string[]): { code: number; stdout: string } {
  const quoted = [BGT, ...words].map((word) => `'${word.replaceAll("'", `'\\''`)}'`).join(" ");
  const line = `{ ${quoted}; echo "$?" > exit_code; } | (sleep 1; cat)`;
  const result = spawnSync("sh", ["-c", line], {
    cwd: home.work,
    env: home.env(),
    encoding: "utf8",
    maxBuffer: 256 * MIB,
    timeout: 120_000,
  });
  assert.equal(result.status, 0, result.stderr);
  const code = Number(readFileSync(join(home.work, "exit_code"), "utf8"));
  return { code, stdout: result.stdout };
}

/** Adds `count` tasks waiting a day (so no supervisor runs them) straight to the home's store. */
async function addWaitingTasks(home: TempHome, count: number, firstId?: number): Promise<void> {
  home.ok(["ls"]); // creates the home and its database
  if (firstId !== undefined && home.pgSchema !== undefined) {
    home.psql(`ALTER TABLE tasks ALTER COLUMN id RESTART WITH ${firstId}`);
  } else if (firstId !== undefined) {
    // A home that has seen many tasks: long ids (so `ls -q` prints over 1 MiB sooner).
    const db = await openSqlite(join(home.dir, "home", "bgt.db"));
    db.exec(`INSERT INTO sqlite_sequence (name, seq) VALUES ('tasks', ${firstId - 1})`);
    db.close();
  }
  const store = await home.openStore();
  const runAt = Date.now() + 86_400_000;
  for (let done = 0; done < count; done += 5_000) {
    const batch: NewTask[] = Array.from({ length: Math.min(5_000, count - done) }, (_, i) => ({
      spec: { kind: "command", argv: ["echo", `a-task-with-a-long-name-number-${done + i}`] },
      runAt,
      cwd: home.work,
    }));
    await store.submit(batch);
  }
  await store.close();
}

describe("complete output through a slow pipe", () => {
  let home: TempHome;
  const LONG_ID = 1_000_000_000_000_000;
  const TASKS = 64_000;
  before(async () => {
    home = TempHome.create();
    await addWaitingTasks(home, TASKS, LONG_ID);
  });
  after(() => home.cleanup());

  test("ls --json of over 1 MiB parses whole", () => {
    const { code, stdout } = throughSlowPipe(home, ["ls", "--json", "--limit", "2000"]);
    assert.equal(code, 0);
    assert.ok(stdout.length > MIB, `${stdout.length} bytes`);
    const tasks = JSON.parse(stdout);
    assert.equal(tasks.length, 2000);
    assert.equal(tasks.at(-1).id, LONG_ID + TASKS - 2000);
  });

  test("ls of over 1 MiB prints every row", () => {
    const { code, stdout } = throughSlowPipe(home, ["ls", "--limit", "14000"]);
    assert.equal(code, 0);
    assert.ok(stdout.length > MIB, `${stdout.length} bytes`);
    const lines = stdout.trimEnd().split("\n");
    assert.equal(lines.length, 1 + 14_000);
    assert.match(lines.at(-1)!, new RegExp(`^${LONG_ID + TASKS - 14_000} `));
  });

  test("ls -q of over 1 MiB prints every id", () => {
    const { code, stdout } = throughSlowPipe(home, ["ls", "-q", "--limit", String(TASKS)]);
    assert.equal(code, 0);
    assert.ok(stdout.length > MIB, `${stdout.length} bytes`);
    const ids = stdout.trimEnd().split("\n").map(Number);
    assert.equal(ids.length, TASKS);
    assert.equal(ids.at(-1), LONG_ID);
  });

  test("a reader that stops early (head -c 100) still ends bgt", () => {
    const result = spawnSync("sh", ["-c", `'${BGT}' ls --json --limit 2000 | head -c 100`], {
      cwd: home.work,
      env: home.env(),
      encoding: "utf8",
      timeout: 60_000,
    });
    assert.equal(result.status, 0);
    assert.equal(result.stdout.length, 100);
  });
});

describe("complete output through a slow pipe, of a running supervisor", () => {
  let home: TempHome;
  let bigTask: string;
  const SIZE = 1_200_000;
  before(() => {
    home = TempHome.create();
    writeFileSync(join(home.work, "big.ts"), `export default (n: number) => "x".repeat(n);\n`);
    bigTask = home.ok(["run", "big.ts", String(SIZE)]);
    assert.equal(home.bgt(["wait", "-q", bigTask]).code, 0);
  });
  after(() => home.cleanup());

  test("result of a module task's 1.2 MB value prints it whole", () => {
    const { code, stdout } = throughSlowPipe(home, ["result", bigTask]);
    assert.equal(code, 0);
    assert.equal(JSON.parse(stdout).length, SIZE);
  });

  test("show --json of a task with a 1.2 MB result parses whole", () => {
    const { code, stdout } = throughSlowPipe(home, ["show", bigTask, "--json"]);
    assert.equal(code, 0);
    assert.equal(JSON.parse(stdout).result.length, SIZE);
  });

  test("wait --json of a task with a 1.2 MB result parses whole", () => {
    const { code, stdout } = throughSlowPipe(home, ["wait", "--json", bigTask]);
    assert.equal(code, 0);
    assert.equal(JSON.parse(stdout)[0].result.length, SIZE);
  });

  test("run --wait of a command printing 2 MB prints every byte", () => {
    const script = `head -c ${2 * SIZE} /dev/zero | tr '\\0' x`;
    const { code, stdout } = throughSlowPipe(home, ["run", "--wait", "--", "sh", "-c", script]);
    assert.equal(code, 0);
    assert.equal(stdout.length, 2 * SIZE);
    assert.match(stdout, /^x+$/);
  });
});

describe("the issue's check", () => {
  let home: TempHome;
  before(async () => {
    home = TempHome.create();
    await addWaitingTasks(home, 1_500);
  });
  after(() => home.cleanup());

  test("with 1,500 tasks, 'ls --json --limit 5000 | (sleep 1; python3 …json.load…)' parses", () => {
    const python = "import json,sys; print(len(json.load(sys.stdin)))";
    const result = spawnSync(
      "sh",
      ["-c", `'${BGT}' ls --json --limit 5000 | (sleep 1; python3 -c '${python}')`],
      { cwd: home.work, env: home.env(), encoding: "utf8" },
    );
    assert.equal(result.stderr, "");
    assert.equal(result.stdout, "1500\n");
  });
});
