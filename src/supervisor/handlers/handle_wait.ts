/**
 * `wait`: answers when every named task has reached a terminal state.
 *
 * @example
 * ```ts
 * await handleWait(context, { v: 1, type: "wait", ids: [41, 42] }, signal);
 * ```
 */
import type { Request, Response } from "../../ipc/protocol.ts";
import type { SupervisorContext } from "../supervisor_context.ts";

/** Parks until the tasks end (or the client goes away). */
export async function handleWait(
  context: SupervisorContext,
  request: Extract<Request, { type: "wait" }>,
  signal: AbortSignal,
): Promise<Response> {
  await context.waiters.waitFor(request.ids, signal);
  return { ok: true, type: "finished", ids: request.ids };
}
