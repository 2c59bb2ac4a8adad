/**
 * Sends one request to the supervisor's socket and reads its one response.
 *
 * @example
 * ```ts
 * const response = await sendRequest("/state/bgt.sock", { v: PROTOCOL_VERSION, type: "status" });
 * ```
 */
import {
  fromErrorData,
  ProtocolError,
  SupervisorUnavailableError,
  SupervisorUnresponsiveError,
} from "../task/errors.ts";
import { encodeFrame, FrameDecoder } from "../task/frames.ts";
import { connectUnix } from "../runtime/unix_socket.ts";
import type { Request, Response } from "./protocol.ts";

/** Options for {@linkcode sendRequest}. */
export interface SendOptions {
  /** Abandons the request. */
  signal?: AbortSignal;
  /**
   * Longest wait for the answer, in ms, after which the request fails with a
   * SupervisorUnresponsiveError. For requests answered at once (status, kill, stop), not `wait`.
   * @default undefined (no limit)
   */
  timeoutMs?: number;
}

/** How long a request that expects a prompt answer waits for it (status, kill, stop). */
export const PROMPT_ANSWER_TIMEOUT_MS = 5_000;

/**
 * Resolves with the successful response; rejects with the supervisor's error re-created, or a
 * SupervisorUnavailableError (with the socket error as `cause`) when nobody listens, or a
 * SupervisorUnresponsiveError when no answer comes within `timeoutMs`.
 */
export function sendRequest(
  path: string,
  request: Request,
  options: SendOptions = {},
): Promise<Extract<Response, { ok: true }>> {
  return new Promise((resolve, reject) => {
    const decoder = new FrameDecoder();
    let settled = false;
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => {
      finish(
        new SupervisorUnresponsiveError(
          `Cannot reach the supervisor at ${path}: it does not respond (no answer in ${
            options.timeoutMs! / 1000
          } s; is it stopped, by SIGSTOP or Ctrl-Z? 'kill -CONT' its pid to resume it)`,
        ),
      );
    }, options.timeoutMs);
    const finish = (error: Error | null, response?: Extract<Response, { ok: true }>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      socket.destroy();
      if (error) reject(error);
      else resolve(response!);
    };
    const onAbort = () => finish(options.signal!.reason ?? new Error("aborted"));
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const socket = connectUnix(path, {
      open: () => socket.write(encodeFrame(request)),
      data: (chunk) => {
        try {
          const [value] = decoder.push(chunk);
          if (value === undefined) return;
          const response = value as Response;
          if (response.ok) finish(null, response);
          else finish(fromErrorData(response.error));
        } catch (error) {
          finish(error as Error);
        }
      },
      error: (error) => {
        const reason = error.code && !error.message.includes(error.code)
          ? `${error.code} (${error.message})`
          : error.message;
        finish(
          new SupervisorUnavailableError(`Cannot reach the supervisor at ${path}: ${reason}`, {
            cause: error,
          }),
        );
      },
      close: () => {
        finish(new ProtocolError("Cannot read response: the supervisor closed the connection"));
      },
    });
  });
}
