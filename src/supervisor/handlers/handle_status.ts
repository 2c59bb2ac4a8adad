/**
 * `status`: the supervisor's pid, start time, task counts and state (`bgt daemon status`):
 * `running`, or `draining` with the module tasks a stop waits for and until when.
 *
 * @example
 * ```ts
 * (await handleStatus(context)).status.running; // 2
 * ```
 */
import type { Response } from "../../ipc/protocol.ts";
import type { SupervisorContext } from "../supervisor_context.ts";

/** Reports this supervisor's state. */
export async function handleStatus(
  context: SupervisorContext,
): Promise<Extract<Response, { type: "status" }>> {
  const counts = await context.store.counts();
  const draining = context.draining();
  return {
    ok: true,
    type: "status",
    status: {
      pid: process.pid,
      state: draining ? "draining" : "running",
      ...(draining ? { draining } : {}),
      startedAt: context.startedAt,
      version: context.version,
      home: context.home.dir,
      store: context.store.description,
      running: context.dispatcher.running,
      queued: (counts.queued ?? 0) + (counts.scheduled ?? 0),
      parallel: context.parallel,
      counts,
    },
  };
}
