/**
 * `kill`: signals a running task's process group (SIGKILL follows after a grace), or cancels a
 * task that has not started; says `already` (and sends nothing) when the task was in the asked
 * state: ended, for a kill; paused or running, for a pause (SIGSTOP) or resume (SIGCONT).
 *
 * @example
 * ```ts
 * handleKill(context, { v: 1, type: "kill", id: 42, signal: "SIGTERM" });
 * ```
 */
import { constants } from "node:os";
import type { Request, Response } from "../../ipc/protocol.ts";
import type { SupervisorContext } from "../supervisor_context.ts";

/** Signals or cancels the task. */
export async function handleKill(
  context: SupervisorContext,
  request: Extract<Request, { type: "kill" }>,
): Promise<Response> {
  if (!(request.signal in constants.signals)) {
    throw new RangeError(`Cannot kill task ${request.id}: unknown signal '${request.signal}'`);
  }
  const { already } = await context.dispatcher.kill(request.id, request.signal as NodeJS.Signals);
  return { ok: true, type: "killed", id: request.id, ...(already ? { already } : {}) };
}
