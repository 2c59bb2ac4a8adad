/**
 * The live view of `bgt wait`: a summary line, elapsed times, and never taller than the screen.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { liveSummary, renderLiveView } from "../../src/cli/live_progress.ts";
import type { Task, TaskStatus } from "../../src/task/types.ts";

const NOW = 1_800_000_000_000;

function task(id: number, status: TaskStatus, startedAgoMs: number | null = null): Task {
  const startedAt = startedAgoMs === null ? null : NOW - startedAgoMs;
  const finished = ["succeeded", "failed", "canceled", "timed_out", "lost"].includes(status);
  return {
    id,
    status,
    name: `job-${id}`,
    spec: { kind: "command", argv: ["true"] },
    progress: null,
    progressMessage: null,
    createdAt: NOW - 600_000,
    startedAt,
    finishedAt: finished && startedAt !== null ? startedAt + 3_000 : null,
  } as unknown as Task;
}

/** 24 tasks: 11 succeeded, 2 running, 1 failed, 10 queued. */
function mix(): Task[] {
  const tasks: Task[] = [];
  for (let id = 1; id <= 24; id++) {
    const status: TaskStatus = id <= 11
      ? "succeeded"
      : id <= 13
      ? "running"
      : id === 14
      ? "failed"
      : "queued";
    tasks.push(task(id, status, status === "queued" ? null : 65_000));
  }
  return tasks;
}

describe("wait's live view", () => {
  test("liveSummary() counts done, running and failed tasks", () => {
    assert.equal(liveSummary(mix()), "12/24 done · 2 running · 1 failed · 10 waiting");
    assert.equal(liveSummary([task(1, "succeeded")]), "1/1 done · 0 running · 0 failed");
  });

  test("renderLiveView() shows each task's elapsed time: running to now, finished to its end", () => {
    const lines = renderLiveView([task(1, "running", 65_000), task(2, "failed", 10_000)], {
      rows: 24,
      columns: 80,
      now: NOW,
    });
    assert.deepEqual(lines, [
      "1/2 done · 1 running · 1 failed",
      "1 running 1m05s job-1",
      "2 failed 3s job-2",
    ]);
  });

  test("renderLiveView() is never taller than the screen and keeps running and failed tasks", () => {
    for (const rows of [3, 5, 10, 25]) {
      const lines = renderLiveView(mix(), { rows, columns: 80, now: NOW });
      assert.ok(lines.length <= rows - 1, `${lines.length} lines on a ${rows}-line screen`);
      assert.equal(lines[0], "12/24 done · 2 running · 1 failed · 10 waiting");
    }
    const lines = renderLiveView(mix(), { rows: 8, columns: 80, now: NOW });
    assert.deepEqual(lines.slice(1, 4), [
      "12 running 1m05s job-12",
      "13 running 1m05s job-13",
      "14 failed 3s job-14",
    ]);
    assert.equal(lines.at(-1), "… 19 more: 8 queued, 11 succeeded");
  });

  test("renderLiveView() keeps every line within the screen's width", () => {
    const long = { ...task(1, "running", 1_000), name: "x".repeat(300) } as Task;
    for (const line of renderLiveView([long], { rows: 24, columns: 40, now: NOW })) {
      assert.ok(line.length <= 39, line);
    }
  });
});
