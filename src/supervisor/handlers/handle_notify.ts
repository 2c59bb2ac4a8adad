/**
 * `notify`: a client committed new tasks; claim what is due.
 *
 * @example
 * ```ts
 * handleNotify(context); // { ok: true, type: "notified" }
 * ```
 */
import type { Response } from "../../ipc/protocol.ts";
import type { SupervisorContext } from "../supervisor_context.ts";

/** Wakes the dispatcher. */
export function handleNotify(context: SupervisorContext): Response {
  context.dispatcher.wake();
  return { ok: true, type: "notified" };
}
