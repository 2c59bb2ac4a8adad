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

/**
 * How long a status waits for the store's counts before it answers without them: a status is a
 * prompt answer (clients give up after 5 s), also while a PostgreSQL store reconnects.
 */
const COUNTS_WAIT_MS = 2_000;

/** Reports this supervisor's state. */
export async function handleStatus(
  context: SupervisorContext,
): Promise<Extract<Response, { type: "status" }>> {
  const answered = await _within(context.store.counts(), COUNTS_WAIT_MS);
  const counts = answered ?? {};
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
      sources: { ...context.sources },
      killGraceMs: context.killGraceMs,
      config: context.configPath,
      counts,
      ...(answered ? {} : { storeAnswering: false }),
    },
  };
}

/** The promise's value, or undefined when it fails or takes longer than `ms`. */
async function _within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((
    resolve,
  ) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([promise.catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}
