/**
 * The store's part of issue 17, on every backend: settings kept across restarts (`bgt parallel`)
 * and restart policies applied when a run ends.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { NewTask, TaskOutcome } from "../../src/task/types.ts";
import postgres from "postgres";
import { connectPostgres } from "../../src/store/postgres/postgres_connection.ts";
import {
  migratePostgres,
  POSTGRES_MIGRATIONS,
} from "../../src/store/postgres/postgres_migrations.ts";
import { PostgresTaskStore } from "../../src/store/postgres/postgres_task_store.ts";
import { forEachStore, postgresFactory, TEST_POSTGRES_URL } from "./_stores.ts";

const ROOM = { maxProcesses: 100, maxWorkers: 100 };
const service = (extra: Partial<NewTask> = {}): NewTask => ({
  spec: { kind: "command", argv: ["server"] },
  restart: "on-failure",
  restartDelayMs: 0,
  ...extra,
});
const FAILED: TaskOutcome = { status: "failed", exitCode: 1 };

forEachStore("settings", (open) => {
  test("setSetting() stores a value settings() reads back; null removes it", async () => {
    const store = await open();
    assert.deepEqual(await store.settings(), {});
    await store.setSetting("parallel", "5");
    await store.setSetting("parallel", "6");
    assert.deepEqual(await store.settings(), { parallel: "6" });
    await store.setSetting("parallel", null);
    assert.deepEqual(await store.settings(), {});
  });
});

forEachStore("restart policies", (open) => {
  test("a failed run of an on-failure task is queued again, counted, with its policy kept", async () => {
    const store = await open();
    const [{ id }] = await store.submit([service({ maxRestarts: 5, restartDelayMs: 0 })]);
    const [claimed] = await store.claim("me", ROOM);
    assert.equal(claimed.restart, "on-failure");
    assert.equal(claimed.maxRestarts, 5);
    const events = await store.finish("me", [{ id, attempt: 1, outcome: FAILED }]);
    assert.equal(events.at(-1)?.kind, "retrying");
    assert.equal(events.at(-1)?.data.restart, true);
    const task = await store.get(id);
    assert.equal(task?.status, "queued");
    assert.equal(task?.restarts, 1);
    // The next run, and its end, go the same way.
    await store.claim("me", ROOM);
    await store.finish("me", [{ id, attempt: 2, outcome: { status: "lost" } }]);
    assert.equal((await store.get(id))?.restarts, 2);
    assert.equal((await store.get(id))?.status, "queued");
  });

  test("the first restart waits --restart-delay", async () => {
    const store = await open();
    const [{ id }] = await store.submit([service({ restartDelayMs: 60_000 })]);
    await store.claim("me", ROOM);
    const before = await store.now();
    await store.finish("me", [{ id, attempt: 1, outcome: FAILED }]);
    const runAt = (await store.get(id))!.runAt;
    assert.ok(runAt - before >= 59_000 && runAt - before <= 62_000, `delay ${runAt - before}`);
  });

  test("a killed run (canceled) ends the task; so does a success under on-failure", async () => {
    const store = await open();
    const [{ id: killed }, { id: succeeded }] = await store.submit([service(), service()]);
    await store.claim("me", ROOM);
    await store.finish("me", [
      { id: killed, attempt: 1, outcome: { status: "canceled", signal: "SIGTERM" } },
      { id: succeeded, attempt: 1, outcome: { status: "succeeded", exitCode: 0 } },
    ]);
    assert.equal((await store.get(killed))?.status, "canceled");
    assert.equal((await store.get(succeeded))?.status, "succeeded");
    assert.equal((await store.get(killed))?.restarts, 0);
  });

  test("a run stopped by a kill is not restarted, even when it exits 0 on SIGTERM", async () => {
    const store = await open();
    const [{ id }] = await store.submit([service({ restart: "always" })]);
    await store.claim("me", ROOM);
    assert.equal(await store.setStop(id, 1, { reason: "kill", signal: "SIGTERM" }), true);
    await store.finish("me", [{ id, attempt: 1, outcome: { status: "succeeded", exitCode: 0 } }]);
    const task = await store.get(id);
    assert.equal(task?.status, "succeeded");
    assert.equal(task?.restarts, 0);
  });

  test("always restarts a success; max restarts ends it after that many", async () => {
    const store = await open();
    const [{ id }] = await store.submit([service({ restart: "always", maxRestarts: 1 })]);
    await store.claim("me", ROOM);
    await store.finish("me", [{ id, attempt: 1, outcome: { status: "succeeded", exitCode: 0 } }]);
    assert.equal((await store.get(id))?.status, "queued");
    await store.claim("me", ROOM);
    await store.finish("me", [{ id, attempt: 2, outcome: { status: "succeeded", exitCode: 0 } }]);
    const task = await store.get(id);
    assert.equal(task?.status, "succeeded");
    assert.equal(task?.restarts, 1);
  });
});

forEachStore("migrating a PostgreSQL store", () => {
  test("a schema one step behind is migrated, and the step logged as migrated N→M", async () => {
    const schema = `bgt_t${Math.random().toString(36).slice(2, 12)}`;
    const url = new URL(TEST_POSTGRES_URL);
    url.searchParams.set("schema", schema);
    const admin = postgres(TEST_POSTGRES_URL, { max: 1, onnotice: () => {} });
    const written: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    try {
      // As the previous bgt left it: every step but the last.
      const older = POSTGRES_MIGRATIONS.length - 1;
      const connection = connectPostgres(url.toString());
      try {
        await migratePostgres(connection, POSTGRES_MIGRATIONS.slice(0, older));
      } finally {
        await connection.sql.end({ timeout: 1 });
      }
      process.stderr.write = ((chunk: string) => (written.push(String(chunk)), true)) as never;
      const store = await PostgresTaskStore.open(url.toString());
      process.stderr.write = write;
      assert.deepEqual(await store.settings(), {}, "the new step's table is there");
      await store.close();
      assert.equal(written.length, 1, written.join(""));
      assert.match(
        written[0],
        new RegExp(
          `^bgt: migrated ${older}→${POSTGRES_MIGRATIONS.length}: the schema of postgres://`,
        ),
      );
    } finally {
      process.stderr.write = write;
      await admin.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end({ timeout: 1 });
    }
  });
}, [postgresFactory]);
