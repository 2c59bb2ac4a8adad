/**
 * Makes sure a supervisor serves the home: asks it to wake, and when nobody answers starts one
 * detached (in its own session, outliving the client) and waits for its socket.
 *
 * @example
 * ```ts
 * await ensureSupervisor(home); // resolves once a supervisor answers
 * ```
 */
import { spawn } from "node:child_process";
import { closeSync, readFileSync } from "node:fs";
import { openOwnFile } from "../store/own_files.ts";
import { PROMPT_ANSWER_TIMEOUT_MS, sendRequest } from "../ipc/socket_client.ts";
import { PROTOCOL_VERSION } from "../ipc/protocol.ts";
import { isCompiled, selfCommand } from "../runtime/process.ts";
import type { BgtHome } from "../store/home.ts";
import { SupervisorUnavailableError } from "../task/errors.ts";
import { autostartOff, noSupervisorError } from "./autostart.ts";

/** Options for {@linkcode ensureSupervisor}. */
export interface EnsureOptions {
  /** Longest wait for a new supervisor's socket. @default 10000 */
  timeoutMs?: number;
  /**
   * Start one even with BGT_NO_AUTOSTART=1 or `autostart = false` (`bgt daemon start`).
   * @default false
   */
  force?: boolean;
  signal?: AbortSignal;
}

/** Wakes the supervisor, starting one if none answers. */
export async function ensureSupervisor(home: BgtHome, options: EnsureOptions = {}): Promise<void> {
  if (await _notify(home)) return;
  const off = options.force ? undefined : autostartOff(process.env);
  if (off) throw noSupervisorError(home, off);
  startSupervisorProcess(home);
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  for (let delay = 2; Date.now() < deadline; delay = Math.min(delay * 2, 50)) {
    options.signal?.throwIfAborted();
    await new Promise((resolve) => setTimeout(resolve, delay));
    if (await _notify(home)) return;
  }
  throw new SupervisorUnavailableError(
    `Cannot start the supervisor for ${home.dir}: no answer on ${home.socket}; its log says: ${
      _lastLine(home.supervisorLog)
    }`,
  );
}

/** Starts `bgt supervise <home>` detached, its output appended to the home's supervisor log. */
export function startSupervisorProcess(home: BgtHome): void {
  const log = openOwnFile(home.supervisorLog, "append");
  const [command, ...args] = selfCommand();
  // Its argv names the home, so that `ps` shows `bgt supervise /home/me/.local/state/bgt`.
  const child = spawn(command, [...args, "supervise", home.dir], {
    argv0: isCompiled() ? "bgt" : undefined,
    cwd: home.dir,
    detached: true,
    stdio: ["ignore", log, log],
    env: { ...process.env, BGT_HOME: home.dir },
  });
  child.on("error", () => {/* reported by the wait for the socket */});
  child.unref();
  closeSync(log);
}

async function _notify(home: BgtHome): Promise<boolean> {
  try {
    await sendRequest(home.socket, { v: PROTOCOL_VERSION, type: "notify" }, {
      timeoutMs: PROMPT_ANSWER_TIMEOUT_MS,
    });
    return true;
  } catch (error) {
    const { code, name } = error as { code?: string; name?: string };
    // One that listens but does not answer (stopped) is reported, not replaced by a second one.
    if (name === "SupervisorUnresponsiveError") throw error;
    if (code === "SUPERVISOR_UNAVAILABLE" || code === "PROTOCOL") return false;
    throw error;
  }
}

function _lastLine(path: string): string {
  try {
    const lines = readFileSync(path, "utf8").trim().split("\n");
    return lines.at(-1) || "(empty)";
  } catch {
    return "(no log)";
  }
}
