/**
 * The supervisor's side of the worker hosts, where it can be tested without a supervisor: a
 * host that cannot be started fails the start, is not kept, and does not hold up close().
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { WorkerHosts } from "../../src/runner/worker_hosts.ts";
import { taskFiles } from "../../src/store/task_files.ts";
import type { Task } from "../../src/task/types.ts";

const opts = { sanitizeOps: false, sanitizeResources: false } as Record<string, unknown>;

test(
  "a worker host that cannot start fails the start and does not hold up close()",
  opts,
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "bgt-hosts-"));
    const hosts = new WorkerHosts({ homeDir: dir, command: [join(dir, "no-such-bgt")] });
    const task = { id: 1, attempt: 1 } as Task;
    try {
      assert.throws(
        () => hosts.start(task, taskFiles(join(dir, "logs"), 1)),
        /Cannot start a worker host/,
      );
      assert.equal(hosts.size, 0, "the failed host is not kept");
      const closed = await Promise.race([
        hosts.close().then(() => "closed"),
        new Promise((resolve) => setTimeout(() => resolve("hung"), 3000)),
      ]);
      assert.equal(closed, "closed");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
