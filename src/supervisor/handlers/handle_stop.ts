/**
 * `stop`: drain gracefully (`bgt daemon stop`): no new claims; module tasks finish; command
 * tasks keep running under their waiters and are re-adopted by the next supervisor.
 *
 * @example
 * ```ts
 * handleStop(context); // { ok: true, type: "stopping" }
 * ```
 */
import type { Response } from "../../ipc/protocol.ts";
import type { SupervisorContext } from "../supervisor_context.ts";

/** Begins the graceful stop. */
export function handleStop(context: SupervisorContext): Response {
  setTimeout(() => context.stop(), 0);
  return { ok: true, type: "stopping" };
}
