/**
 * Serves the protocol on a unix socket (mode 0600): reads frames, validates each request,
 * hands it to the handler and writes its response. A broken frame gets an error response and
 * closes that connection only; nothing a client sends can stop the server.
 *
 * @example
 * ```ts
 * const server = await serveSocket("/state/bgt.sock", async (request) => ({ ok: true, type: "notified" }));
 * server.close();
 * ```
 */
import { chmodSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { toErrorData } from "../task/errors.ts";
import { encodeFrame, FrameDecoder } from "./frames.ts";
import type { Request, Response } from "./protocol.ts";
import { validateRequest } from "./validate_request.ts";

/** Answers one request. */
export type RequestHandler = (request: Request, signal: AbortSignal) => Promise<Response>;

/** Starts serving at `path` (replacing a stale socket file). */
export async function serveSocket(path: string, handler: RequestHandler): Promise<Server> {
  rmSync(path, { force: true });
  const server = createServer((socket) => _serveConnection(socket, handler));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => {
      server.off("error", reject);
      resolve();
    });
  });
  chmodSync(path, 0o600);
  server.on("error", () => {/* a failed accept never stops the server */});
  return server;
}

function _serveConnection(socket: Socket, handler: RequestHandler): void {
  const decoder = new FrameDecoder();
  const closed = new AbortController();
  const send = (response: Response) => {
    if (!socket.destroyed) socket.write(encodeFrame(response));
  };
  socket.on("error", () => socket.destroy());
  socket.on("close", () => closed.abort());
  socket.on("data", (chunk: Uint8Array) => {
    let values: unknown[];
    try {
      values = decoder.push(chunk);
    } catch (error) {
      send({ ok: false, error: toErrorData(error) });
      socket.end();
      return;
    }
    for (const value of values) {
      let request: Request;
      try {
        request = validateRequest(value);
      } catch (error) {
        send({ ok: false, error: toErrorData(error) });
        continue;
      }
      handler(request, closed.signal).then(
        send,
        (error) => send({ ok: false, error: toErrorData(error) }),
      );
    }
  });
}
