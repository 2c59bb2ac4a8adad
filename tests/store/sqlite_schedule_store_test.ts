import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { openSqlite } from "../../src/runtime/sqlite.ts";
import { pruneScheduleRuns } from "../../src/schedule/prune_schedule_runs.ts";
import { encode } from "../../src/task/codec.ts";
import { migrate } from "../../src/store/migrations.ts";
import { SqliteTaskStore } from "../../src/store/sqlite_task_store.ts";
import { claimOne, finishOne, submitIds } from "../_helpers/store.ts";
import { taskFiles } from "../../src/store/task_files.ts";
import type { NewSchedule } from "../../src/task/schedule.ts";
import type { NewTask } from "../../src/task/types.ts";

const tick: NewTask = { spec: { kind: "command", argv: ["tick"] }, name: "tick" };

describe("SqliteScheduleStore", () => {
  let dir: string;
  let store: SqliteTaskStore;
  const now = Date.now() - 100_000; // slots fired here are due: their runs are queued
  const every1s = (extra: Partial<NewSchedule> = {}) =>
    store.schedules.create({
      every: "1s",
      timeZone: null,
      template: tick,
      anchor: now,
      nextAt: now + 1000,
      ...extra,
    });
  /** Fires slot k (now + k s) of a schedule; returns the tasks it created. */
  const fireSlot = (id: number, k: number) =>
    store.schedules.fire(id, {
      slots: [now + k * 1000],
      skipped: 0,
      lastSlot: now + k * 1000,
      nextAt: now + (k + 1) * 1000,
    });
  const claim = async (id: number) => {
    const task = await claimOne(store, "me");
    assert.equal(task?.id, id, `task ${id} is the one claimed`);
  };
  const succeed = (id: number) => finishOne(store, id, "me", { status: "succeeded", exitCode: 0 });
  const waiting = async (id: number) =>
    (await store.list({ scheduleId: id, status: ["queued", "scheduled", "blocked"] })).map((t) =>
      t.id
    );

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "bgt-schedules-"));
    store = await SqliteTaskStore.open(join(dir, "bgt.db"));
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("overlap queue keeps at most one waiting run: a firing while one waits is passed over", async () => {
    const id = await every1s({ overlap: "queue" });
    const [first] = await fireSlot(id, 1);
    await claim(first);
    const [second] = await fireSlot(id, 2);
    assert.deepEqual(
      (await store.get(second))!.after,
      [first],
      "the next run waits for the running one",
    );
    assert.equal((await store.get(second))!.status, "blocked");
    assert.deepEqual(await fireSlot(id, 3), [], "a third run does not pile up behind the second");
    assert.deepEqual(await fireSlot(id, 4), []);
    assert.deepEqual(await waiting(id), [second]);
    assert.equal((await store.schedules.get(id))!.skipped, 2);
    await succeed(first);
    assert.equal((await store.get(second))!.status, "queued");
    assert.deepEqual(
      await fireSlot(id, 5),
      [],
      "a queued run still waits: the firing is passed over",
    );
    await claim(second);
    const [third] = await fireSlot(id, 6);
    assert.deepEqual((await store.get(third))!.after, [second]);
    assert.deepEqual(await waiting(id), [third]);
  });

  test("overlap queue still runs each missed slot of one --catch-up all firing, one after another", async () => {
    const id = await every1s({ overlap: "queue", catchUp: "all" });
    const slots = [now + 1000, now + 2000, now + 3000];
    const ids = await store.schedules.fire(
      id,
      { slots, skipped: 0, lastSlot: now + 3000, nextAt: now + 4000 },
    );
    assert.equal(ids.length, 3);
    assert.deepEqual((await store.get(ids[1]))!.after, [ids[0]]);
    assert.deepEqual((await store.get(ids[2]))!.after, [ids[1]]);
    assert.deepEqual(await fireSlot(id, 4), [], "but a later firing does not add to them");
  });

  test("remove() cancels the runs that have not started and leaves a running one alone", async () => {
    const id = await every1s({ overlap: "allow" });
    const [running] = await fireSlot(id, 1);
    await claim(running);
    const [done] = await submitIds(store, [{ ...tick, scheduleId: id }]);
    await claim(done);
    await succeed(done);
    const [queued] = await fireSlot(id, 2);
    const [other] = await submitIds(store, [tick]);
    const removal = await store.schedules.remove(id);
    assert.deepEqual(removal, { canceled: [queued], running: [running] });
    assert.equal(await store.schedules.get(id), undefined);
    assert.equal((await store.get(queued))!.status, "canceled");
    assert.match(
      (await store.get(queued))!.error!.message,
      new RegExp(`Schedule ${id} was removed`),
    );
    assert.equal((await store.get(running))!.status, "running");
    assert.equal((await store.get(done))!.status, "succeeded", "finished runs stay");
    assert.equal((await store.get(other))!.status, "queued", "other tasks are not touched");
    assert.equal(await store.schedules.remove(id), undefined, "a second remove finds none");
  });

  test("remove() cancels a run blocked behind the running one under overlap queue", async () => {
    const id = await every1s({ overlap: "queue" });
    const [first] = await fireSlot(id, 1);
    await claim(first);
    const [second] = await fireSlot(id, 2);
    assert.deepEqual(await store.schedules.remove(id), { canceled: [second], running: [first] });
    assert.equal((await store.get(second))!.status, "canceled");
  });

  test("keep is stored with the schedule; runsPastKeep() names the finished runs beyond it", async () => {
    const id = await every1s({ overlap: "allow", keep: 2 });
    const unkept = await every1s({ overlap: "allow" });
    assert.equal((await store.schedules.get(id))!.keep, 2);
    assert.equal((await store.schedules.get(unkept))!.keep, null);
    const runs: number[] = [];
    for (const k of [1, 2, 3, 4]) runs.push((await fireSlot(id, k))[0]);
    const others: number[] = [];
    for (const k of [5, 6, 7]) others.push((await fireSlot(unkept, k))[0]);
    for (const task of runs.slice(0, 3)) {
      await claim(task);
      await succeed(task);
    }
    // Runs 1-3 finished, run 4 waits: the newest two finished (2, 3) are kept.
    assert.deepEqual(await store.schedules.runsPastKeep([runs[2]]), [runs[0]]);
    await claim(runs[3]);
    await finishOne(store, runs[3], "me", { status: "failed", exitCode: 1 });
    assert.deepEqual(await store.schedules.runsPastKeep([runs[3]]), [runs[0], runs[1]]);
    for (const task of others) {
      await claim(task);
      await succeed(task);
    }
    assert.deepEqual(await store.schedules.runsPastKeep(others), [], "no keep: every run stays");
    assert.deepEqual(await store.schedules.runsPastKeep([]), []);
  });

  test("pruneScheduleRuns() removes the runs past keep with their logs, and no others", async () => {
    const logs = join(dir, "logs");
    const id = await every1s({ overlap: "allow", keep: 1 });
    const runs: number[] = [];
    for (const k of [1, 2, 3]) runs.push((await fireSlot(id, k))[0]);
    const [unrelated] = await submitIds(store, [tick]);
    for (const task of [...runs, unrelated]) {
      mkdirSync(taskFiles(logs, task).dir, { recursive: true });
      writeFileSync(taskFiles(logs, task).stdout, "out\n");
      await claim(task);
      await succeed(task);
    }
    assert.deepEqual(await pruneScheduleRuns(store, logs, [runs[2], unrelated]), [
      runs[0],
      runs[1],
    ]);
    assert.deepEqual((await store.list({ scheduleId: id })).map((task) => task.id), [runs[2]]);
    assert.equal(existsSync(taskFiles(logs, runs[0]).dir), false, "its logs are gone");
    assert.equal(existsSync(taskFiles(logs, runs[1]).dir), false);
    assert.equal(existsSync(taskFiles(logs, runs[2]).stdout), true, "the kept run keeps its logs");
    assert.equal(existsSync(taskFiles(logs, unrelated).stdout), true);
    assert.equal((await store.get(unrelated))!.status, "succeeded");
  });

  test("a bgt.db of schema 7 with a schedule opens, and the schedule keeps every run", async () => {
    const path = join(dir, "v7.db");
    const db = await openSqlite(path);
    migrate(db, { to: 7 });
    db.prepare(
      `INSERT INTO schedules (every, time_zone, template, overlap, catch_up, anchor, next_at,
         created_at) VALUES ('1h', NULL, ?, 'skip', 'once', ?, ?, ?)`,
    ).run(encode(tick), now, now + 3_600_000, now);
    db.close();
    const old = await SqliteTaskStore.open(path);
    try {
      const [schedule] = await old.schedules.list();
      assert.equal(schedule.every, "1h");
      assert.equal(schedule.keep, null);
      assert.equal(schedule.nextAt, now + 3_600_000);
    } finally {
      await old.close();
    }
  });
});
