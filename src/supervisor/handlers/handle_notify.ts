/**
 * `notify`: a client changed the table (committed tasks, removed some); claim what is due, and
 * end the parked waits on tasks that ended outside the supervisor's sight.
 *
 * @example
 * ```ts
 * handleNotify(context); // { ok: true, type: "notified" }
 * ```
 */
import type { Response } from "../../ipc/protocol.ts";
import type { SupervisorContext } from "../supervisor_context.ts";

/** Wakes the dispatcher and rechecks the parked waits. */
export function handleNotify(context: SupervisorContext): Response {
  context.dispatcher.wake();
  context.bell.ring();
  void context.waiters.catchUp().catch((error) =>
    context.log?.(`cannot read events: ${(error as Error).message}`)
  );
  return { ok: true, type: "notified" };
}
