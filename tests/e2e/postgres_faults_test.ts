/**
 * bgt on PostgreSQL, through the binary (issue 13, "Done means"): the walkthrough (`bgt run` of
 * a module, a command and a failing command; wait, logs, result; the rows in PostgreSQL and no
 * bgt.db; a kill -9 of the supervisor while a task prints loses no line), PostgreSQL going away
 * mid-run (a TCP proxy between bgt and the server that the test closes and reopens: clients get
 * one line while it is down, the same supervisor goes on when it is back and loses nothing),
 * and a store that cannot be used (an unknown role, host or database: one line naming it).
 *
 * Runs only with a reachable PostgreSQL (BGT_TEST_POSTGRES_URL, else 127.0.0.1:5432); skipped
 * with one printed line otherwise, unless BGT_REQUIRE_POSTGRES=1.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { runAsync } from "../_helpers/processes.ts";
import { BGT, type CliResult, TempHome, TEST_POSTGRES_URL } from "../_helpers/bgt_home.ts";
import { PgSchemas, schemaOf, skipWithoutPostgres } from "../_helpers/pg_schemas.ts";
import { TcpProxy } from "../_helpers/tcp_proxy.ts";
import { until } from "../_helpers/until.ts";
import { postgresFactory } from "../store/_stores.ts";

const unreachable = await postgresFactory.unavailable();
const schemas = new PgSchemas("bgt_f");

/** Runs bgt without blocking the event loop (the proxy must go on forwarding meanwhile). */
function bgt(home: TempHome, store: string, words: string[]): Promise<CliResult> {
  return runAsync(BGT, words, { env: home.env({ BGT_STORE: store }), cwd: home.work });
}

/** Like `bgt`, failing the test on a non-zero exit; its trimmed stdout. */
async function ok(home: TempHome, store: string, words: string[]): Promise<string> {
  const result = await bgt(home, store, words);
  assert.equal(result.code, 0, `bgt ${words.join(" ")}: ${result.stderr}`);
  return result.stdout.trim();
}

/** The lines a failed command printed: exactly one, naming the cause, no stack. */
function oneLine(result: CliResult, pattern: RegExp) {
  assert.notEqual(result.code, 0, `exit code of: ${result.stdout}`);
  const lines = result.stderr.split("\n").filter(Boolean);
  assert.equal(lines.length, 1, `one line: ${result.stderr}`);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(result.stderr, /\n\s+at |Error:/);
}

describe("bgt on PostgreSQL", () => {
  const homes: TempHome[] = [];
  const newHome = () => {
    const home = TempHome.create();
    homes.push(home);
    return home;
  };
  // The supervisors of these homes end (by pid) before the schemas go.
  after(async () => {
    for (const home of homes) home.cleanup();
    if (unreachable === undefined) await schemas.dropAll();
  });

  /** Skips (or fails, BGT_REQUIRE_POSTGRES=1) when there is no PostgreSQL; true when skipped. */
  const noPostgres = (t: { name?: string; skip(message?: string): void }) =>
    skipWithoutPostgres(t, unreachable);

  test("the walkthrough: run, wait, logs, result; rows in PostgreSQL, no bgt.db; kill -9 loses no line", async (t) => {
    if (noPostgres(t)) return;
    const home = newHome();
    const store = schemas.url();
    const schema = schemaOf(store);
    writeFileSync(
      join(home.work, "fn.ts"),
      'export default (a: number, b: number) => {\n  console.log("adding", a, b);\n  return a + b;\n};\n',
    );
    const sum = await ok(home, store, ["run", "fn.ts", "2", "3"]);
    const hello = await ok(home, store, ["run", "--", "echo", "hello"]);
    const failing = await ok(home, store, ["run", "--", "sh", "-c", "echo oops >&2; exit 3"]);

    const waited = await bgt(home, store, ["wait", sum, hello, failing]);
    assert.equal(waited.code, 3, `wait: the worst code: ${waited.stderr}`);
    assert.match(waited.stdout, new RegExp(`^${hello} succeeded \\(exit 0\\)`, "m"));
    assert.match(waited.stdout, new RegExp(`^${failing} failed \\(exit 3\\)`, "m"));
    assert.match(waited.stdout, new RegExp(`^${sum} succeeded`, "m"));
    assert.equal(await ok(home, store, ["logs", sum]), "adding 2 3");
    assert.equal(await ok(home, store, ["result", sum]), "5");
    assert.equal(await ok(home, store, ["logs", hello]), "hello");
    const failed = await bgt(home, store, ["logs", failing]);
    assert.equal(failed.stderr.trim(), "oops");

    // The rows are in PostgreSQL, and the home holds no database of its own.
    const sql = (await import("postgres")).default(TEST_POSTGRES_URL, { max: 1 });
    try {
      const rows = await sql.unsafe(
        `SELECT id, status, exit_code FROM "${schema}".tasks ORDER BY id`,
      );
      assert.deepEqual(
        rows.map((row) => [String(row.id), row.status, row.exit_code]),
        [[sum, "succeeded", null], [hello, "succeeded", 0], [failing, "failed", 3]],
      );
    } finally {
      await sql.end({ timeout: 1 });
    }
    assert.equal(existsSync(join(home.dir, "home", "bgt.db")), false, "no bgt.db in BGT_HOME");

    // kill -9 of the supervisor while a task prints: no line lost, the task re-adopted.
    const printer = await ok(home, store, [
      "run",
      "--",
      "sh",
      "-c",
      "i=0; while [ $i -lt 30 ]; do i=$((i+1)); echo line$i; sleep 0.05; done",
    ]);
    const stdout = join(home.dir, "home", "logs", printer, "stdout");
    await until(() => existsSync(stdout) && readFileSync(stdout, "utf8").includes("line3\n"));
    const pid = JSON.parse(await ok(home, store, ["daemon", "status", "--json"])).pid;
    process.kill(pid, "SIGKILL");
    const after = await bgt(home, store, ["wait", printer]);
    assert.equal(after.code, 0, `wait after the crash: ${after.stdout}${after.stderr}`);
    const lines = (await ok(home, store, ["logs", printer])).split("\n");
    assert.deepEqual(lines, Array.from({ length: 30 }, (_, i) => `line${i + 1}`));
    const log = readFileSync(join(home.dir, "home", "supervisor.log"), "utf8");
    assert.match(log, /re-adopted 1, lost 0/);
    await ok(home, store, ["daemon", "stop"]);
  });

  test("PostgreSQL going away mid-run: one line for clients; the supervisor goes on after", async (t) => {
    if (noPostgres(t)) return;
    const home = newHome();
    const proxy = new TcpProxy();
    await proxy.up();
    try {
      const store = proxy.url(schemas.url());
      await ok(home, store, ["daemon", "start"]);
      const supervisor = JSON.parse(await ok(home, store, ["daemon", "status", "--json"])).pid;
      const before = await ok(home, store, ["run", "--", "echo", "before"]);
      assert.match(await ok(home, store, ["wait", before]), /succeeded/);
      // A task that runs through the outage, printing before, during and after it.
      const through = await ok(home, store, [
        "run",
        "--",
        "sh",
        "-c",
        "echo a; sleep 2; echo b; sleep 2; echo c",
      ]);
      const stdout = join(home.dir, "home", "logs", through, "stdout");
      await until(() => existsSync(stdout) && readFileSync(stdout, "utf8").includes("a\n"));

      await proxy.down();
      oneLine(
        await bgt(home, store, ["list"]),
        new RegExp(`^bgt: Cannot reach the store postgres://[^ ]*127\\.0\\.0\\.1:${proxy.port}/`),
      );
      oneLine(await bgt(home, store, ["run", "--", "true"]), /^bgt: Cannot reach the store /);
      await new Promise((resolve) => setTimeout(resolve, 3_000)); // the task finishes meanwhile
      await proxy.up();

      const afterId = await ok(home, store, ["run", "--", "echo", "after"]);
      const waited = await bgt(home, store, ["wait", through, afterId]);
      assert.equal(waited.code, 0, `wait: ${waited.stdout}${waited.stderr}`);
      assert.equal(await ok(home, store, ["logs", through]), "a\nb\nc");
      assert.equal(await ok(home, store, ["logs", afterId]), "after");
      assert.equal(
        JSON.parse(await ok(home, store, ["daemon", "status", "--json"])).pid,
        supervisor,
        "the same supervisor, reconnected",
      );
      await ok(home, store, ["daemon", "stop"]);
    } finally {
      await proxy.down();
    }
  });

  test("a store that cannot be used is one line naming why, exit non-zero", async (t) => {
    if (noPostgres(t)) return;
    const home = newHome();
    // 127.0.0.1 here trusts every password (pg_hba.conf: trust), so a wrong password cannot be
    // refused; an unknown role stands in for it.
    const role = await bgt(
      home,
      schemas.url((url) => {
        url.username = "no_such_bgt_role";
        url.password = "sekret";
      }),
      ["list"],
    );
    oneLine(
      role,
      /^bgt: Cannot reach the store postgres:\/\/no_such_bgt_role@.*: .*no_such_bgt_role/,
    );
    assert.doesNotMatch(role.stderr, /sekret/, "the password is not printed");
    oneLine(
      await bgt(home, schemas.url((url) => (url.hostname = "no-such-host.invalid")), ["list"]),
      /^bgt: Cannot reach the store .*: unknown host no-such-host\.invalid$/,
    );
    oneLine(
      await bgt(home, schemas.url((url) => (url.pathname = "/no_such_bgt_db")), ["list"]),
      /^bgt: Cannot reach the store .*: database no_such_bgt_db does not exist$/,
    );
    const logs = join(home.dir, "home", "supervisor.log");
    assert.ok(!existsSync(logs) || !/started pid/.test(readFileSync(logs, "utf8")));
  });
  test("a supervisor whose schema was dropped still stops on SIGTERM", async (t) => {
    if (noPostgres(t)) return;
    const home = newHome();
    const store = schemas.url();
    const schema = schemaOf(store);
    const child = spawn(BGT, ["supervise"], {
      env: home.env({ BGT_STORE: store }),
      cwd: home.work,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let log = ""; // a supervisor in the foreground logs to stderr
    child.stderr.on("data", (chunk) => (log += chunk));
    const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
    try {
      await until(async () => (await bgt(home, store, ["daemon", "status"])).code === 0);
      const { default: postgres } = await import("postgres");
      const sql = postgres(TEST_POSTGRES_URL, { max: 1, onnotice: () => {} });
      await sql.unsafe(`DROP SCHEMA "${schema}" CASCADE`).finally(() => sql.end({ timeout: 1 }));
      child.kill("SIGTERM");
      const code = await Promise.race([
        exited,
        new Promise((resolve) => setTimeout(() => resolve("still running after 20 s"), 20_000)),
      ]);
      assert.notEqual(code, "still running after 20 s");
      assert.match(log, /cannot release this supervisor's row: .*does not exist/);
      assert.match(log, /stopped\n$/);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
  });
});
