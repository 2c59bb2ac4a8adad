/**
 * The dashboard on a shared store (issue 16 with issue 14), through the binary: two supervisors
 * `--host a` and `--host b`, each with its own BGT_HOME, on one fresh PostgreSQL schema. A task
 * pinned `--on b` prints known lines; `bgt ui` started from a's home shows it: `/api/tasks/:id`
 * says host `b`, `/api/tasks/:id/logs` returns its lines (shipped through the store: a's home
 * holds no file of it), `/api/tasks?host=b` and the tasks page filtered by host `b` list it and
 * host `a`'s do not, `/api/hosts` is `bgt hosts --json`, and `bgt ls --host b` agrees.
 *
 * Runs only with a reachable PostgreSQL (BGT_TEST_POSTGRES_URL, else 127.0.0.1:5432); skipped
 * with one printed line otherwise, unless BGT_REQUIRE_POSTGRES=1.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
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
const schema = `bgt_uh${Math.random().toString(36).slice(2, 12)}`;
const store = (() => {
  const url = new URL(TEST_POSTGRES_URL);
  url.searchParams.set("schema", schema);
  return url.toString();
})();

/** Polls until `condition` holds, letting the event loop run between checks. */
async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Ends a child this test started (by its pid) and waits for it; SIGKILL after 15 s. */
async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  await exited;
  clearTimeout(timer);
}

/** One host: a home and its `bgt supervise --host NAME` on the shared store. */
class Host {
  readonly home = TempHome.create();
  supervisor: ChildProcess | undefined;

  constructor(readonly name: string) {}

  get homeDir(): string {
    return join(this.home.dir, "home");
  }

  env(): Record<string, string> {
    return this.home.env({ BGT_STORE: store, BGT_NO_AUTOSTART: "1" });
  }

  log(): string {
    const path = join(this.homeDir, "supervisor.log");
    return existsSync(path) ? readFileSync(path, "utf8") : "";
  }

  /** Starts its supervisor in the foreground and waits until it says it started. */
  async start(): Promise<void> {
    mkdirSync(this.homeDir, { recursive: true });
    const log = openSync(join(this.homeDir, "supervisor.log"), "a");
    const child = spawn(BGT, ["supervise", "--host", this.name, "--parallel", "2"], {
      env: this.env(),
      cwd: this.home.work,
      stdio: ["ignore", "ignore", log],
    });
    this.supervisor = child;
    await until(
      () => this.log().includes(`started pid ${child.pid}`) || child.exitCode !== null,
    );
    assert.equal(child.exitCode, null, `host ${this.name} exited: ${this.log()}`);
  }

  /** Runs bgt in this host's home without blocking the event loop. */
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

  /** Like `bgt`, failing on a non-zero exit; its trimmed stdout. */
  async ok(words: string[]): Promise<string> {
    const result = await this.bgt(words);
    assert.equal(result.code, 0, `bgt ${words.join(" ")} on ${this.name}: ${result.stderr}`);
    return result.stdout.trim();
  }

  /** Starts `bgt ui` from this home; its child and sign-in URL. */
  ui(): Promise<{ child: ChildProcess; url: string }> {
    const child = spawn(BGT, ["ui", "--listen", "127.0.0.1:0"], {
      env: this.env(),
      cwd: this.home.work,
      stdio: ["ignore", "pipe", "pipe"],
    });
    return new Promise((resolve, reject) => {
      let out = "";
      let err = "";
      const timer = setTimeout(() => reject(new Error(`no URL within 30 s: ${err}`)), 30_000);
      child.stderr!.on("data", (chunk) => (err += chunk));
      child.stdout!.on("data", (chunk) => {
        out += chunk;
        const line = /^(http:\/\/\S+)\n/.exec(out);
        if (line) {
          clearTimeout(timer);
          resolve({ child, url: line[1] });
        }
      });
      child.on("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`bgt ui exited ${code}: ${err}`));
      });
    });
  }
}

describe("the dashboard on a shared PostgreSQL store", () => {
  const hosts: Host[] = [];
  let ui: ChildProcess | undefined;

  // Every process this suite started ends (by its pid) before the schema is dropped.
  after(async () => {
    await stop(ui);
    await Promise.all(hosts.map((host) => stop(host.supervisor)));
    for (const host of hosts) host.home.cleanup();
    if (unreachable === undefined && !ON_POSTGRES) {
      spawnSync("psql", [
        TEST_POSTGRES_URL,
        "-Xq",
        "-c",
        `DROP SCHEMA IF EXISTS "${schema}" CASCADE`,
      ], {
        timeout: 30_000,
      });
    }
  });

  /** Skips (or fails, BGT_REQUIRE_POSTGRES=1) without PostgreSQL; true when skipped. */
  const skip = (t: { name?: string; skip(message?: string): void }) => {
    if (ON_POSTGRES) {
      skipWithReason(t, "it makes its own PostgreSQL schema; 'npm run test:bun' runs it");
      return true;
    }
    if (unreachable === undefined) return false;
    if (process.env.BGT_REQUIRE_POSTGRES === "1") {
      throw new Error(`BGT_REQUIRE_POSTGRES=1, but ${unreachable}`);
    }
    skipWithReason(t, unreachable);
    return true;
  };

  test("the UI of host a shows a task that ran on b with its logs; the tasks page filters by host", async (t) => {
    if (skip(t)) return;
    const a = new Host("a");
    const b = new Host("b");
    hosts.push(a, b);
    await Promise.all([a.start(), b.start()]);

    const lines = Array.from({ length: 5 }, (_, i) => `line ${i + 1} from b`).join("\n") + "\n";
    const onB = Number(
      await a.ok([
        "run",
        "--on",
        "b",
        "--name",
        "shown-from-a",
        "--shell",
        `for i in 1 2 3 4 5; do echo "line $i from b"; done`,
      ]),
    );
    const onA = Number(await a.ok(["run", "--on", "a", "--name", "ran-on-a", "--", "true"]));
    await a.ok(["wait", String(onB), String(onA)]);

    const started = await a.ui();
    ui = started.child;
    const origin = new URL(started.url).origin;
    const signIn = await fetch(started.url, { redirect: "manual" });
    assert.equal(signIn.status, 303);
    const cookie = signIn.headers.get("set-cookie")!.split(";")[0];
    const get = async (path: string) => {
      const answer = await fetch(origin + path, { headers: { cookie } });
      assert.equal(answer.status, 200, `${path}: ${answer.status}`);
      return answer;
    };
    const json = async (path: string) => await (await get(path)).json();

    const task = await json(`/api/tasks/${onB}`);
    assert.equal(task.host, "b");
    assert.equal(task.on, "b");
    assert.equal(task.status, "succeeded");
    // Its output reaches a through the store (b ships it; a's home never had it).
    let chunk: { text: string; to: number } = { text: "", to: 0 };
    await until(async () => {
      chunk = await json(`/api/tasks/${onB}/logs?stream=stdout&from=0`);
      return chunk.text.length >= lines.length;
    });
    assert.equal(chunk.text, lines);
    assert.equal(chunk.to, Buffer.byteLength(lines));
    const raw = await (await get(`/api/tasks/${onB}/logs?stream=stdout&from=0&raw=1`)).text();
    assert.equal(raw, lines);
    assert.equal(existsSync(join(a.homeDir, "logs", String(onB), "stdout")), false);
    const page = await (await get(`/tasks/${onB}`)).text();
    assert.match(page, /line 5 from b/);

    // The filter by host: the API, the page (in the URL, kept in the form), and ls.
    const ids = async (path: string) => (await json(path)).map((t: { id: number }) => t.id);
    assert.deepEqual(await ids("/api/tasks?host=b"), [onB]);
    assert.deepEqual(await ids("/api/tasks?host=a"), [onA]);
    assert.deepEqual(await ids("/api/tasks?host=nowhere"), []);
    const filtered = await (await get("/tasks?host=b")).text();
    assert.match(filtered, new RegExp(`href="/tasks/${onB}"`));
    assert.doesNotMatch(filtered, new RegExp(`href="/tasks/${onA}"`));
    assert.match(filtered, /<input name="host" value="b"/);
    assert.match(filtered, /<option value="a">/); // the hosts offered in the form
    const all = await (await get("/tasks")).text();
    assert.match(all, new RegExp(`href="/tasks/${onA}"`));
    assert.match(all, /href="\/tasks\?host=b"/); // the host column links to its tasks
    const listed = JSON.parse(await a.ok(["ls", "--host", "b", "--json"]));
    assert.deepEqual(listed.map((t: { id: number }) => t.id), [onB]);

    // The overview and the hosts page list both hosts; /api/hosts is `bgt hosts --json`.
    const apiHosts = await json("/api/hosts");
    const cliHosts = JSON.parse(await a.ok(["hosts", "--json"]));
    const stable = (list: Record<string, unknown>[]) =>
      list.map(({ heartbeatAt: _at, heartbeatAgeMs: _age, ...rest }) => rest);
    assert.deepEqual(stable(apiHosts), stable(cliHosts));
    assert.deepEqual(apiHosts.map((h: { name: string }) => h.name), ["a", "b"]);
    assert.deepEqual(Object.keys(apiHosts[0]), Object.keys(cliHosts[0]));
    for (const path of ["/", "/hosts"]) {
      const text = await (await get(path)).text();
      assert.match(text, /href="\/tasks\?host=a"/, path);
      assert.match(text, /href="\/tasks\?host=b"/, path);
    }
  });
});
