/**
 * The store reads the dashboard (`bgt ui`) needs, on every backend: keyset pages, free-text
 * search over id, name and command, the host filter, counts by group × state, ends per minute,
 * and the hosts.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { SupervisorRecord, TaskStore } from "../../src/store/task_store.ts";
import type { NewTask } from "../../src/task/types.ts";
import { forEachStore } from "./_stores.ts";

const cmd = (argv: string[], extra: Partial<NewTask> = {}): NewTask => ({
  spec: { kind: "command", argv },
  ...extra,
});
const ROOM = { maxProcesses: 100, maxWorkers: 100 };

/** Takes the supervisor row as `who` would, started and heartbeating at `now`. */
async function takeAs(
  store: TaskStore,
  who: Pick<SupervisorRecord, "owner" | "home" | "host" | "pid">,
  now: number,
): Promise<void> {
  await store.takeSupervisor(
    { ...who, startTime: null, startedAt: now, heartbeatAt: now },
    () => false,
  );
}

forEachStore("dashboard reads", (open) => {
  test("keyset pages: beforeId and afterId walk the ids without gaps or repeats", async () => {
    const store = await open();
    const ids = (await store.submit(Array.from({ length: 7 }, (_, i) => cmd(["echo", `${i}`]))))
      .map((r) => r.id);
    const first = await store.list({ limit: 3 });
    assert.deepEqual(first.map((t) => t.id), [ids[6], ids[5], ids[4]]);
    const second = await store.list({ limit: 3, beforeId: first[2].id });
    assert.deepEqual(second.map((t) => t.id), [ids[3], ids[2], ids[1]]);
    const back = await store.list({ limit: 3, afterId: second[0].id, newestFirst: false });
    assert.deepEqual(back.map((t) => t.id), [ids[4], ids[5], ids[6]]);
  });

  test("search finds a task by its id, a part of its name in any case, or its command text", async () => {
    const store = await open();
    const [a, b, c] = (await store.submit([
      cmd(["rsync", "/srv/photos", "backup:/"], { name: "Nightly-Backup" }),
      cmd(["convert", "cat.png", "cat.webp"]),
      cmd(["echo", "100%_done"]),
    ])).map((r) => r.id);
    const found = async (search: string) =>
      (await store.list({ search, newestFirst: false })).map((t) => t.id);
    assert.deepEqual(await found("backup"), [a]); // the name, any case, and the argv
    assert.deepEqual(await found("cat.webp"), [b]);
    assert.deepEqual(await found(String(c)), [c]);
    assert.deepEqual(await found("100%_"), [c]); // % and _ match themselves
    assert.deepEqual(await found("0%x"), []);
    assert.equal(await store.count({ search: "cat" }), 1);
  });

  test("host: only the tasks the supervisor of that host claimed", async () => {
    const store = await open();
    const now = Date.now();
    await takeAs(store, { owner: "h2/7/y", home: "/h2", host: "h2", pid: 7 }, now);
    const [ran, waits] = (await store.submit([cmd(["a"]), cmd(["b"], { runAt: now + 3_600_000 })]))
      .map((r) => r.id);
    assert.deepEqual((await store.claim("h2/7/y", ROOM)).map((t) => t.id), [ran]);
    assert.deepEqual((await store.list({ host: "h2" })).map((t) => t.id), [ran]);
    assert.equal(await store.count({ host: "h2" }), 1);
    assert.deepEqual(await store.list({ host: "h3" }), []);
    assert.deepEqual((await store.list({})).map((t) => t.id), [waits, ran]); // no filter: all
  });

  test("counts by group and state, and ends per minute from the events", async () => {
    const store = await open();
    const before = Date.now() - 1000;
    const [one, two] = (await store.submit([
      cmd(["a"], { group: "io" }),
      cmd(["b"], { group: "io" }),
      cmd(["c"]),
    ])).map((r) => r.id);
    await store.claim("s", { ...ROOM, limit: 2 });
    await store.finish("s", [
      { id: one, attempt: 1, outcome: { status: "succeeded", exitCode: 0 } },
      { id: two, attempt: 1, outcome: { status: "failed", exitCode: 1 } },
    ]);
    const counts = async (since: number) =>
      (await store.countsByGroup(since))
        .map((row) => `${row.group}/${row.status}=${row.count}`).sort();
    assert.deepEqual(await counts(before), ["default/queued=1", "io/failed=1", "io/succeeded=1"]);
    // Finished tasks created before `finishedSince` are left out; unfinished ones never are.
    assert.deepEqual(await counts(Date.now() + 60_000), ["default/queued=1"]);
    const minutes = await store.endsPerMinute(before);
    assert.equal(minutes.reduce((n, m) => n + m.succeeded, 0), 1);
    assert.equal(minutes.reduce((n, m) => n + m.failed, 0), 1);
    for (const { minute } of minutes) assert.equal(minute % 60_000, 0);
    assert.deepEqual(await store.endsPerMinute(Date.now() + 60_000), []);
  });

  test("hosts: each supervisor with its heartbeat age and its running tasks", async () => {
    const store = await open();
    const now = Date.now();
    await takeAs(store, { owner: "h1/1/x", home: "/h", host: "h1", pid: 42 }, now);
    await store.submit([cmd(["sleep", "1"])]);
    await store.claim("h1/1/x", ROOM);
    const [host] = await store.hosts();
    assert.equal(host.name, "h1");
    assert.equal(host.pid, 42);
    assert.equal(host.slotsUsed, 1);
    assert.ok(host.heartbeatAgeMs >= 0 && host.heartbeatAgeMs < 60_000);
  });
});
