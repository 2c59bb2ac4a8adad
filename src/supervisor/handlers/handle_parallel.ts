/**
 * `parallel`: sets the global limit now and stores it, so that it outlives a restart of the
 * supervisor (as pueue's `parallel`). A higher limit starts waiting tasks at once; a lower one
 * stops none of the running ones.
 *
 * @example
 * ```ts
 * await handleParallel(context, { v: 1, type: "parallel", parallel: 5 }); // { ok: true, type: "parallel", parallel: 5 }
 * ```
 */
import type { Request, Response } from "../../ipc/protocol.ts";
import type { SupervisorContext } from "../supervisor_context.ts";

/** Applies and stores the new limit. */
export async function handleParallel(
  context: SupervisorContext,
  request: Extract<Request, { type: "parallel" }>,
): Promise<Response> {
  await context.setParallel(request.parallel);
  return { ok: true, type: "parallel", parallel: context.parallel };
}
