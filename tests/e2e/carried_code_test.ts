/**
 * A module task's code travels with it on a shared store (issue 14 item 7), through the binary:
 * two `bgt supervise --host NAME`, each with its own BGT_HOME, on one fresh PostgreSQL schema. A
 * module task submitted without `--pin` carries its code bundled at submission; the host that
 * runs it runs its local file when that file exists (as it is then: a changed file runs its new
 * version, its `import.meta.url` is the real path), else the carried code, with a line on the
 * task's stderr saying so.
 *
 * Runs only with a reachable PostgreSQL (BGT_TEST_POSTGRES_URL, else 127.0.0.1:5432); skipped
 * with one printed line otherwise, unless BGT_REQUIRE_POSTGRES=1.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, afterEach, describe, test } from "node:test";
import postgres from "postgres";
import {
  BGT,
  type CliResult,
  ON_POSTGRES,
  TempHome,
  TEST_POSTGRES_URL,
} from "../_helpers/bgt_home.ts";
import { skipWithReason } from "../_helpers/skip.ts";
import { postgresFactory } from "../store/_stores.ts";

const unreachable = await postgresFactory.unavailable();

/** Polls until `condition` holds. */
async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** One host: a home and its `bgt supervise --host NAME` on the store. */
class Host {
  readonly home = TempHome.create();
  child: ChildProcess | undefined;
  exitCode: number | null | undefined;

  constructor(readonly name: string, readonly store: string) {}

  get homeDir(): string {
    return join(this.home.dir, "home");
  }

  async start(): Promise<void> {
    mkdirSync(this.homeDir, { recursive: true });
    const log = openSync(join(this.homeDir, "supervisor.log"), "a");
    this.exitCode = undefined;
    const child = spawn(BGT, ["supervise", "--host", this.name], {
      env: this.env(),
      cwd: this.home.work,
      stdio: ["ignore", "ignore", log],
    });
    this.child = child;
    child.on("exit", (code) => (this.exitCode = code));
    await until(() =>
      this.log().includes(`started pid ${child.pid}`) || this.exitCode !== undefined
    )
      .catch((error) => {
        throw new Error(`host ${this.name} did not start (${error.message}): ${this.log()}`);
      });
    assert.equal(this.exitCode, undefined, `host ${this.name} exited: ${this.log()}`);
  }

  /** Stops its supervisor by pid (SIGTERM, then SIGKILL if it lingers) and waits for its exit. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child?.pid || this.exitCode !== undefined) return;
    child.kill("SIGTERM");
    await until(() => this.exitCode !== undefined, 20_000).catch(() => {
      child.kill("SIGKILL");
      return until(() => this.exitCode !== undefined, 10_000);
    });
  }

  env(): Record<string, string> {
    return this.home.env({ BGT_STORE: this.store, BGT_NO_AUTOSTART: "1" });
  }

  log(): string {
    const path = join(this.homeDir, "supervisor.log");
    return existsSync(path) ? readFileSync(path, "utf8") : "";
  }

  bgt(words: string[]): Promise<CliResult> {
    const child = spawn(BGT, words, { env: this.env(), cwd: this.home.work });
    return new Promise((resolve) => {
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk) => (stdout += chunk));
      child.stderr.on("data", (chunk) => (stderr += chunk));
      child.on("close", (code) => resolve({ code: code ?? 128, stdout, stderr }));
    });
  }

  async ok(words: string[]): Promise<string> {
    const result = await this.bgt(words);
    assert.equal(result.code, 0, `bgt ${words.join(" ")} on ${this.name}: ${result.stderr}`);
    return result.stdout.trim();
  }
}

describe("a module task's code travels with it on PostgreSQL", () => {
  const hosts: Host[] = [];
  let schema: string | undefined;
  afterEach(async () => {
    // Every supervisor stops (by pid) before its schema goes.
    for (const host of hosts.splice(0)) {
      await host.stop();
      host.home.cleanup();
    }
  });
  after(async () => {
    if (schema === undefined) return;
    const sql = postgres(TEST_POSTGRES_URL, { max: 1, onnotice: () => {} });
    try {
      await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await sql.end({ timeout: 1 });
    }
  });

  test("b runs the carried code when the file is gone, and its own file (as it is now) when it is there", async (t) => {
    if (ON_POSTGRES) {
      return skipWithReason(t, "it makes its own PostgreSQL schema; 'npm run test:bun' runs it");
    }
    if (unreachable !== undefined) {
      if (process.env.BGT_REQUIRE_POSTGRES === "1") throw new Error(unreachable);
      return skipWithReason(t, `PostgreSQL is unreachable (${unreachable})`);
    }
    schema = `bgt_cc${Math.random().toString(36).slice(2, 12)}`;
    const url = new URL(TEST_POSTGRES_URL);
    url.searchParams.set("schema", schema);
    const a = new Host("a", url.toString());
    const b = new Host("b", url.toString());
    hosts.push(a, b);
    await a.start(); // b is not running: what is placed on it waits

    const dir = mkdtempSync(join(a.home.dir, "jobs-"));
    // The job imports a sibling: the bundle carries both.
    writeFileSync(join(dir, "word.ts"), "export const word = 'from submission';\n");
    const gone = join(dir, "gone.ts");
    writeFileSync(
      gone,
      "import { word } from './word.ts';\nexport default () => [word, import.meta.url];\n",
    );
    const here = join(dir, "here.ts");
    writeFileSync(here, "export default () => ['old', import.meta.url];\n");

    const goneId = await a.ok(["run", "--on", "b", gone]);
    const hereId = await a.ok(["run", "--on", "b", here]);
    const againId = await a.ok(["run", "--on", "b", gone]);
    assert.match(
      await a.ok(["show", goneId]),
      /carried\s+code bundled at submission, sha256 [0-9a-f]{12}…/,
    );
    // Each bundle is kept once; a task's row names it by its hash.
    const sql = postgres(TEST_POSTGRES_URL, { max: 1, onnotice: () => {} });
    try {
      const [{ n }] = await sql.unsafe(`SELECT count(*)::int AS n FROM "${schema}".carried_code`);
      assert.equal(n, 2, "gone.ts's bundle once for its two tasks, here.ts's once");
    } finally {
      await sql.end({ timeout: 1 });
    }
    rmSync(gone);
    rmSync(join(dir, "word.ts"));
    // An unpinned task runs its file as it is when it starts: the new version.
    writeFileSync(here, "export default () => ['new', import.meta.url];\n");
    await b.start();

    const waited = await a.bgt(["wait", goneId, againId, hereId]);
    assert.equal(waited.code, 0, waited.stdout + waited.stderr + b.log());
    const [word, goneUrl] = JSON.parse(await a.ok(["result", goneId]));
    assert.equal(word, "from submission");
    assert.equal(JSON.parse(await a.ok(["result", againId]))[0], "from submission");
    assert.match(goneUrl, /carried\.mjs$/);
    assert.match(
      await a.ok(["logs", "--stderr", goneId]),
      new RegExp(`ran the code carried from submission because ${gone} does not exist on host b`),
    );
    assert.deepEqual(JSON.parse(await a.ok(["result", hereId])), [
      "new",
      pathToFileURL(here).href,
    ]);
    assert.doesNotMatch(await a.ok(["logs", "--stderr", hereId]), /carried/);
    const ran = JSON.parse(await a.ok(["show", "--json", goneId]));
    assert.equal(ran.host, "b");
  });
});
