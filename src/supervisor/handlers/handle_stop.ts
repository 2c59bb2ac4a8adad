/**
 * `stop`: drain gracefully (`bgt daemon stop`): no new claims; running module tasks get up to
 * `drainMs` (default 30 s; 0 with `--now`) to finish, then their worker hosts are ended and they
 * are recorded `lost`; command and `--isolate`d tasks keep running under their waiters and are
 * re-adopted by the next supervisor. The socket answers `status` until the supervisor is gone.
 *
 * @example
 * ```ts
 * handleStop(context, { v: 1, type: "stop", drainMs: 0 }); // { ok: true, type: "stopping" }
 * ```
 */
import type { Request, Response } from "../../ipc/protocol.ts";
import type { SupervisorContext } from "../supervisor_context.ts";

/** Begins the graceful stop. */
export function handleStop(
  context: SupervisorContext,
  request: Extract<Request, { type: "stop" }>,
): Response {
  setTimeout(() => context.stop({ drainMs: request.drainMs }), 0);
  return { ok: true, type: "stopping" };
}
