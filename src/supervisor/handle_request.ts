/**
 * Routes each request to its handler (one file per request under `handlers/`).
 *
 * @example
 * ```ts
 * await handleRequest(context, { v: 1, type: "status" }, signal);
 * ```
 */
import type { Request, Response } from "../ipc/protocol.ts";
import { handleKill } from "./handlers/handle_kill.ts";
import { handleNotify } from "./handlers/handle_notify.ts";
import { handleParallel } from "./handlers/handle_parallel.ts";
import { handleStatus } from "./handlers/handle_status.ts";
import { handleStop } from "./handlers/handle_stop.ts";
import { handleWait } from "./handlers/handle_wait.ts";
import type { SupervisorContext } from "./supervisor_context.ts";

/** Answers one request. */
export async function handleRequest(
  context: SupervisorContext,
  request: Request,
  signal: AbortSignal,
): Promise<Response> {
  switch (request.type) {
    case "notify":
      return handleNotify(context);
    case "status":
      return handleStatus(context);
    case "stop":
      return handleStop(context, request);
    case "kill":
      return handleKill(context, request);
    case "wait":
      return await handleWait(context, request, signal);
    case "parallel":
      return await handleParallel(context, request);
  }
}
