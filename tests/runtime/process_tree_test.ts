import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { processTreeUsage } from "../../src/runtime/process_tree.ts";
import { skipWithReason } from "../_helpers/skip.ts";

test("processTreeUsage() counts a process and its children, with their memory", async (t) => {
  if (!existsSync("/proc/self/stat")) return skipWithReason(t, "no /proc (not Linux)");
  const child = spawn("sh", ["-c", "sleep 30 & sleep 30 & wait"], {
    detached: true,
    stdio: "ignore",
  });
  try {
    let usage = processTreeUsage(child.pid!);
    for (let i = 0; i < 100 && (usage?.processes ?? 0) < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      usage = processTreeUsage(child.pid!);
    }
    assert.equal(usage?.processes, 3, "sh and its two sleeps");
    assert.ok(usage!.rssBytes > 3 * 4096, `rss ${usage!.rssBytes}`);
    assert.ok(usage!.cpuPercent >= 0);
  } finally {
    process.kill(-child.pid!, "SIGKILL");
  }
});

test("processTreeUsage() is undefined for a process that does not exist", (t) => {
  if (!existsSync("/proc/self/stat")) return skipWithReason(t, "no /proc (not Linux)");
  assert.equal(processTreeUsage(2 ** 22 + 12345), undefined);
});
