/**
 * Output and control from any host (issue 14, items 4 and 5), through the binary: two
 * supervisors with their own BGT_HOME on one fresh PostgreSQL schema. Tasks that run under
 * `b` are read from `a` (`logs`, `-f` while they run, `--stderr`, `--data`, `--tail`, `--range`),
 * also after `b`'s supervisor was `kill -9`ed, and the next supervisor of `b` ships the rest;
 * `kill`, `pause`/`resume` and `send` from `a` reach them; a dead owner is a one-line error;
 * `--retain` bounds the output table.
 *
 * Hosts are told apart by their homes (the supervisors' `--host` is not on this branch). The
 * tasks meant for `b` are submitted while only `b`'s supervisor runs, and run before `a`'s starts.
 *
 * Runs only with a reachable PostgreSQL; skipped with one printed line otherwise, unless
 * BGT_REQUIRE_POSTGRES=1.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { runAsync, stopChild } from "../_helpers/processes.ts";
import { BGT, type CliResult, TempHome, TEST_POSTGRES_URL, waitFor } from "../_helpers/bgt_home.ts";
import { PgSchemas, schemaOf, skipWithoutPostgres } from "../_helpers/pg_schemas.ts";
import { until } from "../_helpers/until.ts";
import { postgresFactory } from "../store/_stores.ts";

const unreachable = await postgresFactory.unavailable();
const schemas = new PgSchemas("bgt_h");
const store = schemas.url();
const schema = schemaOf(store);
/** Every supervisor a test started here (in the foreground: not in its home's supervisor.log). */
const supervisors: ChildProcess[] = [];

/** Runs bgt in `home` on the shared store without blocking the event loop. */
function bgt(home: TempHome, words: string[]): Promise<CliResult> {
  return runAsync(BGT, words, { env: home.env({ BGT_STORE: store }), cwd: home.work });
}

/** Like bgt(), failing on a non-zero exit; its stdout. */
async function ok(home: TempHome, words: string[]): Promise<string> {
  const result = await bgt(home, words);
  assert.equal(result.code, 0, `bgt ${words.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

/** Starts `bgt supervise` in a home; its pid. */
function supervise(home: TempHome, parallel = 8): number {
  const child = spawn(BGT, ["supervise", "--parallel", String(parallel)], {
    env: home.env({ BGT_STORE: store }),
    cwd: home.work,
    stdio: "ignore",
    detached: true,
  });
  child.unref();
  supervisors.push(child);
  return child.pid!;
}

async function task(home: TempHome, id: number): Promise<Record<string, any>> {
  return JSON.parse(await ok(home, ["show", String(id), "--json"]));
}

/** Skips (or fails, BGT_REQUIRE_POSTGRES=1) when there is no PostgreSQL; true when skipped. */
function noPostgres(t: { name?: string; skip(message?: string): void }): boolean {
  return skipWithoutPostgres(t, unreachable);
}

const lines = (from: number, to: number, prefix: string) =>
  Array.from({ length: to - from + 1 }, (_, i) => `${prefix}${from + i}\n`).join("");

describe("output and control from any host (PostgreSQL)", { concurrency: false }, () => {
  let a: TempHome;
  let b: TempHome;
  let bSupervisor = 0;
  /** Tasks submitted on b: they run there. */
  const ids: Record<string, number> = {};

  before(async () => {
    if (unreachable) return;
    a = TempHome.create();
    b = TempHome.create();
    bSupervisor = supervise(b);
    await until(async () => (await bgt(b, ["daemon", "status"])).code === 0);
    const submit = async (name: string, words: string[]) => {
      ids[name] = Number((await ok(b, ["run", "--name", name, ...words])).trim());
    };
    await submit("printer", [
      "--shell",
      `for i in 1 2 3 4 5 6 7 8; do echo out$i; echo err$i >&2; echo "{\\"n\\": $i}" >&3; sleep 0.4; done`,
    ]);
    await submit("reader", [
      "--stdin",
      "--shell",
      "while read l; do echo got $l; done; echo eof",
    ]);
    await submit("sleeper", ["--", "sleep", "300"]);
    await submit("chatty", [
      "--retain",
      "1000",
      "--shell",
      "head -c 300000 /dev/zero | tr '\\0' x; echo; echo last",
    ]);
    await submit("counter", ["--shell", "echo x >> counter; echo run $(wc -l < counter)"]);
    await submit("long", [
      "--shell",
      "i=1; while [ $i -le 60 ]; do echo line$i; i=$((i+1)); sleep 0.2; done",
    ]);
    // All run under b before a's supervisor (started by a's first command) can claim any.
    await until(async () => {
      for (const id of Object.values(ids)) {
        const status = (await task(b, id)).status;
        if (status === "queued") return false;
      }
      return true;
    });
    const homeB = b.env().BGT_HOME;
    assert.equal(
      await _sql(`SELECT count(*) FROM tasks WHERE home = '${homeB}'`),
      String(Object.keys(ids).length),
    );
  });

  after(async () => {
    // Every supervisor started here (cleanup() would not find them) stops by pid, SIGTERM then
    // SIGKILL, before the schema goes.
    await Promise.all(supervisors.map((child) => stopChild(child, 30_000)));
    a?.cleanup();
    b?.cleanup();
    if (!unreachable) await schemas.dropAll(); // the schema is this suite's own
  });

  test("logs -f from a follows a task running on b, then every flag reads it", async (t) => {
    if (noPostgres(t)) return;
    const id = String(ids.printer);
    const followed = await bgt(a, ["logs", "-f", id]);
    assert.equal(followed.code, 0, followed.stderr);
    assert.equal(followed.stdout, lines(1, 8, "out"));
    assert.match(followed.stderr, /err8/);
    assert.equal(await ok(a, ["logs", id, "--stdout"]), lines(1, 8, "out"));
    assert.equal(await ok(a, ["logs", id, "--stderr"]), lines(1, 8, "err"));
    assert.equal(
      await ok(a, ["logs", id, "--data"]),
      Array.from({ length: 8 }, (_, i) => `{"n": ${i + 1}}\n`).join(""),
    );
    assert.equal(await ok(a, ["logs", id, "--tail", "2"]), "out7\nout8\n");
    assert.equal(await ok(a, ["logs", id, "--range", "5:15"]), lines(1, 8, "out").slice(5, 15));
    // a's home holds no files of it: the bytes came from the store.
    assert.equal(existsSync(join(a.env().BGT_HOME, "logs", id)), false);
  });

  test("send, pause, resume and kill from a reach tasks running on b", async (t) => {
    if (noPostgres(t)) return;
    const reader = String(ids.reader);
    await ok(a, ["send", reader, "hello"]);
    await ok(a, ["send", reader, "world", "--eof"]);
    await ok(a, ["wait", reader]);
    assert.equal(await ok(a, ["logs", reader]), "got hello\ngot world\neof\n");

    const sleeper = String(ids.sleeper);
    await ok(a, ["pause", sleeper]);
    assert.equal((await task(a, Number(sleeper))).status, "paused");
    await ok(a, ["resume", sleeper]);
    assert.equal((await task(a, Number(sleeper))).status, "running");
    await ok(a, ["kill", sleeper]);
    await ok(a, ["wait", sleeper]).catch(() => {});
    assert.equal((await task(a, Number(sleeper))).status, "canceled");
  });

  test("--retain bounds what the output table keeps of a task", async (t) => {
    if (noPostgres(t)) return;
    const id = ids.chatty;
    await bgt(a, ["wait", String(id)]);
    const kept = Number(
      await _sql(`SELECT coalesce(sum(octet_length(data)), 0) FROM output WHERE task_id = ${id}`),
    );
    assert.ok(kept > 0 && kept <= 1000 + 64 * 1024, `kept ${kept} bytes`);
    const text = await ok(a, ["logs", String(id), "--tail", "1"]);
    assert.equal(text, "last\n");
  });

  test("after kill -9 of b's supervisor: logs still read from a, control is a one-line error, the next supervisor ships the rest", async (t) => {
    if (noPostgres(t)) return;
    const id = String(ids.long);
    await until(async () => (await ok(a, ["logs", id])).includes("line3\n"));
    process.kill(bSupervisor, "SIGKILL");
    waitFor(() => !_alive(bSupervisor));
    const shipped = await ok(a, ["logs", id]);
    assert.match(shipped, /^line1\nline2\nline3\n/);
    const started = Date.now();
    const refused = await bgt(a, ["kill", id]);
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr.trim().split("\n").length, 1, refused.stderr);
    assert.match(refused.stderr, /did not answer/);
    assert.ok(Date.now() - started < 15_000);
    // b's next supervisor takes the task over and ships what is left.
    bSupervisor = supervise(b);
    await ok(a, ["wait", id]);
    assert.equal(await ok(a, ["logs", id]), lines(1, 60, "line"));
  });

  test("logs -f without an id, on a, follows a task running on b", async (t) => {
    if (noPostgres(t)) return;
    // Only b's supervisor runs while it is claimed (a's starts again with a's next command).
    await ok(a, ["daemon", "stop"]);
    const id = Number(
      (await ok(b, ["run", "--shell", "sleep 1; echo tick; sleep 1; echo tock"])).trim(),
    );
    await until(async () => (await task(b, id)).status === "running");
    assert.equal(await _sql(`SELECT home FROM tasks WHERE id = ${id}`), b.env().BGT_HOME);
    // --tail: a loaded machine may start this after "tick"; "tock" still comes by following.
    const child = spawn(BGT, ["logs", "-f", "--tail", "10"], {
      env: a.env({ BGT_STORE: store }),
      cwd: a.work,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (chunk) => (out += chunk));
    try {
      await until(() => Promise.resolve(out.includes("tock")), 20_000);
      assert.match(out, new RegExp(`^${id}\\|.*\\| tick\n${id}\\|.*\\| tock\n`, "m"));
    } finally {
      child.kill("SIGINT");
    }
  });

  test("a restart that runs on a continues the output of its attempt on b; rm deletes the stored output and the files on b", async (t) => {
    if (noPostgres(t)) return;
    const id = String(ids.counter);
    await ok(a, ["wait", id]);
    assert.equal(await ok(a, ["logs", id]), "run 1\n");
    // b stops: the restart can only run on a.
    process.kill(bSupervisor, "SIGTERM");
    waitFor(() => !_alive(bSupervisor), 20_000);
    await ok(a, ["restart", id]);
    await ok(a, ["wait", id]);
    assert.equal(await _sql(`SELECT home FROM tasks WHERE id = ${id}`), a.env().BGT_HOME);
    assert.equal(await ok(a, ["logs", id, "--stdout"]), "run 1\nrun 2\n");
    assert.equal(await ok(a, ["logs", id, "--attempt", "1"]), "run 1\n");
    assert.equal(await ok(a, ["logs", id, "--attempt", "2"]), "run 2\n");
    // From b's home (its client; its next supervisor may start): the same, from the store.
    assert.equal(await ok(b, ["logs", id, "--stdout"]), "run 1\nrun 2\n");
    assert.notEqual(await _sql(`SELECT count(*) FROM output WHERE task_id = ${id}`), "0");
    await ok(a, ["rm", id]);
    assert.equal(await _sql(`SELECT count(*) FROM output WHERE task_id = ${id}`), "0");
    // rm on a of a task that ran on b: the stored output goes with the row, and b's supervisor
    // deletes b's files.
    await bgt(b, ["daemon", "start"]);
    const printer = String(ids.printer);
    const filesOnB = join(b.env().BGT_HOME, "logs", printer);
    assert.ok(existsSync(filesOnB));
    await ok(a, ["rm", printer]);
    assert.equal(await _sql(`SELECT count(*) FROM output WHERE task_id = ${printer}`), "0");
    await until(() => Promise.resolve(!existsSync(filesOnB)), 15_000);
  });

  test("logs -f from a of a task that waits, then runs on b, follows it there", async (t) => {
    if (noPostgres(t)) return;
    // a's supervisor is full (one slot, taken) and b's stopped: the task waits.
    await ok(a, ["daemon", "stop"]);
    await ok(b, ["daemon", "stop"]);
    const aSupervisor = supervise(a, 1);
    await until(async () => (await bgt(a, ["daemon", "status"])).code === 0);
    const blocker = Number((await ok(a, ["run", "--", "sleep", "120"])).trim());
    await until(async () => (await task(a, blocker)).status === "running");
    const id = Number((await ok(a, ["run", "--shell", "sleep 0.5; echo from-b"])).trim());
    const followed = bgt(a, ["logs", "-f", String(id)]);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal((await task(a, id)).status, "queued");
    bSupervisor = supervise(b);
    const result = await followed;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "from-b\n");
    assert.equal(await _sql(`SELECT home FROM tasks WHERE id = ${id}`), b.env().BGT_HOME);
    await ok(a, ["kill", String(blocker)]);
    process.kill(aSupervisor, "SIGTERM");
  });
});

async function _sql(text: string): Promise<string> {
  const child = spawn("psql", [
    TEST_POSTGRES_URL,
    "-XAtq",
    "-c",
    `SET search_path TO "${schema}"`,
    "-c",
    text,
  ]);
  let out = "";
  child.stdout.on("data", (chunk) => (out += chunk));
  await new Promise((resolve) => child.on("close", resolve));
  return out.trim();
}

/** Whether a process runs (a zombie, ended but not reaped by its parent, does not). */
function _alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}
