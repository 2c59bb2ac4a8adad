/**
 * `events`: the outbox's events after a cursor, read from the store; when none is there yet,
 * the answer waits (a long poll) until the bell rings and some are, or the wait is over. The
 * same for both stores: the client asks its supervisor, whatever the store.
 *
 * @example
 * ```ts
 * await handleEvents(context, { v: 1, type: "events", after: 0, waitMs: 25_000 }, signal);
 * ```
 */
import { MAX_EVENTS_WAIT_MS, type Request, type Response } from "../../ipc/protocol.ts";
import type { SupervisorContext } from "../supervisor_context.ts";

/** Most events one answer carries unless asked for fewer. */
const MAX_EVENTS = 1000;
/** How often a parked poll looks again without a ring (events some writer did not ring for). */
const LOOK_AGAIN_MS = 1000;

/** Answers with the next events, waiting for some up to the request's `waitMs`. */
export async function handleEvents(
  context: SupervisorContext,
  request: Extract<Request, { type: "events" }>,
  signal: AbortSignal,
): Promise<Response> {
  const deadline = Date.now() + Math.min(request.waitMs ?? 0, MAX_EVENTS_WAIT_MS);
  const filter = {
    taskIds: request.taskId === undefined ? undefined : [request.taskId],
    limit: Math.min(request.limit || MAX_EVENTS, MAX_EVENTS),
  };
  for (;;) {
    const events = await context.store.events(request.after, filter);
    const left = deadline - Date.now();
    if (events.length || left <= 0 || signal.aborted) return { ok: true, type: "events", events };
    await context.bell.next(Math.min(left, LOOK_AGAIN_MS), signal);
  }
}
