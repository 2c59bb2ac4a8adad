/**
 * Sends one request to the supervisor's socket and reads its one response.
 *
 * @example
 * ```ts
 * const response = await sendRequest("/state/bgt.sock", { v: PROTOCOL_VERSION, type: "status" });
 * ```
 */
import { connect } from "node:net";
import { fromErrorData, ProtocolError, SupervisorUnavailableError } from "../task/errors.ts";
import { encodeFrame, FrameDecoder } from "../task/frames.ts";
import type { Request, Response } from "./protocol.ts";

/** Options for {@linkcode sendRequest}. */
export interface SendOptions {
  /** Abandons the request. */
  signal?: AbortSignal;
}

/**
 * Resolves with the successful response; rejects with the supervisor's error re-created, or a
 * SupervisorUnavailableError (with the socket error as `cause`) when nobody listens.
 */
export function sendRequest(
  path: string,
  request: Request,
  options: SendOptions = {},
): Promise<Extract<Response, { ok: true }>> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    const decoder = new FrameDecoder();
    let settled = false;
    const finish = (error: Error | null, response?: Extract<Response, { ok: true }>) => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener("abort", onAbort);
      socket.destroy();
      if (error) reject(error);
      else resolve(response!);
    };
    const onAbort = () => finish(options.signal!.reason ?? new Error("aborted"));
    options.signal?.addEventListener("abort", onAbort, { once: true });
    socket.once("connect", () => socket.write(encodeFrame(request)));
    socket.on("data", (chunk: Uint8Array) => {
      try {
        const [value] = decoder.push(chunk);
        if (value === undefined) return;
        const response = value as Response;
        if (response.ok) finish(null, response);
        else finish(fromErrorData(response.error));
      } catch (error) {
        finish(error as Error);
      }
    });
    socket.once("error", (error) => {
      finish(
        new SupervisorUnavailableError(`Cannot reach the supervisor at ${path}: ${error.message}`, {
          cause: error,
        }),
      );
    });
    socket.once("close", () => {
      finish(new ProtocolError("Cannot read response: the supervisor closed the connection"));
    });
  });
}
