/**
 * The waiter: a small process between the supervisor and a command (DESIGN §5). It starts the
 * command in its own process group with its output going straight to the task's files, writes
 * the `pid` record, waits, and writes the `status` record — so a task's end reaches the disk
 * even when no supervisor is alive to see it.
 *
 * Started by the command runner as `bgt __wait <taskDir> <attempt> <cwd> -- <argv…>`.
 *
 * @example
 * ```ts
 * await runWaiter(["/state/logs/7", "1", "/home/ana", "--", "make", "all"]);
 * ```
 */
import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { join } from "node:path";
import { processStartTime } from "../runtime/process.ts";
import { type PidRecord, type StatusRecord, writeRecord } from "../store/task_files.ts";

/** Runs the waiter with its argv (after `__wait`); resolves when the status is on disk. */
export async function runWaiter(words: readonly string[]): Promise<void> {
  const [dir, attemptWord, cwd, separator, ...argv] = words;
  if (!dir || separator !== "--" || argv.length === 0) {
    throw new TypeError("Cannot start waiter: usage: __wait <dir> <attempt> <cwd> -- <argv…>");
  }
  const attempt = Number(attemptWord);
  const writeStatus = (status: Omit<StatusRecord, "attempt" | "finishedAt">) =>
    writeRecord(join(dir, "status"), { attempt, finishedAt: Date.now(), ...status });

  process.stdout.on("error", () => {/* the supervisor went away: the pid record is on disk */});
  const stdout = openSync(join(dir, "stdout"), "a", 0o600);
  const stderr = openSync(join(dir, "stderr"), "a", 0o600);
  const data = openSync(join(dir, "data"), "a", 0o600);
  const child = spawn(argv[0], argv.slice(1), {
    cwd,
    detached: true,
    stdio: ["ignore", stdout, stderr, data],
  });
  // A signal meant for the task that reaches the waiter goes on to the task's process group.
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
    process.on(signal, () => {
      try {
        if (child.pid) process.kill(-child.pid, signal);
      } catch { /* already gone */ }
    });
  }
  const outcome = await new Promise<Omit<StatusRecord, "attempt" | "finishedAt">>((resolve) => {
    child.once("error", (error: NodeJS.ErrnoException) => {
      resolve({ exitCode: null, signal: null, error: _spawnErrorMessage(argv[0], cwd, error) });
    });
    child.once("spawn", () => {
      const pid = child.pid!;
      const record: PidRecord = {
        pid,
        startTime: processStartTime(pid),
        waiterPid: process.pid,
        waiterStartTime: processStartTime(process.pid),
        attempt,
      };
      writeRecord(join(dir, "pid"), record);
      // Tell the supervisor (our parent, if it still lives) the pid at once.
      try {
        process.stdout.write(`${pid}\n`);
      } catch { /* no supervisor listening: the pid record is on disk */ }
    });
    child.once("exit", (exitCode, signal) => resolve({ exitCode, signal }));
  });
  for (const fd of [stdout, stderr, data]) closeSync(fd);
  writeStatus(outcome);
}

function _spawnErrorMessage(command: string, cwd: string, error: NodeJS.ErrnoException): string {
  if (error.code === "ENOENT") {
    return `Cannot run '${command}': command not found (or the directory ${cwd} does not exist)`;
  }
  if (error.code === "EACCES") return `Cannot run '${command}': permission denied`;
  return `Cannot run '${command}': ${error.message}`;
}
