/**
 * The hook deliveries on both stores: a task's hooks are stored with it, a plan is one
 * transaction with the cursor and planning the same event twice adds nothing, due deliveries
 * come soonest first, a recorded try settles or reschedules its delivery, and the deliveries
 * still to run of a deliverer that is gone can be taken over by another.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { HookPayload } from "../../src/store/hook_store.ts";
import { forEachStore } from "./_stores.ts";

const payload = (target: string): HookPayload => ({
  action: "command",
  target,
  cwd: "/",
  timeoutMs: 1000,
  env: { BGT_TASK_ID: "1" },
  body: { id: 1 },
});

forEachStore("hook deliveries", (open) => {
  test("submit() stores a task's hooks and get() returns them; a task without has null", async () => {
    const store = await open();
    const [{ id }, { id: plain }] = await store.submit([
      {
        spec: { kind: "command", argv: ["true"] },
        hooks: { onFinish: "echo done", webhook: "http://127.0.0.1:1/x" },
      },
      { spec: { kind: "command", argv: ["true"] } },
    ]);
    assert.deepEqual((await store.get(id))?.hooks, {
      onFinish: "echo done",
      webhook: "http://127.0.0.1:1/x",
    });
    assert.equal((await store.get(plain))?.hooks, null);
    // A keyed task goes the one-by-one way on PostgreSQL: its hooks are stored too.
    const [{ id: keyed }] = await store.submit([
      { spec: { kind: "command", argv: ["true"] }, key: "k", hooks: { onSuccess: "echo ok" } },
    ]);
    assert.deepEqual((await store.get(keyed))?.hooks, { onSuccess: "echo ok" });
  });

  test("submit() refuses a hook that is not a line or a webhook that is not http(s)", async () => {
    const store = await open();
    await assert.rejects(
      store.submit([{ spec: { kind: "command", argv: ["true"] }, hooks: { webhook: "ftp://x" } }]),
      /webhook 'ftp:\/\/x' is not an http/,
    );
    await assert.rejects(
      store.submit([{
        spec: { kind: "command", argv: ["true"] },
        hooks: { onFinish: "  " } as never,
      }]),
      /hook onFinish must be a non-empty line/,
    );
    assert.equal(await store.count(), 0, "nothing stored");
  });

  test("plan() moves the cursor with its deliveries; the same event and hook twice is one delivery", async () => {
    const store = await open();
    assert.equal(await store.hooks.cursor("/h"), undefined);
    const delivery = { taskId: 1, eventId: 7, kind: "failed" as const, hook: "onFinish" };
    await store.hooks.plan("/h", 7, [{ ...delivery, payload: payload("echo a") }]);
    await store.hooks.plan("/h", 7, [{ ...delivery, payload: payload("echo again") }]);
    assert.equal(await store.hooks.cursor("/h"), 7);
    await store.hooks.plan("/h", 5, []);
    assert.equal(await store.hooks.cursor("/h"), 7, "a cursor never moves back");
    const all = await store.hooks.ofTask(1);
    assert.equal(all.length, 1);
    assert.equal(all[0].payload.target, "echo a");
    assert.equal(all[0].home, "/h");
    assert.equal(all[0].tries, 0);
    assert.equal(all[0].ok, null);
    assert.deepEqual(await store.hooks.due("/other", Date.now() + 1000, 10), [], "another home's");
  });

  test("pendingDeliverers() names who has deliveries to run; adopt() hands them over, settled ones stay", async () => {
    const store = await open();
    const delivery = (eventId: number, hook: string) => ({
      taskId: 1,
      eventId,
      kind: "failed" as const,
      hook,
      payload: payload(`echo ${eventId}`),
    });
    await store.hooks.plan("a:/h", 2, [delivery(1, "onFinish"), delivery(2, "onFinish")]);
    await store.hooks.plan("b:/h", 3, [delivery(3, "onFinish")]);
    const [settled] = await store.hooks.due("a:/h", Date.now() + 1000, 1);
    await store.hooks.record(settled.id, {
      ok: true,
      result: "exit 0",
      at: Date.now(),
      nextAt: null,
    });
    assert.deepEqual((await store.hooks.pendingDeliverers()).sort(), ["a:/h", "b:/h"]);
    assert.equal(await store.hooks.adopt(["a:/h"], "b:/h"), 1, "the one still to run");
    assert.equal(await store.hooks.adopt(["a:/h"], "c:/h"), 0, "taken once");
    assert.deepEqual(await store.hooks.pendingDeliverers(), ["b:/h"]);
    assert.equal((await store.hooks.due("b:/h", Date.now() + 1000, 10)).length, 2);
    const home = (await store.hooks.ofTask(1)).find((d) => d.id === settled.id)?.home;
    assert.equal(home, "a:/h", "a settled delivery keeps who ran it");
    assert.equal(await store.hooks.adopt([], "b:/h"), 0);
  });

  test("record() settles a delivery or sets its next try; due() returns what is due, soonest first", async () => {
    const store = await open();
    await store.hooks.plan("/h", 3, [
      { taskId: 2, eventId: 3, kind: "succeeded", hook: "onFinish", payload: payload("a") },
      { taskId: 2, eventId: 3, kind: "succeeded", hook: "webhook", payload: payload("b") },
    ]);
    const [first, second] = await store.hooks.due("/h", Date.now() + 1000, 10);
    assert.deepEqual([first.hook, second.hook], ["onFinish", "webhook"]);
    const at = Date.now();
    await store.hooks.record(first.id, { ok: true, result: "exit 0", at, nextAt: null });
    await store.hooks.record(second.id, { ok: false, result: "HTTP 500", at, nextAt: at + 60_000 });
    assert.deepEqual(await store.hooks.due("/h", at + 1000, 10), [], "one settled, one later");
    const [later] = await store.hooks.due("/h", at + 60_000, 10);
    assert.equal(later.id, second.id);
    assert.equal(later.tries, 1);
    assert.equal(later.result, "HTTP 500");
    const [settled] = (await store.hooks.ofTask(2)).filter((d) => d.id === first.id);
    assert.equal(settled.ok, true);
    assert.equal(settled.doneAt, at);
    assert.equal(settled.nextAt, null);
  });
});

forEachStore("hook deliveries' retention", (open) => {
  test("prune() deletes settled deliveries older than the cut, never pending ones", async () => {
    const store = await open();
    await store.hooks.plan("/h", 2, [
      { taskId: 1, eventId: 1, kind: "failed", hook: "onFinish", payload: payload("a") },
      { taskId: 1, eventId: 2, kind: "failed", hook: "webhook", payload: payload("b") },
    ]);
    const [old, pending] = await store.hooks.ofTask(1);
    await store.hooks.record(old.id, { ok: true, result: "exit 0", at: 1_000, nextAt: null });
    await store.hooks.record(pending.id, {
      ok: false,
      result: "HTTP 500",
      at: 1_000,
      nextAt: 5_000,
    });
    assert.equal(await store.hooks.prune(2_000), 1);
    assert.deepEqual((await store.hooks.ofTask(1)).map((d) => d.id), [pending.id]);
  });
});
