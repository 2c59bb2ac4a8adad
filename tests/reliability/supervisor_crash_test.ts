/**
 * Issue 6, part 1: the supervisor is killed with SIGKILL again and again, at moments drawn from a
 * printed seed, while tasks of every kind run and print (commands, shell lines, module tasks);
 * the next client command starts a new supervisor each time. Afterwards every task is in one
 * terminal state, none vanished, every line a task printed is in its stdout, no attempt ran
 * twice, and the database passes `PRAGMA integrity_check`.
 *
 * Each task keeps its own ledger beside bgt: every run appends "<id> <run>" to `runs`, and every
 * line it prints is appended to `ledger` after it is printed — so a line in the ledger was
 * printed before any later crash, and must be found in the task's stdout.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { TempHome } from "../_helpers/bgt_home.ts";
import {
  homeIntegrity,
  isAlive,
  openHomeStore,
  pause,
  report,
  seededRandom,
  SOAK,
  suiteSeed,
} from "./_reliability.ts";

const TASKS = SOAK ? 500 : 150;
const CRASHES = SOAK ? 25 : 10;
const PARALLEL = 6;

type Kind = "command" | "failing" | "shell" | "module";

interface Planned {
  id: string;
  kind: Kind;
  lines: number;
}

/** The command and shell tasks' script: logs its run, prints numbered lines with a ledger. */
const SCRIPT = `#!/bin/sh
# cmd_task.sh LINES DELAY EXIT
dir=$(dirname "$0")
echo "$BGT_TASK_ID p$$" >> "$dir/runs"
mkdir "$dir/locks/$BGT_TASK_ID" 2>/dev/null || echo "$BGT_TASK_ID" >> "$dir/overlaps"
i=0
while [ $i -lt "$1" ]; do
  i=$((i+1))
  echo "p$$:$i"
  echo "$BGT_TASK_ID p$$:$i" >> "$dir/ledger"
  sleep "$2"
done
rmdir "$dir/locks/$BGT_TASK_ID"
exit "$3"
`;

/** The module tasks: the same, from a worker of the supervisor's pool. */
const MODULE = `import { appendFileSync } from "node:fs";
import { context } from "bgt";

export default async (lines: number, delayMs: number, dir: string) => {
  appendFileSync(dir + "/runs", context.id + " m" + context.attempt + "\\n");
  for (let i = 1; i <= lines; i++) {
    console.log("m" + context.attempt + ":" + i);
    appendFileSync(dir + "/ledger", context.id + " m" + context.attempt + ":" + i + "\\n");
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
  return lines;
};
`;

describe("supervisor crashes", () => {
  let home: TempHome;
  let env: Record<string, string>;
  const seed = suiteSeed("supervisor crashes");
  const rng = seededRandom(seed);
  const planned: Planned[] = [];
  /** stdout of running tasks right after each crash: the final stdout must start with it. */
  const snapshots = new Map<string, string>();
  let crashes = 0;

  before(() => {
    home = TempHome.create();
    env = { BGT_PARALLEL: String(PARALLEL) };
    writeFileSync(join(home.work, "cmd_task.sh"), SCRIPT);
    writeFileSync(join(home.work, "mod_task.ts"), MODULE);
    mkdirSync(join(home.work, "locks"));
    for (const name of ["runs", "ledger", "overlaps"]) writeFileSync(join(home.work, name), "");
  });
  after(() => home.cleanup());

  const logsDir = () => join(home.dir, "home", "logs");
  const stdoutOf = (id: string) => {
    const path = join(logsDir(), id, "stdout");
    return existsSync(path) ? readFileSync(path, "utf8") : "";
  };

  /** The live supervisor's pid, from the role row of the table (what clients read). */
  const currentSupervisor = async (): Promise<number | undefined> => {
    const db = await openHomeStore(home);
    try {
      const [row] = db.all<{ pid: number }>(
        "SELECT pid FROM supervisors ORDER BY started_at DESC LIMIT 1",
      );
      return row && isAlive(row.pid) ? row.pid : undefined;
    } finally {
      db.close();
    }
  };

  /** kill -9 the supervisor, then snapshot the output of every task that has some. */
  const crash = async (): Promise<boolean> => {
    const pid = await currentSupervisor();
    if (pid === undefined) return false;
    process.kill(pid, "SIGKILL");
    crashes++;
    for (const task of planned) {
      const out = stdoutOf(task.id);
      if (out.length > (snapshots.get(task.id)?.length ?? -1)) snapshots.set(task.id, out);
    }
    return true;
  };

  const submit = (kind: Kind): Planned => {
    const lines = rng.int(3, 12);
    const delay = (rng.int(10, 60) / 1000).toFixed(3);
    let words: string[];
    switch (kind) {
      case "command":
        words = ["run", "--retries", "2", "--", "sh", "cmd_task.sh", String(lines), delay, "0"];
        break;
      case "failing":
        words = ["run", "--retries", "1", "--", "sh", "cmd_task.sh", String(lines), delay, "3"];
        break;
      case "shell":
        words = [
          "run",
          "--retries",
          "2",
          "--shell",
          `sh cmd_task.sh ${lines} ${delay} 0 && echo shell-done`,
        ];
        break;
      case "module":
        words = [
          "run",
          "--retries",
          "3",
          "mod_task.ts",
          String(lines),
          String(Math.round(Number(delay) * 1000)),
          home.work,
        ];
        break;
    }
    const result = home.bgt(words, { env });
    assert.equal(result.code, 0, `bgt ${words.join(" ")}: ${result.stderr}`);
    const task = { id: result.stdout.trim(), kind, lines };
    planned.push(task);
    return task;
  };

  test(`${TASKS} tasks of mixed kinds survive ${CRASHES} kill -9s of the supervisor`, async () => {
    const started = Date.now();
    // Crashes during submission, at indices drawn from the seed; the rest during the drain.
    const duringSubmit = new Set<number>();
    while (duringSubmit.size < Math.ceil(CRASHES / 2)) duringSubmit.add(rng.int(10, TASKS - 1));
    const kinds: Kind[] = ["command", "command", "failing", "shell", "module", "module"];
    for (let i = 0; i < TASKS; i++) {
      submit(rng.pick(kinds));
      if (duringSubmit.has(i)) await crash();
    }
    while (crashes < CRASHES) {
      pause(rng.int(50, 700));
      // A client command starts a new supervisor when none runs; then it is killed again.
      if (!(await currentSupervisor())) home.bgt(["daemon", "start"], { env });
      pause(rng.int(0, 400));
      await crash();
    }
    const waited = home.bgt(["wait", "-q", ...planned.map((task) => task.id)], {
      env,
      timeoutMs: 300_000,
    });
    assert.notEqual(waited.code, 128, `bgt wait returned: ${waited.stderr}`);
    const drainedMs = Date.now() - started;
    home.bgt(["daemon", "stop"], { env });

    // Every task is in one terminal state; none vanished.
    const db = await openHomeStore(home);
    const rows = db.all<{ id: number; status: string; attempt: number; exit_code: number | null }>(
      "SELECT id, status, attempt, exit_code FROM tasks ORDER BY id",
    );
    db.close();
    const byId = new Map(rows.map((row) => [String(row.id), row]));
    assert.equal(rows.length, planned.length, "one row per submitted task, no more");
    const statuses: Record<string, number> = {};
    for (const task of planned) {
      const row = byId.get(task.id);
      assert.ok(row, `task ${task.id} vanished`);
      statuses[row.status] = (statuses[row.status] ?? 0) + 1;
      const expected = task.kind === "failing" ? ["failed", "lost"] : ["succeeded", "lost"];
      assert.ok(expected.includes(row.status), `task ${task.id} (${task.kind}) is ${row.status}`);
    }

    // No attempt ran twice: runs of a task ≤ its attempts, and no two runs overlapped.
    const runs = new Map<string, string[]>();
    for (const line of readFileSync(join(home.work, "runs"), "utf8").split("\n").filter(Boolean)) {
      const [id, run] = line.split(" ");
      runs.set(id, [...(runs.get(id) ?? []), run]);
    }
    let retried = 0;
    for (const task of planned) {
      const ran = runs.get(task.id) ?? [];
      const row = byId.get(task.id)!;
      assert.ok(ran.length <= row.attempt, `task ${task.id} ran ${ran.length}× in ${row.attempt}`);
      assert.equal(new Set(ran).size, ran.length, `task ${task.id} ran an attempt twice`);
      if (row.attempt > 1) retried++;
    }
    const overlaps = readFileSync(join(home.work, "overlaps"), "utf8").split("\n").filter(Boolean);
    assert.deepEqual(overlaps, [], "no command ran twice at once");

    // Every line a task printed (its ledger) is in its stdout; output before a crash was kept.
    const lost = { command: 0, module: 0, bytes: 0 };
    const ledger = new Map<string, string[]>();
    for (
      const line of readFileSync(join(home.work, "ledger"), "utf8").split("\n").filter(Boolean)
    ) {
      const at = line.indexOf(" ");
      const id = line.slice(0, at);
      ledger.set(id, [...(ledger.get(id) ?? []), line.slice(at + 1)]);
    }
    let bytesChecked = 0;
    const linesChecked = { command: 0, module: 0 };
    const missing = { command: [] as string[], module: [] as string[] };
    for (const task of planned) {
      const out = stdoutOf(task.id);
      bytesChecked += out.length;
      const printed = new Set(out.split("\n"));
      for (const line of ledger.get(task.id) ?? []) {
        linesChecked[task.kind === "module" ? "module" : "command"]++;
        if (printed.has(line)) continue;
        const kind = task.kind === "module" ? "module" : "command";
        lost[kind]++;
        lost.bytes += line.length + 1;
        if (missing[kind].length < 5) missing[kind].push(`${task.id} (${task.kind}): ${line}`);
      }
      const before = snapshots.get(task.id);
      if (before !== undefined) {
        assert.ok(out.startsWith(before), `task ${task.id}: output from before a crash changed`);
      }
      const row = byId.get(task.id)!;
      if (row.status === "succeeded") {
        // The successful run printed every one of its lines.
        const complete = Array.from({ length: task.lines }, (_, i) => `:${i + 1}`);
        const last = (ledger.get(task.id) ?? []).at(-1)?.split(":")[0];
        assert.ok(last, `task ${task.id} printed`);
        for (const suffix of complete) {
          assert.ok(printed.has(last + suffix), `task ${task.id} lacks ${last}${suffix}`);
        }
      }
    }

    // What each new supervisor found: tasks re-adopted alive, and tasks lost with it.
    const log = readFileSync(join(home.dir, "home", "supervisor.log"), "utf8");
    const recoveries = [...log.matchAll(/re-adopted (\d+), lost (\d+)/g)];
    const readopted = recoveries.reduce((sum, m) => sum + Number(m[1]), 0);
    const lostAtRestart = recoveries.reduce((sum, m) => sum + Number(m[2]), 0);
    const integrity = await homeIntegrity(home);

    report("supervisor crashes", {
      seed,
      tasks: planned.length,
      kinds: planned.reduce<Record<string, number>>(
        (counts, task) => ({ ...counts, [task.kind]: (counts[task.kind] ?? 0) + 1 }),
        {},
      ),
      crashes,
      supervisorsStarted: recoveries.length,
      readopted,
      lostAtRestart,
      retried,
      statuses,
      vanished: 0,
      linesLostCommand: lost.command,
      linesLostModule: lost.module,
      bytesLost: lost.bytes,
      bytesChecked,
      commandLinesChecked: linesChecked.command,
      moduleLinesChecked: linesChecked.module,
      integrity,
      wallMs: drainedMs,
    });
    assert.equal(integrity, "ok");
    assert.equal(lost.command, 0, `command output lost: ${missing.command.join("; ")}`);
    // A module task's worker writes its output itself, before console.log returns.
    assert.equal(lost.module, 0, `module output lost: ${missing.module.join("; ")}`);
    assert.ok(crashes >= CRASHES, `${crashes} crashes`);
  });
});
