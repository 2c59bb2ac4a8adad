/**
 * End-to-end scheduling on the compiled binary: recurring schedules, catch-up after a stopped
 * supervisor, one-off run times, dependencies, retries, timeouts, groups, keys and pinning.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { spawn } from "node:child_process";
import { BGT, liveProcessesInGroup, TempHome, waitFor } from "../_helpers/bgt_home.ts";
import { clockTime } from "../../src/schedule/local_time.ts";

/** Short grace so that timeout tests do not wait 5 s for SIGKILL. */
const ENV = { BGT_KILL_GRACE: "300ms" };

describe("bgt scheduling end to end", () => {
  let home: TempHome;
  const bgt = (words: string[]) => home.bgt(words, { env: ENV });
  const ok = (words: string[]) => {
    const result = bgt(words);
    if (result.code !== 0) throw new Error(`bgt ${words.join(" ")}: ${result.stderr}`);
    return result.stdout.trim();
  };
  const show = (id: string | number) => JSON.parse(ok(["show", String(id), "--json"]));
  const schedule = (id: string) =>
    JSON.parse(ok(["schedules", "--json"])).find((s: { id: number }) => s.id === Number(id));

  before(() => {
    home = TempHome.create();
  });
  after(() => {
    home.bgt(["daemon", "stop"]);
    home.cleanup();
  });

  test("every 2s -- date fires every 2 s, and schedules/ls --schedule show it", () => {
    const id = ok(["every", "2s", "--", "date"]);
    const created = schedule(id);
    assert.equal(created.every, "2s");
    waitFor(() => schedule(id).runs >= 2, 8_000);
    const tasks = JSON.parse(ok(["ls", "--schedule", id, "--json"]));
    assert.ok(tasks.length >= 2);
    const runAts = tasks.map((t: { runAt: string }) => Date.parse(t.runAt)).sort((
      a: number,
      b: number,
    ) => a - b);
    assert.equal(runAts[1] - runAts[0], 2000, "firings are 2 s apart, on the slot");
    waitFor(() => JSON.parse(ok(["ls", "--schedule", id, "--json"]))[0].status === "succeeded");
    assert.match(ok(["logs", String(tasks[0].id)]), /\d{2}:\d{2}:\d{2}/);
    assert.match(ok(["schedules"]), new RegExp(`^${id}\\s+2s\\s+active`, "m"));
    ok(["schedules", "rm", id]);
    assert.equal(schedule(id), undefined);
  });

  test("every day script.ts shows the next local midnight", () => {
    writeFileSync(join(home.work, "script.ts"), "export default () => 1;");
    const id = ok(["every", "day", "script.ts"]);
    const now = new Date();
    const midnight = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1);
    assert.equal(Date.parse(schedule(id).nextAt), midnight.getTime());
    ok(["schedules", "pause", id]);
    assert.equal(schedule(id).paused, true);
    assert.match(ok(["schedules"]), new RegExp(`^${id}\\s+day\\s+paused`, "m"));
    ok(["schedules", "resume", id]);
    assert.equal(Date.parse(schedule(id).nextAt), midnight.getTime());
    ok(["schedules", "rm", id]);
  });

  for (const zone of ["Europe/Berlin", "UTC"]) {
    test(`every, schedules and show print local time with its zone and distance (TZ=${zone})`, () => {
      const inZone = (words: string[]) => home.bgt(words, { env: { ...ENV, TZ: zone } });
      const created = inZone(["every", "1h", "--", "true"]);
      assert.equal(created.code, 0, created.stderr);
      const id = created.stdout.trim();
      const nextAt = Date.parse(schedule(id).nextAt);
      const next = clockTime(nextAt, zone);
      assert.match(next, zone === "UTC" ? / UTC$/ : / CES?T$/);
      assert.equal(
        created.stderr,
        `bgt: schedule ${id}, next run ${next}, in 1h00m\n`,
        "the next run is an hour away, in the zone of TZ",
      );
      const listed = inZone(["schedules"]).stdout;
      assert.match(
        listed,
        new RegExp(`^${id}\\s+1h\\s+active\\s+${next}, in (59m\\d\\ds|1h00m)`, "m"),
      );

      const task = ok(["run", "--in", "2h", "--", "true"]);
      const runAt = Date.parse(show(task).runAt);
      const shown = inZone(["show", task]).stdout;
      const runAtText = `${clockTime(runAt, zone)}, in (1h59m|2h00m)`;
      assert.match(shown, new RegExp(`^run at\\s+${runAtText}$`, "m"));
      assert.match(
        shown,
        new RegExp(`^status\\s+scheduled \\(scheduled for ${runAtText}\\)$`, "m"),
      );
      assert.match(
        shown,
        new RegExp(
          `^created\\s+${clockTime(Date.parse(show(task).createdAt), zone)}, (now|\\d+s ago)$`,
          "m",
        ),
      );
      assert.equal(show(task).runAt, new Date(runAt).toISOString(), "--json keeps ISO 8601");
      ok(["rm", task]);
      ok(["schedules", "rm", id]);
    });
  }

  test("a supervisor stopped over firings catches up once when it starts", () => {
    const id = ok(["every", "1s", "--", "true"]);
    try {
      waitFor(() => schedule(id).runs >= 1, 5_000);
      ok(["daemon", "stop"]);
      const before = schedule(id);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 3_300);
      ok(["daemon", "start"]);
      waitFor(() => schedule(id).runs >= before.runs + 1, 3_000);
      const caughtUp = schedule(id);
      // Three or more slots were missed: one run stands for them and the rest count as skipped.
      // (The next regular slot may come a moment after the catch-up, hence at most one more.)
      const skipped = caughtUp.skipped - before.skipped;
      assert.ok(skipped >= 2, `missed firings are counted as skipped (${skipped})`);
      assert.ok(caughtUp.runs - before.runs <= 2, "the missed firings run once");
    } finally {
      bgt(["schedules", "rm", id]);
    }
  });

  test("--overlap queue keeps at most one run waiting behind a long one", () => {
    const id = ok(["every", "1s", "--overlap", "queue", "--", "sleep", "30"]);
    const runs = () => JSON.parse(ok(["ls", "--schedule", id, "--json"]));
    waitFor(() => runs().some((t: { status: string }) => t.status === "running"), 8_000);
    waitFor(() => schedule(id).skipped >= 2, 8_000);
    const statuses = runs().map((t: { status: string }) => t.status).sort();
    assert.deepEqual(statuses, ["blocked", "running"], "one runs, one waits, none pile up");
    const removed = ok(["schedules", "rm", id]);
    const [running, waiting] = runs().sort((a: { id: number }, b: { id: number }) => a.id - b.id);
    assert.equal(
      removed,
      `removed schedule ${id}; canceled its waiting run #${waiting.id}; #${running.id} still runs (bgt kill ${running.id} stops it)`,
    );
    assert.equal(show(waiting.id).status, "canceled");
    assert.equal(show(running.id).status, "running", "schedules rm leaves a running run alone");
    ok(["kill", String(running.id)]);
    bgt(["wait", String(running.id)]);
  });

  test("every --keep 2 keeps the last two finished runs and removes older ones with their logs", () => {
    const id = ok(["every", "1s", "--keep", "2", "--", "echo", "hello"]);
    assert.equal(schedule(id).keep, 2);
    const runs = () => JSON.parse(ok(["ls", "--schedule", id, "--json"]));
    const firstRun = () => runs().at(-1)?.id as number | undefined;
    waitFor(() => firstRun() !== undefined, 5_000);
    const first = firstRun()!;
    waitFor(() => schedule(id).runs >= 4 && runs().every((t: { id: number }) => t.id !== first));
    ok(["schedules", "pause", id]);
    waitFor(() => runs().every((t: { status: string }) => t.status === "succeeded"));
    waitFor(() => runs().length === 2);
    const kept = runs().map((t: { id: number }) => t.id);
    const newest = JSON.parse(ok(["ls", "--json", "--limit", "1"]))[0].id;
    assert.equal(kept[0], newest, "the newest run is kept");
    for (const task of kept) assert.equal(ok(["logs", String(task)]), "hello");
    assert.match(
      bgt(["show", String(first)]).stderr,
      /Cannot find task \d+/,
      "the first run is gone",
    );
    assert.equal(existsSync(join(home.dir, "home", "logs", String(first))), false, "its logs too");
    ok(["schedules", "rm", id]);
  });

  test("every --keep refuses a count under 1", () => {
    const refused = bgt(["every", "1s", "--keep", "0", "--", "true"]);
    assert.equal(refused.code, 2);
    assert.equal(refused.stderr, "bgt: Cannot use --keep 0: it must be at least 1\n");
  });

  test("a chain a → b → c with b failing leaves c failed with a reason", () => {
    const a = ok(["run", "--", "true"]);
    const b = ok(["run", "--after", a, "--", "false"]);
    const c = ok(["run", "--after", b, "--", "true"]);
    assert.equal(bgt(["wait", c]).code !== 0, true);
    assert.equal(show(a).status, "succeeded");
    assert.equal(show(b).status, "failed");
    const shown = show(c);
    assert.equal(shown.status, "failed");
    assert.equal(shown.startedAt, null, "c never ran");
    assert.match(shown.error.message, new RegExp(`Dependency #${b} failed`));
    assert.deepEqual(shown.after, [Number(b)]);
  });

  test("a repeated --after waits for every task it names", () => {
    const a = ok(["run", "--", "true"]);
    const b = ok(["run", "--", "true"]);
    const c = ok(["run", "--", "true"]);
    const d = ok(["run", "--after", a, "--after", `${b},${c}`, "--", "true"]);
    assert.deepEqual(show(d).after, [Number(a), Number(b), Number(c)]);
  });

  test("removing a dependency fails its dependant and ends a wait on it", async () => {
    const a = ok(["run", "--in", "1h", "--", "true"]);
    const b = ok(["run", "--after", a, "--", "true"]);
    const waiting = spawn(BGT, ["wait", b], { env: home.env(ENV), stdio: "ignore" });
    const exited = new Promise<number | null>((resolve) => waiting.on("exit", resolve));
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
    ok(["rm", a]);
    const timer = setTimeout(() => waiting.kill(), 5_000);
    assert.notEqual(await exited, null, "the wait ended by itself");
    clearTimeout(timer);
    const shown = show(b);
    assert.equal(shown.status, "failed");
    assert.match(shown.error.message, new RegExp(`Dependency #${a} was removed`));
  });

  test("a diamond joins after both branches; --after-any runs after a failure", () => {
    // The top task runs until the test lets it go, so the join surely waits when shown.
    const go = join(home.work, "diamond-go");
    const top = ok(["run", "--", "sh", "-c", `while [ ! -e ${go} ]; do sleep 0.02; done`]);
    const left = ok(["run", "--after", top, "--", "true"]);
    const right = ok(["run", "--after", top, "--", "false"]);
    const joined = ok(["run", "--after", `${left},${right}`, "--after-any", "--", "true"]);
    assert.match(ok(["show", joined]), /waiting on #\d+ \((queued|running|blocked)\)/);
    writeFileSync(go, "");
    bgt(["wait", joined]);
    assert.equal(show(joined).status, "succeeded");
    assert.ok(Date.parse(show(joined).startedAt) >= Date.parse(show(right).finishedAt));
  });

  test("--retries with --backoff retries a failing command, keeping every attempt", () => {
    const counter = join(home.work, "count");
    writeFileSync(counter, "");
    const script = `echo x >> ${counter}; [ $(wc -l < ${counter}) -ge 3 ]`;
    const id = ok(["run", "--retries", "3", "--backoff", "100ms", "--", "sh", "-c", script]);
    assert.equal(bgt(["wait", id]).code, 0);
    const shown = show(id);
    assert.equal(shown.status, "succeeded");
    assert.equal(shown.attempt, 3, "failed twice, then succeeded");
    assert.equal(shown.backoffMs, 100);
  });

  test("--timeout ends a process tree that ignores SIGTERM as timed_out", () => {
    const id = ok([
      "run",
      "--timeout",
      "500ms",
      "--",
      "sh",
      "-c",
      "trap '' TERM; sleep 30 & sleep 30; wait",
    ]);
    const started = Date.now();
    bgt(["wait", id]);
    const shown = show(id);
    assert.equal(shown.status, "timed_out");
    assert.match(shown.error.message, /Timed out after 500ms/);
    assert.ok(Date.now() - started < 10_000);
    waitFor(() => liveProcessesInGroup(shown.pid).length === 0, 3_000);
  });

  test("a group with --parallel 1 runs one task at a time and show says why the next waits", () => {
    ok(["group", "set", "io", "--parallel", "1"]);
    const first = ok(["run", "-g", "io", "--", "sleep", "1"]);
    const second = ok(["run", "-g", "io", "--", "true"]);
    waitFor(() => show(first).status === "running");
    assert.match(ok(["show", second]), /group io full \(1\/1 running\)/);
    bgt(["wait", second]);
    assert.ok(Date.parse(show(second).startedAt) >= Date.parse(show(first).finishedAt));
    assert.match(ok(["group", "ls"]), /^io\s+1\s+0\s+active/m);
  });

  test("a due task it cannot start (paused group) leaves the supervisor asleep, not spinning", () => {
    ok(["group", "pause", "frozen"]);
    const id = ok(["run", "-g", "frozen", "--", "true"]);
    assert.match(ok(["show", id]), /group frozen is paused/);
    const pid = home.supervisorPids().at(-1)!;
    const cpu = () => {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks
    };
    const before = cpu();
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1_000);
    assert.ok(cpu() - before <= 5, `the supervisor used ${cpu() - before} ticks in 1 s`);
    ok(["group", "resume", "frozen"]);
    assert.equal(bgt(["wait", id]).code, 0);
  });

  test("canceling a dependency wakes the supervisor for an --after-any dependant", () => {
    const first = ok(["run", "--in", "1h", "--", "true"]);
    const second = ok(["run", "--after", first, "--after-any", "--", "true"]);
    ok(["kill", first]);
    assert.equal(bgt(["wait", second]).code, 0, "it ran without waiting for the hour");
  });

  test("a schedule whose firing is refused passes it over; the other schedules go on", async () => {
    const dep = ok(["run", "--", "true"]);
    bgt(["wait", dep]);
    // A library schedule whose template waits for a task that is then removed.
    const { connect } = await import("../../mod.ts");
    const client = await connect({ env: home.env(ENV) });
    let broken: number;
    try {
      broken = (await client.schedule({
        every: "1s",
        template: { spec: { kind: "command", argv: ["true"] }, after: [Number(dep)], env: {} },
      })).id;
    } finally {
      await client.close();
    }
    ok(["rm", dep]);
    const healthy = ok(["every", "1s", "--", "true"]);
    waitFor(() => schedule(healthy).runs >= 2, 8_000);
    assert.ok(schedule(String(broken)).skipped >= 1, "the refused firings are counted as skipped");
    ok(["schedules", "rm", healthy, String(broken)]);
  });

  test("--in schedules a task for later; a past --at is refused and stores nothing", () => {
    const id = ok(["run", "--in", "1s", "--", "true"]);
    assert.equal(show(id).status, "scheduled");
    assert.match(ok(["show", id]), /scheduled for/);
    bgt(["wait", id]);
    const shown = show(id);
    assert.equal(shown.status, "succeeded");
    // --in counts from the command's start; the row is written once the store is open (on
    // PostgreSQL, a connection later): its run time, not its creation, bounds the start.
    assert.ok(Date.parse(shown.startedAt) >= Date.parse(shown.runAt));
    assert.ok(Date.parse(shown.runAt) >= Date.parse(shown.createdAt) + 500);
    const at2020 = () =>
      JSON.parse(ok(["ls", "--json", "--limit", "1000"])).filter((t: { runAt: string }) =>
        t.runAt.startsWith("2020-01-01")
      ).length;
    const refused = bgt(["run", "--at", "2020-01-01 10:00", "--", "true"]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /^bgt: Cannot use --at '2020-01-01 10:00': .* is in the past/);
    assert.equal(at2020(), 0, "the refused task left no row");
    const late = ok(["run", "--at", "2020-01-01 10:00", "--at-past", "run", "--", "true"]);
    assert.equal(bgt(["wait", late]).code, 0);
  });

  test("--key skips a second submission while the first waits, printing the holder's id", () => {
    const first = ok(["run", "--key", "nightly", "--in", "1h", "--", "true"]);
    const second = bgt(["run", "--key", "nightly", "--", "true"]);
    assert.equal(second.stdout.trim(), first);
    assert.match(second.stderr, /holds the key/);
    const replaced = ok(["run", "--key", "nightly", "--on-key", "replace", "--", "true"]);
    assert.notEqual(replaced, first);
    assert.equal(show(first).status, "canceled");
  });

  test("--pin runs the code as submitted; an unpinned task runs the file as it is at start", () => {
    const file = join(home.work, "versioned.ts");
    writeFileSync(file, "export default () => 'v1';");
    const pinned = ok(["run", "--pin", "--in", "1s", "versioned.ts"]);
    const unpinned = ok(["run", "--in", "1s", "versioned.ts"]);
    writeFileSync(file, "export default () => 'v2';");
    bgt(["wait", pinned, unpinned]);
    assert.equal(JSON.parse(ok(["result", pinned])), "v1");
    assert.equal(JSON.parse(ok(["result", unpinned])), "v2");
  });
});
