/**
 * Runs a command hook: `sh -c LINE` in the task's directory, its data in BGT_* variables and
 * the task's JSON on stdin (never spliced into the line), killed (its whole process group) when
 * it outlasts its timeout or the supervisor stops.
 *
 * @example
 * ```ts
 * const outcome = await runCommandHook(delivery.payload, { signal });
 * outcome; // { ok: true, result: "exit 0" }
 * ```
 */
import { spawn } from "node:child_process";
import type { HookPayload } from "../store/hook_store.ts";
import { formatDuration } from "../task/duration.ts";

/** How a try went, in words for `bgt show`. */
export interface TryOutcome {
  ok: boolean;
  result: string;
}

/** Most bytes of a hook's output kept to report its failure. */
const KEPT_OUTPUT = 2048;

/** Runs the payload's line (or, for `notify`, notify-send with its summary). */
export function runCommandHook(
  payload: HookPayload,
  options: { signal?: AbortSignal } = {},
): Promise<TryOutcome> {
  const argv = payload.action === "notify"
    ? ["notify-send", "--app-name=bgt", payload.target]
    : ["sh", "-c", payload.target];
  return new Promise((resolve) => {
    let output = "";
    let timedOut = false;
    const child = spawn(argv[0], argv.slice(1), {
      cwd: payload.cwd,
      env: payload.env,
      detached: true,
      stdio: ["pipe", "pipe", "pipe"],
    });
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString("utf8")).slice(-KEPT_OUTPUT);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch { /* ended already */ }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, payload.timeoutMs);
    const abort = () => killGroup();
    options.signal?.addEventListener("abort", abort, { once: true });
    child.stdin.on("error", () => {/* the hook did not read its stdin: fine */});
    child.stdin.end(`${JSON.stringify(payload.body)}\n`);
    const done = (outcome: TryOutcome) => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", abort);
      resolve(outcome);
    };
    child.on("error", (error) => {
      const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
      done({
        ok: false,
        result: missing && payload.action === "notify"
          ? "notify-send not found"
          : `cannot start: ${error.message}`,
      });
    });
    child.on("close", (code, signal) => {
      const last = output.trim().split("\n").pop()?.slice(0, 200);
      if (timedOut) {
        done({ ok: false, result: `timed out after ${formatDuration(payload.timeoutMs)}` });
      } else if (code === 0) done({ ok: true, result: "exit 0" });
      else {
        done({
          ok: false,
          result: `${signal ? `killed by ${signal}` : `exit ${code}`}${last ? `: ${last}` : ""}`,
        });
      }
    });
  });
}
