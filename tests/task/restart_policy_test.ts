import assert from "node:assert/strict";
import { test } from "node:test";
import {
  MAX_RESTART_DELAY_MS,
  restartAfter,
  type RestartState,
  STABLE_RUN_MS,
} from "../../src/task/restart_policy.ts";
import { afterRun } from "../../src/task/retry.ts";

const state = (extra: Partial<RestartState> = {}): RestartState => ({
  restart: "on-failure",
  restartDelayMs: 100,
  maxRestarts: null,
  restarts: 0,
  restartStreak: 0,
  startedAt: 0,
  ...extra,
});

test("restartAfter() doubles the delay with each quick restart, up to the cap", () => {
  const delays = [0, 1, 2, 3].map((streak) =>
    restartAfter(state({ restartStreak: streak, startedAt: 900 }), { status: "failed" }, 1000)!
      .runAt - 1000
  );
  assert.deepEqual(delays, [100, 200, 400, 800]);
  const capped = restartAfter(
    state({ restartStreak: 30, startedAt: 900 }),
    { status: "failed" },
    1000,
  );
  assert.equal(capped!.runAt - 1000, MAX_RESTART_DELAY_MS);
});

test("restartAfter() resets the delay after a stable run", () => {
  const again = restartAfter(
    state({ restartStreak: 5, startedAt: 0 }),
    { status: "failed" },
    STABLE_RUN_MS,
  );
  assert.deepEqual(again, { runAt: STABLE_RUN_MS + 100, restarts: 1, restartStreak: 1 });
});

test("restartAfter() stops on a kill, on a success under on-failure, and at max restarts", () => {
  assert.equal(restartAfter(state(), { status: "canceled" }, 10), undefined);
  assert.equal(restartAfter(state({ restart: "always" }), { status: "canceled" }, 10), undefined);
  assert.equal(restartAfter(state(), { status: "succeeded" }, 10), undefined);
  assert.ok(restartAfter(state({ restart: "always" }), { status: "succeeded" }, 10));
  assert.equal(
    restartAfter(state({ maxRestarts: 2, restarts: 2 }), { status: "failed" }, 10),
    undefined,
  );
  assert.ok(restartAfter(state({ maxRestarts: 2, restarts: 1 }), { status: "failed" }, 10));
  assert.ok(restartAfter(state(), { status: "lost" }, 10), "a reboot's lost run comes back");
  assert.ok(restartAfter(state(), { status: "timed_out" }, 10));
});

test("afterRun() queues a task with a restart policy again, whatever its attempts", () => {
  const next = afterRun(
    { attempt: 7, maxAttempts: 1, backoffMs: 1000, runAt: 0, restart: state({ startedAt: 50 }) },
    { status: "failed" },
    100,
  );
  assert.deepEqual(next, {
    status: "queued",
    runAt: 200,
    finishedAt: null,
    event: "retrying",
    restart: { restarts: 1, restartStreak: 1 },
  });
  const ended = afterRun(
    { attempt: 7, maxAttempts: 1, backoffMs: 1000, runAt: 0, restart: state() },
    { status: "canceled" },
    100,
  );
  assert.equal(ended.status, "canceled");
});
