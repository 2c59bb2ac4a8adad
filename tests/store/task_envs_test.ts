import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { openSqlite, type SqliteDatabase } from "../../src/runtime/sqlite.ts";
import { migrate, MIGRATIONS } from "../../src/store/migrations.ts";
import { SqliteTaskStore } from "../../src/store/sqlite_task_store.ts";
import { envHash } from "../../src/store/task_envs.ts";
import type { NewTask } from "../../src/task/types.ts";
import { submitIds } from "../_helpers/store.ts";

/** A captured environment's size: some 30 variables, about 1.3 KB of JSON. */
const ENV: Record<string, string> = Object.fromEntries(
  Array.from(
    { length: 30 },
    (_, i) => [`VARIABLE_${i}`, `/some/value/of/length/${"x".repeat(20)}`],
  ),
);

const cmd = (argv: string[], env?: Record<string, string>): NewTask => ({
  spec: { kind: "command", argv },
  env,
});

async function rows<T>(path: string, sql: string, ...params: (string | number)[]): Promise<T[]> {
  const db = await openSqlite(path);
  try {
    return db.prepare(sql).all<T>(...params);
  } finally {
    db.close();
  }
}

describe("task environments", () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "bgt-envs-"));
    path = join(dir, "bgt.db");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test("a batch of 1,000 tasks with one env stores one env row, and each task is claimed with it", async () => {
    const store = await SqliteTaskStore.open(path);
    try {
      const ids = await submitIds(
        store,
        Array.from({ length: 1000 }, (_, i) => cmd([`${i}`], ENV)),
      );
      await store.submit([cmd(["same env, later"], { ...ENV }), cmd(["none"])]);
      const envs = await rows<{ json: string; tasks: number }>(
        path,
        "SELECT json, tasks FROM envs",
      );
      assert.deepEqual(envs, [{ json: JSON.stringify(ENV), tasks: 1001 }]);
      const claimed = await store.claim("me", { maxProcesses: 2000, maxWorkers: 0 });
      assert.equal(claimed.length, 1002);
      for (const task of claimed.slice(0, 1001)) assert.deepEqual(task.env, ENV);
      assert.deepEqual(claimed[1001].env, {});
      assert.deepEqual((await store.get(ids[500]))!.env, ENV);
      await store.finish(
        "me",
        claimed.map((task) => ({
          id: task.id,
          attempt: task.attempt,
          outcome: { status: "succeeded" },
        })),
      );
      await store.remove(ids.slice(0, 999));
      assert.deepEqual(await rows(path, "SELECT tasks FROM envs"), [{ tasks: 2 }]);
      await store.remove(claimed.map((task) => task.id));
      assert.deepEqual(await rows(path, "SELECT * FROM envs"), []);
    } finally {
      await store.close();
    }
  });

  test("a batch's tasks sharing one env object are checked once; another env object is checked too", async () => {
    const store = await SqliteTaskStore.open(path);
    try {
      const bad = { ...ENV, BROKEN: "a\0b" };
      await assert.rejects(
        store.submit([cmd(["a"], ENV), cmd(["b"], ENV), cmd(["c"], bad)]),
        /environment variable BROKEN contains a NUL byte/,
      );
      assert.deepEqual(await store.list(), []);
      assert.deepEqual(await rows(path, "SELECT * FROM envs"), []);
    } finally {
      await store.close();
    }
  });

  test("an environment whose hash id another one holds is stored at the next id", async () => {
    const store = await SqliteTaskStore.open(path);
    try {
      const db = await openSqlite(path);
      db.prepare("INSERT INTO envs (id, json, tasks) VALUES (?, ?, 1)")
        .run(envHash(JSON.stringify(ENV)), JSON.stringify({ SQUATTER: "1" }));
      db.close();
      const [id] = await submitIds(store, [cmd(["x"], ENV)]);
      assert.deepEqual((await store.get(id))!.env, ENV);
      assert.deepEqual(
        await rows(
          path,
          "SELECT id - ? AS offset FROM envs WHERE json = ?",
          envHash(JSON.stringify(ENV)),
          JSON.stringify(ENV),
        ),
        [{ offset: 1 }],
      );
    } finally {
      await store.close();
    }
  });

  test("a schema-8 database with tasks opens migrated, its tasks keeping their env", async () => {
    const old: SqliteDatabase = await openSqlite(path);
    migrate(old, { to: 8 });
    const insert = old.prepare(
      `INSERT INTO tasks (kind, spec, status, run_at, created_at, env, cwd)
       VALUES ('command', x'00', 'succeeded', 0, 0, ?, '/')`,
    );
    const other = JSON.stringify({ ONLY: "this one" });
    for (const env of [JSON.stringify(ENV), "{}", other, JSON.stringify(ENV)]) insert.run(env);
    old.close();

    const store = await SqliteTaskStore.open(path);
    try {
      assert.deepEqual((await store.list({ newestFirst: false })).map((task) => task.env), [
        ENV,
        {},
        { ONLY: "this one" },
        ENV,
      ]);
      const envs = await rows<{ json: string; tasks: number }>(
        path,
        "SELECT json, tasks FROM envs ORDER BY tasks DESC",
      );
      assert.deepEqual(envs, [{ json: JSON.stringify(ENV), tasks: 2 }, { json: other, tasks: 1 }]);
      await store.submit([cmd(["after the upgrade"], ENV)]);
      assert.deepEqual(await rows(path, "SELECT tasks FROM envs ORDER BY tasks DESC"), [
        { tasks: 3 },
        { tasks: 1 },
      ], "a new task of a moved environment refers to its row");
      assert.deepEqual(await rows(path, "PRAGMA user_version"), [{
        user_version: MIGRATIONS.length,
      }]);
    } finally {
      await store.close();
    }
  });
});
