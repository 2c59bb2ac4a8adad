/**
 * Issue 15 end to end, on the store of the run (SQLite, or PostgreSQL under `test:bun:pg`):
 * per-task hooks and webhooks run when a task ends and are recorded, `bgt events` and
 * `client.events()` list the outbox, a hook never changes its task's outcome nor holds up
 * another, `bgt every` passes its hooks on, and a `kill -9` of the supervisor between a task's
 * end and its hook loses no hook.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFile } from "node:child_process";
import { createHmac } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { connect } from "../../src/client/client.ts";
import { isAlive } from "../../src/runtime/process.ts";
import type { TaskEvent } from "../../src/task/events.ts";
import { BGT, type CliResult, TempHome } from "../_helpers/bgt_home.ts";
import { until } from "../_helpers/until.ts";

/** bgt without blocking this process (the webhook receiver below must answer meanwhile). */
function bgt(
  home: TempHome,
  words: string[],
  env: Record<string, string> = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    const options = { cwd: home.work, env: home.env(env), timeout: 60_000 };
    execFile(BGT, words, options, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 128) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function ok(
  home: TempHome,
  words: string[],
  env: Record<string, string> = {},
): Promise<string> {
  const result = await bgt(home, words, env);
  assert.equal(result.code, 0, `bgt ${words.join(" ")}: ${result.stderr}`);
  return result.stdout.trim();
}

/**
 * `bgt events --follow --json` in `home`, running on: the child, what it printed so far, and
 * what it said on stderr (for a failure's message).
 */
function followEvents(
  home: TempHome,
): { child: ChildProcess; output(): string; errors(): string } {
  const child = execFile(BGT, ["events", "--follow", "--json"], {
    cwd: home.work,
    env: home.env(),
  });
  let out = "";
  let err = "";
  child.stdout!.on("data", (chunk) => (out += chunk));
  child.stderr!.on("data", (chunk) => (err += chunk));
  return { child, output: () => out, errors: () => err };
}

/** A loopback webhook receiver answering with the statuses given, then 200. */
class Receiver {
  posts: { url: string; headers: IncomingMessage["headers"]; body: string }[] = [];
  statuses: number[] = [];
  #server: Server;
  constructor() {
    this.#server = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk) => (body += chunk));
      request.on("end", () => {
        this.posts.push({ url: request.url ?? "", headers: request.headers, body });
        response.writeHead(this.statuses.shift() ?? 200).end();
      });
    });
  }
  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }
  close() {
    this.#server.close();
  }
}

async function show(home: TempHome, id: string, env: Record<string, string> = {}) {
  return JSON.parse(await ok(home, ["show", id, "--json"], env));
}

/** Kills the hook processes whose pids the test's hooks wrote to `file`. */
function killPidsIn(path: string) {
  if (!existsSync(path)) return;
  for (const pid of readFileSync(path, "utf8").split("\n").filter(Boolean).map(Number)) {
    try {
      if (isAlive(pid)) process.kill(pid, "SIGKILL");
    } catch { /* gone */ }
  }
}

describe("hooks and events (issue 15)", () => {
  let home: TempHome;
  let receiver: Receiver;
  let url: string;
  before(async () => {
    home = TempHome.create();
    receiver = new Receiver();
    url = await receiver.listen();
  });
  after(() => {
    receiver.close();
    killPidsIn(join(home.work, "pids"));
    home.cleanup();
  });

  test("done means: --on-finish writes id:failed:4 and the task's JSON, one signed POST, and the events in order", async () => {
    const id = await ok(home, [
      "run",
      "--on-finish",
      'echo "$BGT_TASK_ID:$BGT_STATUS:$BGT_EXIT_CODE" >> f; cat > t.json',
      "--webhook",
      `${url}/x`,
      "--",
      "sh",
      "-c",
      "exit 4",
    ]);
    const f = join(home.work, "f");
    await until(async () =>
      receiver.posts.length >= 1 && existsSync(f) &&
      (await show(home, id)).hookDeliveries.every((d: { ok: boolean | null }) => d.ok !== null)
    );
    assert.equal(readFileSync(f, "utf8"), `${id}:failed:4\n`);
    const shown = await show(home, id);
    const { hookDeliveries, ...task } = shown;
    const json = JSON.parse(readFileSync(join(home.work, "t.json"), "utf8"));
    assert.deepEqual(json, { ...task, outputTail: "" }, "stdin: the task as show --json gives it");

    // One POST, naming the task, signed with the home's secret.
    assert.equal(receiver.posts.length, 1);
    const [post] = receiver.posts;
    assert.equal(post.url, "/x");
    assert.equal(JSON.parse(post.body).id, Number(id));
    assert.equal(JSON.parse(post.body).status, "failed");
    const secret = await ok(home, ["hooks", "secret"]);
    const hmac = createHmac("sha256", secret).update(post.body).digest("hex");
    assert.equal(post.headers["bgt-signature"], `sha256=${hmac}`);

    // The events: submitted, started, failed, in order; the webhook's id is the failed one's.
    const lines = (await ok(home, ["events", "--since", "0", "--json"])).split("\n").map((line) =>
      JSON.parse(line)
    );
    const mine = lines.filter((event) => event.taskId === Number(id));
    assert.deepEqual(mine.map((event) => event.kind), ["submitted", "started", "failed"]);
    assert.ok(lines.every((event, i) => i === 0 || event.id > lines[i - 1].id), "ids increase");
    assert.equal(mine[2].exitCode, 4);
    assert.equal(post.headers["bgt-event-id"], String(mine[2].id));
    assert.match(mine[0].at, /^\d{4}-\d\d-\d\dT/);

    // The library yields the same events.
    const client = await connect({ env: home.env() });
    try {
      const stop = new AbortController();
      const seen: TaskEvent[] = [];
      for await (const event of client.events({ since: 0, signal: stop.signal })) {
        if (event.taskId === Number(id)) seen.push(event);
        if (event.id === mine[2].id) stop.abort();
      }
      assert.deepEqual(
        seen.map((event) => [event.id, event.kind]),
        mine.map((e) => [e.id, e.kind]),
      );
    } finally {
      await client.close();
    }

    // Each delivery is recorded, and show says so.
    assert.deepEqual(
      hookDeliveries.map((d: Record<string, unknown>) => [d.hook, d.ok, d.result, d.tries]),
      [["onFinish", true, "exit 0", 1], ["webhook", true, "HTTP 200", 1]],
    );
    const text = await ok(home, ["show", id]);
    assert.match(text, /delivery onFinish .*delivered; exit 0/);
    assert.match(text, /delivery webhook .*delivered; HTTP 200/);
  });

  test("bgt events --follow streams a new event; --task keeps one task's", async () => {
    const { child: follower, output } = followEvents(home);
    try {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const id = Number(await ok(home, ["run", "--", "true"]));
      await until(() =>
        output().split("\n").some((line) => line.includes(`"taskId":${id},"kind":"succeeded"`))
      );
      const kinds = output().trim().split("\n").map((line) => JSON.parse(line)).filter((e) =>
        e.taskId === id
      );
      assert.deepEqual(kinds.map((e) => e.kind), ["submitted", "started", "succeeded"]);
      const only = (await ok(home, ["events", "--task", String(id), "--json"])).split("\n");
      assert.deepEqual(only.map((line) => JSON.parse(line).taskId), [id, id, id]);
    } finally {
      follower.kill("SIGTERM");
    }
  });

  test("bgt events --follow reads on through a restart of the supervisor", async () => {
    const { child: follower, output, errors } = followEvents(home);
    try {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await ok(home, ["daemon", "restart"]);
      const id = Number(await ok(home, ["run", "--", "true"]));
      await until(() => output().includes(`"taskId":${id},"kind":"succeeded"`)).catch((error) => {
        const state = follower.exitCode === null ? "running" : `exited ${follower.exitCode}`;
        throw new Error(`${error.message}; follower ${state}: ${errors()}\n${output()}`);
      });
      assert.equal(follower.exitCode, null, "still following");
    } finally {
      follower.kill("SIGTERM");
    }
  });

  test("a failing hook never changes its task's outcome and writes no event", async () => {
    const id = await ok(home, ["run", "--on-success", "echo oops >&2; exit 3", "--", "true"]);
    await until(async () => (await show(home, id)).hookDeliveries[0]?.ok === false);
    const shown = await show(home, id);
    assert.equal(shown.status, "succeeded");
    assert.equal(shown.hookDeliveries[0].result, "exit 3: oops");
    const events = (await ok(home, ["events", "--task", id, "--json"])).split("\n");
    assert.equal(JSON.parse(events.at(-1)!).kind, "succeeded", "nothing after the end");
  });

  test("a hanging hook holds up neither other tasks nor their hooks", async () => {
    const hanging = await ok(home, [
      "run",
      "--on-finish",
      "echo $$ >> pids; exec sleep 600",
      "--",
      "true",
    ]);
    await until(() => existsSync(join(home.work, "pids")));
    const started = Date.now();
    const next = await ok(home, ["run", "--on-finish", "echo done > second", "--", "true"]);
    await ok(home, ["wait", next]);
    await until(() => existsSync(join(home.work, "second")), 20_000);
    assert.ok(Date.now() - started < 20_000);
    const shown = await show(home, hanging);
    assert.equal(shown.status, "succeeded");
    assert.equal(shown.hookDeliveries[0].ok, null, "still running");
  });

  test("a webhook that fails is retried after 1 s until a 2xx", async () => {
    receiver.statuses.push(503);
    const before = receiver.posts.length;
    const id = await ok(home, ["run", "--webhook", `${url}/retry`, "--", "true"]);
    await until(async () => (await show(home, id)).hookDeliveries[0]?.ok === true);
    const posts = receiver.posts.slice(before).filter((post) => post.url === "/retry");
    assert.equal(posts.length, 2);
    assert.equal(posts[0].headers["bgt-event-id"], posts[1].headers["bgt-event-id"]);
    const [delivery] = (await show(home, id)).hookDeliveries;
    assert.equal(delivery.tries, 2);
    assert.equal(delivery.result, "HTTP 200");
  });

  test("bgt every passes its hooks to each run", async () => {
    const schedule = JSON.parse(
      await ok(home, [
        "every",
        "1s",
        "--max-runs",
        "2",
        "--json",
        "--on-finish",
        'echo "$BGT_TASK_ID" >> every',
        "--",
        "true",
      ]),
    );
    const path = join(home.work, "every");
    await until(() =>
      existsSync(path) && readFileSync(path, "utf8").trim().split("\n").length === 2
    );
    const ids = readFileSync(path, "utf8").trim().split("\n").map(Number);
    assert.equal(new Set(ids).size, 2, "two runs, each with its hook");
    for (const id of ids) assert.equal((await show(home, String(id))).scheduleId, schedule.id);
  });
});

describe("hooks survive a kill -9 of the supervisor (issue 15)", () => {
  let home: TempHome;
  before(() => (home = TempHome.create()));
  after(() => {
    killPidsIn(join(home.work, "pids"));
    home.cleanup();
  });

  test("a task that ends while no supervisor runs gets its hook from the next one", async () => {
    const id = await ok(home, [
      "run",
      "--on-failure",
      'echo "$BGT_EXIT_CODE" > code',
      "--",
      "sh",
      "-c",
      "sleep 2; exit 5",
    ]);
    await until(async () => (await show(home, id)).pid !== null);
    process.kill(home.supervisorPids().at(-1)!, "SIGKILL");
    // The task ends meanwhile; the next command starts a supervisor that records the end.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    assert.ok(!existsSync(join(home.work, "code")));
    assert.equal((await bgt(home, ["wait", id])).code, 5, "wait mirrors the task's exit code");
    await until(() => existsSync(join(home.work, "code")));
    assert.equal(readFileSync(join(home.work, "code"), "utf8"), "5\n");
    assert.equal((await show(home, id)).status, "failed");
  });

  test("a hook cut short by the crash runs again, and its delivery is recorded once", async () => {
    const id = await ok(home, [
      "run",
      "--on-finish",
      'echo $$ >> pids; echo run >> runs; [ "$(wc -l < runs)" -ge 2 ] || exec sleep 600',
      "--",
      "true",
    ]);
    const runs = join(home.work, "runs");
    await until(() => existsSync(runs));
    process.kill(home.supervisorPids().at(-1)!, "SIGKILL");
    await ok(home, ["ls"]); // starts the next supervisor
    await until(async () => (await show(home, id)).hookDeliveries[0]?.ok === true);
    assert.equal(readFileSync(runs, "utf8"), "run\nrun\n", "at least once: run again");
    const [delivery] = (await show(home, id)).hookDeliveries;
    assert.equal(delivery.tries, 1);
    assert.equal(delivery.result, "exit 0");
  });
});

describe("global hooks from the config file (issue 15)", () => {
  let home: TempHome;
  let env: Record<string, string>;
  before(() => {
    home = TempHome.create();
    const config = join(home.dir, "config.toml");
    writeFileSync(
      config,
      `
[[hooks]]
name = "failures"
on = ["failed", "timed_out"]
group = "nightly"
run = 'echo "$BGT_TASK_ID:$BGT_STATUS:$BGT_FINAL" >> global'

[[hooks]]
name = "slow"
longer_than = "1h"
run = "echo slow >> global"

[[hooks]]
name = "desktop"
on = ["failed"]
final_only = true
notify = true
`,
    );
    env = { BGT_CONFIG: config };
  });
  after(() => home.cleanup());

  test("bgt hooks lists them; a hook fires only when its conditions hold", async () => {
    const listed = await ok(home, ["hooks"], env);
    assert.match(listed, /^failures {2}on failed, timed_out {2}group nightly {2}run echo/m);
    assert.match(
      listed,
      /^slow {2}on succeeded, failed, canceled, timed_out, lost {2}longer than 1h/m,
    );
    assert.match(listed, /^desktop {2}on failed {2}final only {2}notify$/m);
    const other = await ok(home, ["run", "-g", "other", "--", "sh", "-c", "exit 1"], env);
    const nightly = await ok(home, ["run", "-g", "nightly", "--", "sh", "-c", "exit 2"], env);
    const path = join(home.work, "global");
    await until(async () =>
      existsSync(path) &&
      (await show(home, nightly, env)).hookDeliveries.every((d: { ok: unknown }) => d.ok !== null)
    );
    assert.equal(readFileSync(path, "utf8"), `${nightly}:failed:1\n`, "nightly's failure only");
    const deliveries = (await show(home, nightly, env)).hookDeliveries;
    assert.deepEqual(deliveries.map((d: { hook: string }) => d.hook), [
      "global:failures",
      "global:desktop",
    ]);
    // notify-send where present; where not, the delivery says so.
    assert.match(deliveries[1].result, /^(exit 0|notify-send not found)$/);
    await until(async () => (await show(home, other, env)).hookDeliveries.length === 1);
    assert.equal((await show(home, other, env)).hookDeliveries[0].hook, "global:desktop");
  });

  test("a broken [[hooks]] table is one line naming the file, exit 2", async () => {
    const broken = join(home.dir, "broken.toml");
    writeFileSync(broken, `[[hooks]]\non = ["exploded"]\nrun = "x"\n`);
    const result = await bgt(home, ["hooks"], { BGT_CONFIG: broken });
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      /^bgt: Cannot read \[\[hooks\]\] #1: on: unknown kind "exploded".* in config file .*broken\.toml\n$/,
    );
  });
});
