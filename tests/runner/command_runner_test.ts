import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { adoptCommand, startCommand } from "../../src/runner/command_runner.ts";
import { readStream, type TaskFiles, taskFiles } from "../../src/store/task_files.ts";
import { openTaskStdin } from "../../src/store/task_stdin.ts";
import type { Task } from "../../src/task/types.ts";

/** A command task as the dispatcher hands it over (only what the runner reads matters). */
function commandTask(argv: string[], extra: Partial<Task> = {}): Task {
  return {
    id: 1,
    kind: "command",
    spec: { kind: "command", argv },
    attempt: 1,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    cwd: tmpdir(),
    retain: null,
    stdin: false,
    ...extra,
  } as Task;
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe("startCommand() and adoptCommand() options", () => {
  let dir: string;
  let files: TaskFiles;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "bgt-runner-"));
    files = taskFiles(dir, 1);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test("onProgress gets the progress records a command writes to fd 3, before done", async () => {
    const seen: [number, string | null][] = [];
    const run = startCommand(
      commandTask([
        "sh",
        "-c",
        'echo \'{"progress": 0.2}\' >&3; sleep 0.2; echo \'{"progress": 0.6, "message": "most"}\' >&3',
      ]),
      files,
      { onProgress: (fraction, message) => seen.push([fraction, message]) },
    );
    const outcome = await run.done;
    assert.equal(outcome.status, "succeeded");
    assert.deepEqual(seen, [[0.2, null], [0.6, "most"]]);
  });

  test("adoptCommand() of a task that ended meanwhile reports its last progress and trims", async () => {
    const task = commandTask([
      "sh",
      "-c",
      'seq 1 100000; echo \'{"progress": 0.5, "message": "half"}\' >&3',
    ], { retain: 1000 });
    await startCommand(task, files).done; // as if its supervisor had died: nothing reported
    const seen: [number, string | null][] = [];
    const adopted = adoptCommand(task, files, {
      onProgress: (fraction, message) => seen.push([fraction, message]),
    });
    assert.ok(adopted);
    assert.equal((await adopted.done).status, "succeeded");
    assert.deepEqual(seen, [[0.5, "half"]]);
    assert.ok(text(readStream(files, "stdout", { from: 0 }).bytes).endsWith("99999\n100000\n"));
    assert.equal(readStream(files, "stdout", { from: 0 }).bytes.length, 1000);
  });

  test("a --stdin command reads what several writers send, and EOF only when asked", async () => {
    const run = startCommand(commandTask(["cat"], { stdin: true }), files);
    for (const word of ["one\n", "two\n"]) {
      const stdin = await openTaskStdin(files, { id: 1 });
      await stdin.write(new TextEncoder().encode(word));
      stdin.close();
    }
    const last = await openTaskStdin(files, { id: 1 });
    await last.write(new Uint8Array(200_000).fill(120)); // more than a pipe holds
    last.close({ eof: true });
    assert.equal((await run.done).status, "succeeded");
    const out = text(readStream(files, "stdout", { from: 0 }).bytes);
    assert.equal(out, "one\ntwo\n" + "x".repeat(200_000));
    await assert.rejects(openTaskStdin(files, { id: 1 }), /Cannot send to task 1: it has ended/);
  });
});
