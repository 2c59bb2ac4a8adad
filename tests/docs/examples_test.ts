/**
 * Every `@example` of the library's public API (mod.ts's exports and their public members) and
 * every ```ts block of docs/library.md runs, each as a module of its own in a fresh BGT_HOME, on
 * the runtime of this test run (Bun or Deno): an example that does not run fails here.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, describe, test } from "node:test";
import { isAlive, pidsWithArgvTail, runtimeName } from "../../src/runtime/process.ts";
import {
  type DocExample,
  exportedExamples,
  markdownExamples,
  runnableSource,
} from "../_helpers/doc_examples.ts";

const ROOT = resolve(import.meta.dirname ?? ".", "../..");
// Inside the repository, so that the examples resolve the repository's dependencies.
const scratch = join(ROOT, ".doc-examples");
mkdirSync(scratch, { recursive: true });
const dir = mkdtempSync(join(scratch, "run-"));

function run(example: DocExample, index: number): void {
  const file = join(dir, `example_${index}.ts`);
  // The example ran through once its last statement is done: exit then, as a default pool a
  // `task()` started keeps a Deno process alive (its workers are not unref'd there).
  writeFileSync(file, `${runnableSource(example)}\nprocess.exit(0);\n`);
  const home = mkdtempSync(join(tmpdir(), "bgt-example-"));
  try {
    _runIn(home, file, example);
  } finally {
    _stopSupervisors(home);
    rmSync(home, { recursive: true, force: true });
  }
}

/** Stops the supervisor an example started (by pid), so that none piles up. */
function _stopSupervisors(home: string): void {
  for (const pid of pidsWithArgvTail(["supervise", join(home, "home")])) {
    try {
      process.kill(pid, "SIGKILL");
    } catch { /* gone */ }
    const deadline = Date.now() + 5000;
    while (isAlive(pid) && Date.now() < deadline) {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}

function _runIn(home: string, file: string, example: DocExample): void {
  const argv = runtimeName === "deno" ? ["run", "-A", "--no-check", file] : [file];
  const result = spawnSync(process.execPath, argv, {
    cwd: ROOT,
    env: { ...process.env, BGT_HOME: join(home, "home"), NO_COLOR: "1" },
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(
    result.status,
    0,
    `${example.where} failed (exit ${result.status}):\n${example.code}\n${result.stderr}`,
  );
  // A console.assert() that does not hold prints, and does not exit: it fails here.
  assert.doesNotMatch(result.stderr, /Assertion failed/, `${example.where}:\n${result.stderr}`);
}

describe("doc examples", () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  const examples = [...exportedExamples(), ...markdownExamples(join(ROOT, "docs/library.md"))];
  examples.forEach((example, index) => {
    test(`${example.where} runs`, () => run(example, index));
  });
});
