/**
 * The PostgreSQL store shared by several hosts (issue 14), at the store level: the registry
 * (`hosts()`), the host a claim records, placement (`onHost`, `needLabels`), the rescue of a dead
 * supervisor's tasks (lost, or retried per policy) with fencing of every late write of that
 * supervisor, the grace a graceful stop leaves to its home's next supervisor, and the trigger that
 * makes over-admission of a limited group an error. (SQLite is one host: placement is refused.)
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import postgres from "postgres";
import type { SupervisorRecord, TaskStore } from "../../src/store/task_store.ts";
import type { NewTask } from "../../src/task/types.ts";
import { onSchema as onSchemaOf } from "../_helpers/pg_schemas.ts";
import { claimOne, submitIds } from "../_helpers/store.ts";
import { forEachStore, postgresFactory, sqliteFactory, TEST_POSTGRES_URL } from "./_stores.ts";

const cmd = (name: string, extra: Partial<NewTask> = {}): NewTask => ({
  spec: { kind: "command", argv: ["echo", name] },
  name,
  ...extra,
});
const ROOM = { maxProcesses: 10, maxWorkers: 10 };

/** Registers a supervisor `owner` on host `host` (its own home). */
async function register(
  store: TaskStore,
  owner: string,
  host: string,
  extra: Partial<SupervisorRecord> = {},
): Promise<void> {
  const now = await store.now();
  const me: SupervisorRecord = {
    owner,
    home: `/homes/${owner}`,
    host,
    pid: 4242,
    startTime: null,
    startedAt: now,
    heartbeatAt: now,
    slots: 4,
    version: "9.9.9",
    ...extra,
  };
  assert.equal((await store.takeSupervisor(me, () => false)).owner, owner);
}

/** Runs SQL on the store's schema (to age a heartbeat, to force a row). */
function onSchema<T>(store: TaskStore, run: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  return onSchemaOf(store.description, run, { server: TEST_POSTGRES_URL });
}

forEachStore("many hosts", (open) => {
  test("hosts() lists each supervisor: name, labels, slots used of total, version, heartbeat age", async () => {
    const store = await open();
    await register(store, "sa", "a", { labels: ["gpu", "big"] });
    await register(store, "sb", "b");
    await submitIds(store, [cmd("one"), cmd("two")]);
    await store.claim("sa", { ...ROOM, limit: 2 });
    await store.setDraining("sb", true);
    const hosts = await store.hosts();
    assert.deepEqual(
      hosts.map((host) => [host.name, host.labels, host.slotsUsed, host.slotsTotal, host.draining]),
      [["a", ["gpu", "big"], 2, 4, false], ["b", [], 0, 4, true]],
    );
    assert.equal(hosts[0].version, "9.9.9");
    assert.ok(hosts[0].heartbeatAgeMs >= 0 && hosts[0].heartbeatAgeMs < 5_000);
    assert.equal(
      (await store.get((await store.list())[0].id))?.host,
      "a",
      "a claim records its host",
    );
  });

  test("--on pins a task to a host and --need asks for labels; others leave them queued", async () => {
    const store = await open();
    await register(store, "sa", "a", { labels: ["gpu"] });
    await register(store, "sb", "b");
    const [onB, needGpu, any] = await submitIds(store, [
      cmd("on b", { onHost: "b" }),
      cmd("needs gpu", { needLabels: ["gpu"] }),
      cmd("anywhere"),
    ]);
    const byA = (await store.claim("sa", ROOM)).map((task) => task.id);
    assert.deepEqual(byA, [needGpu, any]);
    const byB = (await store.claim("sb", ROOM)).map((task) => task.id);
    assert.deepEqual(byB, [onB]);
    const pinned = (await store.get(onB))!;
    assert.equal(pinned.onHost, "b");
    assert.deepEqual((await store.get(needGpu))!.needLabels, ["gpu"]);
  });

  test("a dead supervisor's tasks are rescued: lost, or retried with retries left; its late writes change nothing", async () => {
    const store = await open();
    const other = await open(store);
    await register(store, "dead", "b", { leaseMs: 1_000 });
    await register(other, "alive", "a");
    const [once, retried] = await submitIds(store, [
      cmd("once"),
      cmd("retried", { maxAttempts: 2, backoffMs: 1 }),
    ]);
    const claimed = await store.claim("dead", ROOM);
    assert.equal(claimed.length, 2);
    assert.deepEqual((await other.rescue()).dead, [], "not dead within its lease");
    await onSchema(
      store,
      (sql) => sql`UPDATE supervisors SET heartbeat_at = heartbeat_at - 5000 WHERE owner = 'dead'`,
    );
    const { dead, events } = await other.rescue();
    assert.deepEqual(dead.map((record) => record.host), ["b"]);
    assert.deepEqual(
      events.map((event) => [event.taskId, event.kind]),
      [[once, "lost"], [retried, "retrying"]],
    );
    const lost = (await store.get(once))!;
    assert.equal(lost.status, "lost");
    assert.match(lost.error!.message, /host b .*stopped heartbeating/);
    assert.equal((await store.get(retried))!.status, "queued");
    assert.equal(await store.heartbeat("dead"), false, "the dead one learns it from its heartbeat");

    // The retry runs elsewhere; the dead supervisor's late writes about either task are fenced.
    await new Promise((resolve) => setTimeout(resolve, 50)); // its backoff (1 ms, jittered)
    const again = (await other.claim("alive", { ...ROOM, limit: 1 }))[0];
    assert.equal(again.id, retried);
    const fence = { owner: "dead", attempt: 1 };
    assert.deepEqual(
      await store.finish("dead", [
        { id: once, attempt: 1, outcome: { status: "succeeded", exitCode: 0 } },
        { id: retried, attempt: 1, outcome: { status: "succeeded", exitCode: 0 } },
      ]),
      [],
    );
    await store.setProgress(retried, 0.9, "late", fence);
    await store.mergeMeta(retried, { late: true }, fence);
    assert.equal(await store.setPaused(retried, true, fence), false);
    const now = (await store.get(retried))!;
    assert.deepEqual(
      [now.status, now.attempt, now.owner, now.progress, now.meta],
      ["running", 2, "alive", null, {}],
    );
    assert.equal((await store.get(once))!.status, "lost");
    assert.equal((await store.attempts(once)).length, 1);
    // The live supervisor's own fenced writes land.
    await store.setProgress(retried, 0.5, "half", { owner: "alive", attempt: 2 });
    assert.equal((await store.get(retried))!.progress, 0.5);
  });

  test("a graceful stop leaves its running tasks a lease of grace; a new supervisor of the home re-adopts them", async () => {
    const store = await open();
    await register(store, "old", "b", { leaseMs: 60_000 });
    await register(store, "watcher", "a");
    const [id] = await submitIds(store, [cmd("long")]);
    await claimOne(store, "old");
    await store.releaseSupervisor("old");
    assert.deepEqual((await store.rescue()).events, [], "within the grace: left alone");
    // The home's next supervisor (same host, same home) takes it over.
    await register(store, "new", "b", { home: "/homes/old" });
    const adopted = await store.adoptOrphans("new", "/homes/old");
    assert.deepEqual(adopted.map((task) => task.id), [id]);
    assert.equal((await store.get(id))!.owner, "new");
    // A home of the same path on another host adopts nothing of it.
    await register(store, "elsewhere", "c", { home: "/homes/x" });
    assert.deepEqual(await store.adoptOrphans("elsewhere", "/homes/old"), []);
  });

  test("a claim that would run more of a limited group than its limit is an error", async () => {
    const store = await open();
    await store.setGroup("g", { parallel: 1 });
    const [first, second] = await submitIds(store, [
      cmd("1", { group: "g" }),
      cmd("2", { group: "g" }),
    ]);
    assert.equal((await store.claim("me", ROOM)).length, 1);
    await assert.rejects(
      onSchema(store, (sql) => sql`UPDATE tasks SET status = 'running' WHERE id = ${second}`),
      /group g would run more than its parallel limit 1/,
    );
    assert.equal((await store.get(first))!.status, "running");
    assert.equal((await store.get(second))!.status, "queued");
  });
}, [postgresFactory]);

forEachStore("one host", (open) => {
  test("placement needs a shared store: --on and --need are refused on bgt.db, nothing stored", async () => {
    const store = await open();
    await assert.rejects(
      store.submit([cmd("x", { onHost: "b" })]),
      /placement \(--on, --need\) needs a shared PostgreSQL store/,
    );
    await assert.rejects(store.submit([cmd("x", { needLabels: ["gpu"] })]), /needs a shared/);
    assert.equal(await store.count(), 0);
    assert.deepEqual(await store.rescue(), { dead: [], events: [] });
  });
}, [sqliteFactory]);
