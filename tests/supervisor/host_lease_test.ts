/**
 * The host lease (issue 14): a supervisor renews its heartbeat every tenth of its lease and
 * sweeps for dead hosts while it holds it; cut off for 60 % of the lease it fences itself (before
 * the others may take the lease), and goes on when the store answers again; told that its row is
 * gone, it reports itself dead and stops renewing.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { FENCE_AT, HostLease } from "../../src/supervisor/host_lease.ts";
import type { RescueResult } from "../../src/store/task_store.ts";

/** A store whose heartbeat answers as `answer` says now. */
function fakeStore(answer: { now: "ok" | "fail" | "gone" }) {
  const calls = { heartbeats: 0, rescues: 0 };
  return {
    calls,
    store: {
      heartbeat: () => {
        calls.heartbeats++;
        if (answer.now === "fail") return Promise.reject(new Error("connection refused"));
        return Promise.resolve(answer.now === "ok");
      },
      rescue: (): Promise<RescueResult> => {
        calls.rescues++;
        return Promise.resolve({ dead: [], events: [] });
      },
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test("renews every tenth of the lease and sweeps for dead hosts while it holds it", async () => {
  const answer = { now: "ok" as "ok" | "fail" | "gone" };
  const { store, calls } = fakeStore(answer);
  const lease = new HostLease({
    store,
    owner: "me",
    leaseMs: 1_000,
    onFence: () => assert.fail("not fenced while the store answers"),
    onUnfence: () => {},
    onDead: () => assert.fail("not dead"),
  });
  assert.equal(lease.periodMs, 100);
  lease.start();
  await sleep(1_100);
  lease.stop();
  assert.ok(calls.heartbeats >= 5 && calls.heartbeats <= 12, `${calls.heartbeats} heartbeats`);
  assert.equal(calls.rescues, calls.heartbeats, "a sweep after each heartbeat that landed");
});

test("cut off for 60 % of the lease, it fences itself, and unfences when the store answers", async () => {
  const answer = { now: "fail" as "ok" | "fail" | "gone" };
  const { store, calls } = fakeStore(answer);
  const seen: string[] = [];
  const started = performance.now();
  let fencedAfter = 0;
  const lease = new HostLease({
    store,
    owner: "me",
    leaseMs: 1_000,
    onFence: (reason) => {
      fencedAfter = performance.now() - started;
      seen.push(`fence: ${reason}`);
    },
    onUnfence: () => seen.push("unfence"),
    onDead: () => seen.push("dead"),
  });
  lease.start();
  await sleep(900);
  assert.equal(seen.length, 1, seen.join("; "));
  assert.match(seen[0], /^fence: the supervisor could not reach the store for \d\.\d s/);
  assert.ok(fencedAfter >= 1_000 * FENCE_AT, `fenced after ${fencedAfter} ms`);
  assert.ok(fencedAfter <= 1_000 * (FENCE_AT + 0.25), `fenced after ${fencedAfter} ms`);
  assert.equal(lease.fenced, true);
  assert.equal(calls.rescues, 0, "no sweep without the lease");
  answer.now = "ok";
  await sleep(500);
  lease.stop();
  assert.deepEqual(seen.slice(1), ["unfence"]);
  assert.equal(lease.fenced, false);
});

test("told its row is gone, it reports itself dead once and stops renewing", async () => {
  const answer = { now: "gone" as "ok" | "fail" | "gone" };
  const { store, calls } = fakeStore(answer);
  let dead = 0;
  const lease = new HostLease({
    store,
    owner: "me",
    leaseMs: 1_000,
    onFence: () => {},
    onUnfence: () => {},
    onDead: () => dead++,
  });
  lease.start();
  await sleep(700);
  lease.stop();
  assert.equal(dead, 1);
  assert.equal(calls.heartbeats, 1);
  assert.equal(calls.rescues, 0);
});
