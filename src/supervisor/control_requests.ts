/**
 * Serves the control requests other hosts address to this supervisor through a shared store
 * (DESIGN §11, "Control from anywhere"): on each NOTIFY (and each poll) it reads the requests
 * for its owner id, oldest first, acts on each as its own socket's `kill` would (a signal, a
 * pause or resume, a cancel) or writes the bytes to the task's stdin, and records the outcome
 * in the request's row for the requester to read. One pass at a time, so a task's sends keep
 * their order.
 *
 * @example
 * ```ts
 * const stop = await serveControlRequests({ control: store.control!, owner, dispatcher, logsDir });
 * await stop();
 * ```
 */
import { openTaskStdin } from "../store/task_stdin.ts";
import type { ControlOutcome, ControlRequest, ControlStore } from "../store/shared_io.ts";
import { removeTaskFiles, taskFiles } from "../store/task_files.ts";
import type { Dispatcher } from "./dispatcher.ts";

/** How long one request's bytes may wait for the task to read them. */
export const SEND_TIMEOUT_MS = 10_000;

/** Options for {@linkcode serveControlRequests}. */
export interface ControlRequestsOptions {
  control: ControlStore;
  owner: string;
  dispatcher: Pick<Dispatcher, "kill">;
  logsDir: string;
  /** Told of a removed task whose local files were deleted (the shipper forgets it). */
  onForget?: (id: number) => void;
  log?: (line: string) => void;
}

/** Listens for requests and answers them; returns the stop function. */
export async function serveControlRequests(
  options: ControlRequestsOptions,
): Promise<() => Promise<void>> {
  const { control, owner, log } = options;
  let pass: Promise<void> | undefined;
  let again = false;
  const serve = () => {
    if (pass) {
      again = true;
      return;
    }
    pass = (async () => {
      do {
        again = false;
        try {
          for (const request of await control.pending(owner)) {
            await control.answer(request.id, await _act(options, request));
          }
        } catch (error) {
          log?.(`cannot serve control requests: ${(error as Error).message}`);
        }
      } while (again);
    })().finally(() => (pass = undefined));
  };
  const unlisten = await control.listen(owner, serve);
  serve();
  return async () => {
    await unlisten();
    await pass;
  };
}

/** Does what one request asks; its outcome (an error is an outcome too). */
async function _act(
  options: ControlRequestsOptions,
  request: ControlRequest,
): Promise<ControlOutcome> {
  const { action, taskId } = request;
  try {
    if (action.kind === "signal") {
      const { already } = await options.dispatcher.kill(taskId, action.signal as NodeJS.Signals);
      return already ? { ok: true, already } : { ok: true };
    }
    if (action.kind === "forget") {
      options.onForget?.(taskId);
      removeTaskFiles(taskFiles(options.logsDir, taskId));
      return { ok: true };
    }
    const stdin = await openTaskStdin(taskFiles(options.logsDir, taskId), { id: taskId });
    try {
      // A task that does not read its input must not hold up the requests behind it.
      if (action.data.length) {
        await stdin.write(action.data, { signal: AbortSignal.timeout(SEND_TIMEOUT_MS) });
      }
    } finally {
      stdin.close({ eof: action.eof });
    }
    return { ok: true };
  } catch (error) {
    const { name, message, code } = error as { name?: string; message?: string; code?: string };
    return { ok: false, name, code, message: message ?? String(error) };
  }
}
