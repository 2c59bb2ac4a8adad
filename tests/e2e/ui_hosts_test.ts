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
import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { BGT } from "../_helpers/bgt_home.ts";
import { Host, stopHosts } from "../_helpers/hosts.ts";
import { PgSchemas, skipWithoutPostgres } from "../_helpers/pg_schemas.ts";
import { startBgtUi, stopChild } from "../_helpers/processes.ts";
import { until } from "../_helpers/until.ts";
import { postgresFactory } from "../store/_stores.ts";

const unreachable = await postgresFactory.unavailable();
const schemas = new PgSchemas("bgt_uh");
const store = schemas.url();

describe("the dashboard on a shared PostgreSQL store", () => {
  const hosts: Host[] = [];
  let ui: ChildProcess | undefined;

  // Every process this suite started ends (by its pid) before the schema is dropped.
  after(async () => {
    if (ui) await stopChild(ui);
    await stopHosts(hosts);
    if (unreachable === undefined) await schemas.dropAll();
  });

  /** Skips (or fails, BGT_REQUIRE_POSTGRES=1) without PostgreSQL; true when skipped. */
  const skip = (t: { name?: string; skip(message?: string): void }) =>
    skipWithoutPostgres(t, unreachable, { ownSchemas: true });

  test("the UI of host a shows a task that ran on b with its logs; the tasks page filters by host", async (t) => {
    if (skip(t)) return;
    const a = new Host("a", store);
    const b = new Host("b", store);
    hosts.push(a, b);
    await Promise.all([a.start(["--parallel", "2"]), b.start(["--parallel", "2"])]);

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

    const started = await startBgtUi(BGT, ["--listen", "127.0.0.1:0"], {
      env: a.env(),
      cwd: a.home.work,
      timeoutMs: 30_000,
    });
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
