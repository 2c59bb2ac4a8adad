/** planDeliveries(): which hooks an event sets off, with exactly the BGT_* variables of the issue. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseGlobalHooks } from "../../src/hooks/global_hooks.ts";
import { planDeliveries } from "../../src/hooks/plan_deliveries.ts";
import type { TaskEvent } from "../../src/task/events.ts";
import type { Task } from "../../src/task/types.ts";

const task: Task = {
  id: 42,
  kind: "command",
  spec: { kind: "command", argv: ["sh", "-c", "exit 4"] },
  name: "build",
  group: "ci",
  priority: 0,
  status: "failed",
  runAt: 0,
  createdAt: 0,
  startedAt: 1_000,
  finishedAt: 3_500,
  attempt: 2,
  maxAttempts: 2,
  backoffMs: 1000,
  timeoutMs: null,
  after: [],
  afterAny: false,
  key: null,
  scheduleId: null,
  retain: null,
  stdin: false,
  checkpoint: undefined,
  env: { PATH: "/bin", LANG: "C" },
  cwd: "/tmp",
  meta: {},
  hooks: { onSuccess: "s", onFailure: "f", onFinish: "e", webhook: "http://127.0.0.1:9/x" },
  pid: null,
  exitCode: 4,
  signal: null,
  result: undefined,
  error: null,
  progress: null,
  progressMessage: null,
  owner: null,
  leaseUntil: null,
};
const failed: TaskEvent = {
  id: 9,
  at: 3_600,
  taskId: 42,
  kind: "failed",
  data: { attempt: 2, exitCode: 4, signal: null, error: null },
};
const options = { globalHooks: [], host: "box", outputTail: "last\n" };

test("a failure sets off --on-failure, --on-finish and --webhook, not --on-success", () => {
  const deliveries = planDeliveries(failed, task, options);
  assert.deepEqual(deliveries.map((d) => [d.hook, d.payload.action, d.payload.target]), [
    ["onFailure", "command", "f"],
    ["onFinish", "command", "e"],
    ["webhook", "webhook", "http://127.0.0.1:9/x"],
  ]);
  const succeeded = planDeliveries({ ...failed, kind: "succeeded" }, task, options);
  assert.deepEqual(succeeded.map((d) => d.hook), ["onSuccess", "onFinish", "webhook"]);
  const retrying = planDeliveries({ ...failed, kind: "retrying" }, task, options);
  assert.deepEqual(retrying, [], "a task's own hooks wait for its end");
});

test("a hook's variables are exactly the issue's BGT_* list, over the task's environment", () => {
  const [delivery] = planDeliveries(failed, task, options);
  const env = delivery.payload.env;
  assert.deepEqual(
    Object.fromEntries(Object.entries(env).filter(([key]) => key.startsWith("BGT_"))),
    {
      BGT_TASK_ID: "42",
      BGT_NAME: "build",
      BGT_GROUP: "ci",
      BGT_STATUS: "failed",
      BGT_EXIT_CODE: "4",
      BGT_SIGNAL: "",
      BGT_ATTEMPT: "2",
      BGT_FINAL: "1",
      BGT_DURATION_MS: "2500",
      BGT_HOST: "box",
      BGT_EVENT_ID: "9",
    },
  );
  assert.equal(env.PATH, "/bin");
  assert.equal(delivery.payload.cwd, "/tmp");
  assert.equal(delivery.payload.body.id, 42);
  assert.equal(delivery.payload.body.status, "failed");
  assert.equal(delivery.payload.body.outputTail, "last\n");
});

test("global hooks join when their conditions hold; notify gets a one-line summary", () => {
  const globalHooks = parseGlobalHooks([
    { name: "slow", longer_than: "2s", notify: true },
    { name: "other-group", group: "nightly", run: "x" },
    { name: "retries", on: ["retrying"], webhook: "https://example.com/r" },
  ]);
  const deliveries = planDeliveries(failed, { ...task, hooks: null }, { ...options, globalHooks });
  assert.deepEqual(deliveries.map((d) => d.hook), ["global:slow"]);
  assert.equal(deliveries[0].payload.target, "bgt: build failed (exit 4)");
  const retrying = planDeliveries({ ...failed, kind: "retrying" }, { ...task, hooks: null }, {
    ...options,
    globalHooks,
  });
  assert.deepEqual(retrying.map((d) => [d.hook, d.payload.env.BGT_FINAL]), [[
    "global:retries",
    "0",
  ]]);
});

test("BGT_HOST names the host that ran the task, also when another host plans its hooks", () => {
  const [ranOnB] = planDeliveries(failed, { ...task, host: "b" }, options);
  assert.equal(ranOnB.payload.env.BGT_HOST, "b");
  const [neverRan] = planDeliveries(failed, { ...task, host: null }, options);
  assert.equal(neverRan.payload.env.BGT_HOST, "box");
});
