/**
 * The first use of a new home through the binary: two commands that open a brand-new bgt.db at
 * the same moment both succeed (the store-level twin of this test opens 100 at once).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, test } from "node:test";
import { BGT, TempHome } from "../_helpers/bgt_home.ts";

const TRIES = 60;

/** Runs bgt in `home` without blocking; resolves with its exit code and stderr. */
function bgtAsync(home: TempHome, words: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(BGT, words, { env: home.env(), cwd: home.work, stdio: "pipe" });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.stdout.resume();
    child.on("close", (code) => resolve({ code: code ?? 128, stderr }));
  });
}

describe("first use of a new home", () => {
  test(`'bgt ls' and 'bgt daemon start' at once on ${TRIES} empty homes never fail`, async () => {
    const failures: string[] = [];
    for (let i = 0; i < TRIES; i++) {
      const home = TempHome.create();
      try {
        const both = await Promise.all([
          bgtAsync(home, ["ls"]),
          bgtAsync(home, ["daemon", "start"]),
        ]);
        for (const { code, stderr } of both) {
          if (code !== 0 || stderr !== "") failures.push(`try ${i}: exit ${code}: ${stderr}`);
        }
      } finally {
        home.cleanup();
      }
    }
    assert.deepEqual(failures, []);
  });
});
