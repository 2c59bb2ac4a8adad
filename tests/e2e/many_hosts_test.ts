/**
 * Many hosts, one queue (issue 14), through the binary: several `bgt supervise --host NAME`,
 * each with its own BGT_HOME, on one fresh PostgreSQL schema. Tasks spread over the hosts and a
 * group's limit holds across them (start/end times); a schedule fires once per slot across three
 * hosts; `--on` and `--need` place tasks; a dead host (its supervisor and tasks kill -9ed) has its
 * tasks off `running` within the default detection time; a host cut off from the database by a
 * TCP proxy ends its own tasks, completes none twice and stops when it learns it was declared
 * dead; the database terminating every connection of the hosts leaves them all working.
 *
 * Runs only with a reachable PostgreSQL (BGT_TEST_POSTGRES_URL, else 127.0.0.1:5432); skipped
 * with one printed line otherwise, unless BGT_REQUIRE_POSTGRES=1.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, afterEach, describe, test } from "node:test";
import postgres from "postgres";
import { liveProcessesInGroup, TEST_POSTGRES_URL } from "../_helpers/bgt_home.ts";
import { Host, stopHosts, type TaskJson } from "../_helpers/hosts.ts";
import { PgSchemas, skipWithoutPostgres } from "../_helpers/pg_schemas.ts";
import { skipWithReason } from "../_helpers/skip.ts";
import { TcpProxy } from "../_helpers/tcp_proxy.ts";
import { until } from "../_helpers/until.ts";
import { postgresFactory } from "../store/_stores.ts";

const unreachable = await postgresFactory.unavailable();
const schemas = new PgSchemas("bgt_mh");

/** The most tasks that ran at once, from their start and end times (an end before a start). */
function mostAtOnce(tasks: readonly TaskJson[]): number {
  const moments = tasks.flatMap((task) => [
    { at: Date.parse(task.startedAt!), step: 1 },
    { at: Date.parse(task.finishedAt!), step: -1 },
  ]).sort((a, b) => a.at - b.at || a.step - b.step);
  let now = 0;
  let most = 0;
  for (const moment of moments) most = Math.max(most, now += moment.step);
  return most;
}

describe("many hosts on one PostgreSQL store", () => {
  const hosts: Host[] = [];
  const proxies: TcpProxy[] = [];
  const newHost = (name: string, store: string) => {
    const host = new Host(name, store);
    hosts.push(host);
    return host;
  };
  // Each test's hosts stop with it, through their proxies still up (the machine is shared); the
  // schemas go after the suite.
  afterEach(async () => {
    await stopHosts(hosts.splice(0));
    for (const proxy of proxies.splice(0)) await proxy.down();
  });
  after(async () => {
    if (unreachable === undefined) await schemas.dropAll();
  });

  /** Skips (or fails, BGT_REQUIRE_POSTGRES=1) without PostgreSQL; true when skipped. */
  const skip = (t: { name?: string; skip(message?: string): void }) =>
    skipWithoutPostgres(t, unreachable, { ownSchemas: true });

  test("tasks spread over two hosts; a group's --parallel 2 holds across them; bgt hosts lists both", async (t) => {
    if (skip(t)) return;
    const store = schemas.url();
    const a = newHost("a", store);
    const b = newHost("b", store);
    await Promise.all([
      a.start(["--parallel", "2", "--labels", "x,y"]),
      b.start(["--parallel", "2"]),
    ]);

    const listed = JSON.parse(await a.ok(["hosts", "--json"]));
    assert.deepEqual(listed.map((host: { name: string }) => host.name).sort(), ["a", "b"]);
    const hostA = listed.find((host: { name: string }) => host.name === "a");
    assert.deepEqual(hostA.labels, ["x", "y"]);
    assert.equal(hostA.slotsTotal, 2);
    assert.equal(hostA.draining, false);
    assert.ok(hostA.heartbeatAgeMs < 5_000, `heartbeat age ${hostA.heartbeatAgeMs}`);
    assert.match(await a.ok(["hosts"]), /^HOST\s+PID\s+STARTED\s+HEARTBEAT\s+SLOTS/);

    await a.ok(["group", "set", "g", "--parallel", "2"]);
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) {
      const from = i % 2 ? b : a;
      ids.push(await from.ok(["run", "-g", "g", "--", "sleep", "0.1"]));
    }
    const waited = await a.bgt(["wait", ...ids]);
    assert.equal(waited.code, 0, waited.stdout + waited.stderr);
    const tasks = await a.tasks(["-g", "g"]);
    assert.equal(tasks.length, 40);
    assert.ok(tasks.every((task) => task.status === "succeeded"));
    const ranOn = new Set(tasks.map((task) => task.host));
    assert.deepEqual([...ranOn].sort(), ["a", "b"], "both hosts ran some");
    assert.ok(mostAtOnce(tasks) <= 2, `at most 2 at once, saw ${mostAtOnce(tasks)}`);
    assert.ok(mostAtOnce(tasks) === 2, "the limit was reached (the test measures something)");

    // ls and show name the host.
    const table = await a.ok(["ls", "-g", "g", "--limit", "3"]);
    assert.match(table.split("\n")[0], /\bHOST$/);
    assert.match(await a.ok(["show", String(tasks[0].id)]), new RegExp(`host\\s+${tasks[0].host}`));
  });

  test("bgt parallel on one host changes that host's limit only, also across the other's restart", async (t) => {
    if (skip(t)) return;
    const store = schemas.url();
    const a = newHost("a", store);
    const b = newHost("b", store);
    await Promise.all([a.start(["--parallel", "2"]), b.start()]);
    const slots = async () =>
      Object.fromEntries(
        JSON.parse(await a.ok(["hosts", "--json"])).map((
          host: { name: string; slotsTotal: number },
        ) => [host.name, host.slotsTotal]),
      );
    const before = (await slots()).b;
    await a.ok(["parallel", "5"]);
    assert.deepEqual(await slots(), { a: 5, b: before });
    await b.stop();
    await b.start();
    assert.deepEqual(await slots(), { a: 5, b: before }, "b's next supervisor keeps its own");
    assert.doesNotMatch(await b.ok(["parallel"]), /from store/);
    assert.match(await a.ok(["parallel"]), /^parallel 5 \(from store\)/);
  });

  test("--on HOST and --need LABEL place tasks; a cwd missing on the claiming host fails naming it", async (t) => {
    if (skip(t)) return;
    const store = schemas.url();
    const a = newHost("a", store);
    const b = newHost("b", store);
    await Promise.all([a.start(["--labels", "gpu"]), b.start()]);
    const onB = await Promise.all(
      Array.from({ length: 4 }, () => a.ok(["run", "--on", "b", "--", "true"])),
    );
    const needGpu = await Promise.all(
      Array.from({ length: 4 }, () => b.ok(["run", "--need", "gpu", "--", "true"])),
    );
    const waited = await a.bgt(["wait", ...onB, ...needGpu]);
    assert.equal(waited.code, 0, waited.stdout + waited.stderr);
    for (const task of await a.tasks()) {
      const expected = onB.includes(String(task.id)) ? "b" : "a";
      assert.equal(task.host, expected, `task ${task.id} ran on ${task.host}`);
    }
    const json = JSON.parse(await a.ok(["show", "--json", onB[0]]));
    assert.equal(json.on, "b");

    // A module task's code travels with it (--pin bundles it at submission): b runs it after the
    // file is gone.
    const file = join(a.home.work, "travels.ts");
    writeFileSync(file, "export default () => 'from a';\n");
    await a.ok(["group", "pause", "held"]);
    const travels = await a.ok(["run", "-g", "held", "--on", "b", "--pin", "travels.ts"]);
    rmSync(file);
    await a.ok(["group", "resume", "held"]);
    assert.equal((await a.bgt(["wait", travels])).code, 0);
    assert.equal(JSON.parse(await a.ok(["result", travels])), "from a");
    assert.match(await a.ok(["show", travels]), /pinned\s+yes/);

    // A cwd only a has: the task placed on b fails, saying which host lacks it.
    const dir = mkdtempSync(join(a.home.dir, "only-here-"));
    // (Held in a paused group until the directory is gone: both "hosts" share this machine.)
    await a.ok(["group", "pause", "held"]);
    const id = await a.ok(["run", "-g", "held", "--on", "b", "--cwd", dir, "--", "true"]);
    rmSync(dir, { recursive: true });
    await a.ok(["group", "resume", "held"]);
    const ended = await a.bgt(["wait", id]);
    assert.notEqual(ended.code, 0);
    const failed = JSON.parse(await a.ok(["show", "--json", id]));
    assert.equal(failed.status, "failed");
    assert.match(failed.error.message, new RegExp(`${dir} does not exist on host b`));
  });

  test("a schedule fires once per slot across three hosts", async (t) => {
    if (skip(t)) return;
    const store = schemas.url();
    const trio = ["a", "b", "c"].map((name) => newHost(name, store));
    await Promise.all(trio.map((host) => host.start()));
    const started = Date.now();
    const id = await trio[0].ok(["every", "1s", "--", "true"]);
    await new Promise((resolve) => setTimeout(resolve, 6_500));
    await trio[0].ok(["schedules", "rm", id]);
    const elapsed = (Date.now() - started) / 1000;
    const runs = await trio[1].tasks(["--schedule", id]);
    const slots = runs.map((task) => task.runAt);
    assert.equal(new Set(slots).size, slots.length, `a slot fired twice: ${slots.join(", ")}`);
    assert.ok(
      runs.length >= elapsed - 4 && runs.length <= elapsed + 1,
      `${runs.length} firings in ${elapsed} s: ${slots.join(", ")}`,
    );
  });

  test("a dead host (supervisor and tasks kill -9ed): its tasks leave running within 15 s, as seen from another, which runs their hooks", async (t) => {
    if (skip(t)) return;
    const store = schemas.url();
    const a = newHost("a", store);
    const b = newHost("b", store);
    await Promise.all([a.start(), b.start()]); // the default lease: dead after 10 s
    // Its hooks run on a (b is gone), naming b as the host that ran it.
    const hooked = join(a.home.dir, "hooked");
    const ids = await Promise.all([
      a.ok(["run", "--on", "b", "--", "sleep", "120"]),
      a.ok([
        "run",
        "--on",
        "b",
        "--on-finish",
        `echo "$BGT_TASK_ID:$BGT_STATUS:$BGT_HOST" >> ${hooked}`,
        "--",
        "sleep",
        "120",
      ]),
    ]);
    await until(async () =>
      (await a.tasks()).filter((task) => task.status === "running").length === 2 &&
      ids.every((id) => b.taskGroup(Number(id)) !== undefined)
    );
    const groups = ids.map((id) => b.taskGroup(Number(id))!);
    process.kill(b.child!.pid!, "SIGKILL");
    for (const group of groups) process.kill(-group, "SIGKILL");
    const killedAt = Date.now();
    await until(
      async () => (await a.tasks()).every((task) => task.status !== "running"),
      20_000,
    );
    const took = Date.now() - killedAt;
    assert.ok(took <= 15_000, `off running after ${took} ms`);
    for (const task of await a.tasks()) {
      assert.equal(task.status, "lost");
      assert.match(task.error!.message, /host b .*stopped heartbeating/);
    }
    const listed = JSON.parse(await a.ok(["hosts", "--json"]));
    assert.deepEqual(listed.map((host: { name: string }) => host.name), ["a"]);
    assert.match(a.log(), /found dead: host\(s\) b/);
    await until(() => existsSync(hooked), 10_000).catch(() => {
      throw new Error(`the lost task's hook did not run on a: ${a.log()}`);
    });
    assert.equal(readFileSync(hooked, "utf8"), `${ids[1]}:lost:b\n`);
  });

  test("a webhook a dead host had still to deliver is delivered by another, the same event once more", async (t) => {
    if (skip(t)) return;
    const store = schemas.url();
    const a = newHost("a", store);
    const b = newHost("b", store);
    await Promise.all([a.start(), b.start()]);
    // The receiver kills b as b's POST arrives: the delivery is left to run, on b's name.
    const posts: { from: string; eventId: string }[] = [];
    const receiver = createServer((request, response) => {
      posts.push({
        from: posts.length ? "after" : "b",
        eventId: String(request.headers["bgt-event-id"]),
      });
      if (posts.length === 1) process.kill(b.child!.pid!, "SIGKILL");
      request.resume();
      request.on("end", () => response.writeHead(posts.length === 1 ? 503 : 200).end());
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      const id = await a.ok(["run", "--on", "b", "--webhook", url, "--", "true"]);
      await until(() => posts.length >= 2, 45_000).catch(() => {
        throw new Error(`${posts.length} POST(s); a's log: ${a.log()}`);
      });
      assert.equal(posts[1].eventId, posts[0].eventId, "the same event, delivered again");
      assert.match(a.log(), /took over 1 hook delivery\(ies\) of b:/);
      await until(async () => {
        const [delivery] = JSON.parse(await a.ok(["show", id, "--json"])).hookDeliveries;
        return delivery?.ok === true;
      });
    } finally {
      receiver.close();
    }
  });

  test("a host cut off from PostgreSQL ends its tasks first, completes none twice, and stops once declared dead", async (t) => {
    if (skip(t)) return;
    const store = schemas.url();
    const proxy = new TcpProxy();
    proxies.push(proxy);
    await proxy.up();
    const a = newHost("a", store);
    const b = newHost("b", proxy.url(store));
    await Promise.all([a.start(), b.start(["--dead-after", "4s"])]);
    const long = await a.ok(["run", "--on", "b", "--", "sleep", "60"]);
    // Ends while b is cut off: its success never lands, and must not land later either.
    const short = await a.ok(["run", "--on", "b", "--", "sh", "-c", "sleep 1.5; echo done"]);
    await until(async () =>
      (await a.tasks()).filter((task) => task.status === "running").length === 2 &&
      b.taskGroup(Number(long)) !== undefined
    );
    const group = b.taskGroup(Number(long))!;

    await proxy.down();
    const cutAt = Date.now();
    // b fences itself at 60 % of its lease (2.4 s) and ends the task (SIGKILL 0.8 s later) ...
    await until(() => liveProcessesInGroup(group).length === 0, 10_000);
    const endedAfter = Date.now() - cutAt;
    // ... before a may declare it dead (4 s after its last heartbeat).
    assert.ok(endedAfter < 4_000, `b's task ended ${endedAfter} ms after the cut`);
    await until(
      async () => (await a.tasks()).every((task) => task.status !== "running"),
      15_000,
    );
    assert.match(b.log(), /fenced: the supervisor could not reach the store/);

    await proxy.up();
    await until(() => b.exitCode !== undefined, 20_000);
    assert.equal(b.exitCode, 1, "b stops when it learns it was declared dead");
    assert.match(b.log(), /declared this supervisor dead/);
    for (const id of [long, short]) {
      const task = JSON.parse(await a.ok(["show", "--json", id]));
      assert.equal(task.status, "lost", `task ${id}`);
      const { attempts } = JSON.parse(await a.ok(["show", "--json", "--attempts", id]));
      assert.equal(attempts.length, 1, `task ${id} ended once: ${JSON.stringify(attempts)}`);
      assert.equal(attempts[0].status, "lost");
    }
    // A new supervisor on b's home starts cleanly and runs work again.
    await b.start(["--dead-after", "4s"]);
    const next = await a.ok(["run", "--on", "b", "--", "true"]);
    assert.match(await a.ok(["wait", next]), /succeeded/);
  });

  test("PostgreSQL terminating every connection of the hosts: all of them recover", async (t) => {
    if (skip(t)) return;
    // postgres.js 3.4.9 can hand out a connection whose backend ended, and a statement on it
    // never settles (porsager/postgres#1208): bgt works around the common paths, but a host can
    // still hang in a rare race, and a hung test would hang the suite. Opt in to run it.
    if (process.env.BGT_TEST_PG_TERMINATE !== "1") {
      return skipWithReason(
        t,
        "set BGT_TEST_PG_TERMINATE=1 to run it: postgres.js 3.4.9 can still hang a host whose backend is terminated (porsager/postgres#1208)",
      );
    }
    const store = schemas.url();
    const proxy = new TcpProxy();
    proxies.push(proxy);
    await proxy.up();
    const a = newHost("a", proxy.url(store));
    const b = newHost("b", proxy.url(store));
    await Promise.all([a.start(), b.start()]);
    const first = await a.ok(["run", "--on", "b", "--", "true"]);
    assert.match(await a.ok(["wait", first]), /succeeded/);
    const pids = [a.child!.pid!, b.child!.pid!];

    const sql = postgres(TEST_POSTGRES_URL, { max: 1, onnotice: () => {} });
    try {
      const ports = proxy.upstreamPorts();
      assert.ok(ports.length >= 2, "the hosts hold connections through the proxy");
      const [{ n }] = await sql`SELECT count(pg_terminate_backend(pid))::int AS n
        FROM pg_stat_activity WHERE client_port = ANY (${ports}::int[])
          AND client_addr = '127.0.0.1'`;
      assert.ok(n >= 2, `terminated ${n} backends`);
    } finally {
      await sql.end({ timeout: 1 });
    }
    const ids = [];
    for (const host of [a, b]) {
      for (const on of ["a", "b"]) ids.push(await host.ok(["run", "--on", on, "--", "true"]));
    }
    const waited = await a.bgt(["wait", ...ids]);
    assert.equal(waited.code, 0, waited.stdout + waited.stderr);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const listed = JSON.parse(await b.ok(["hosts", "--json"]));
    assert.deepEqual(listed.map((host: { pid: number }) => host.pid).sort(), pids.sort());
    for (const host of listed) assert.ok(host.heartbeatAgeMs < 5_000, JSON.stringify(host));
  });
});
