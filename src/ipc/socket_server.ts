/**
 * Serves the protocol on a unix socket (mode 0600): reads frames, validates each request,
 * hands it to the handler and writes its response. A broken frame gets an error response and
 * closes that connection only; nothing a client sends can stop the server.
 *
 * A client cannot make the server hoard memory or descriptors: a connection stops being read
 * while its unread responses or its requests in flight pile up (backpressure), and a connection
 * with no request in flight that sends nothing for `idleMs` (a silent client, or one stuck in
 * the middle of a frame) is closed.
 *
 * `close()` stops listening and hangs up every open connection: a long poll in flight (`wait`,
 * `events`) ends there, and its client sees the supervisor gone at once — never an answer from
 * a supervisor whose store has closed meanwhile.
 *
 * @example
 * ```ts
 * const server = await serveSocket("/state/bgt.sock", async (request) => ({ ok: true, type: "notified" }));
 * server.close();
 * ```
 */
import { chmodSync, rmSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { toErrorData } from "../task/errors.ts";
import { encodeFrame, FrameDecoder } from "../task/frames.ts";
import type { Request, Response } from "./protocol.ts";
import { validateRequest } from "./validate_request.ts";

/** Answers one request. */
export type RequestHandler = (request: Request, signal: AbortSignal) => Promise<Response>;

/** Options for {@linkcode serveSocket}. */
export interface ServeOptions {
  /**
   * A connection with no request in flight that sends nothing for this long is closed
   * (milliseconds). @default 10000
   */
  idleMs?: number;
  /** Most requests of one connection in flight at once; reading pauses beyond. @default 64 */
  maxInFlight?: number;
  /** Unsent response bytes of one connection beyond which reading pauses. @default 1 MiB */
  maxUnsentBytes?: number;
}

/** A server of {@linkcode serveSocket}. */
export interface SocketServer {
  /** Stops listening and hangs up every open connection (their requests in flight end). */
  close(): void;
}

/** Starts serving at `path` (replacing a stale socket file). */
export async function serveSocket(
  path: string,
  handler: RequestHandler,
  options: ServeOptions = {},
): Promise<SocketServer> {
  rmSync(path, { force: true });
  const limits = {
    idleMs: options.idleMs ?? 10_000,
    maxInFlight: options.maxInFlight ?? 64,
    maxUnsentBytes: options.maxUnsentBytes ?? 1024 * 1024,
  };
  const connections = new Set<Socket>();
  const server = createServer((socket) => {
    connections.add(socket);
    socket.on("close", () => connections.delete(socket));
    _serveConnection(socket, handler, limits);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => {
      server.off("error", reject);
      resolve();
    });
  });
  chmodSync(path, 0o600);
  server.on("error", () => {/* a failed accept never stops the server */});
  return {
    close() {
      server.close();
      for (const socket of connections) socket.destroy();
    },
  };
}

function _serveConnection(
  socket: Socket,
  handler: RequestHandler,
  limits: Required<ServeOptions>,
): void {
  const decoder = new FrameDecoder();
  const closed = new AbortController();
  /** Requests decoded but not yet handed to the handler (while too many are in flight). */
  const pending: unknown[] = [];
  let inFlight = 0;
  let broken = false;
  let idleTimer: ReturnType<typeof setTimeout> | undefined;

  const armIdle = () => {
    clearTimeout(idleTimer);
    idleTimer = undefined;
    if (inFlight === 0 && pending.length === 0 && !socket.destroyed) {
      idleTimer = setTimeout(() => socket.destroy(), limits.idleMs);
      idleTimer.unref?.();
    }
  };
  const flowControl = () => {
    if (socket.destroyed) return;
    const full = inFlight >= limits.maxInFlight || pending.length > 0 ||
      socket.writableLength > limits.maxUnsentBytes;
    if (full) socket.pause();
    else if (!broken) socket.resume();
  };
  const send = (response: Response) => {
    if (socket.destroyed || socket.writableEnded) return;
    let frame: Uint8Array;
    try {
      frame = encodeFrame(response);
    } catch (error) {
      frame = encodeFrame({ ok: false, error: toErrorData(error) });
    }
    socket.write(frame);
  };
  const dispatch = () => {
    while (pending.length > 0 && inFlight < limits.maxInFlight && !socket.destroyed) {
      const value = pending.shift();
      let request: Request;
      try {
        request = validateRequest(value);
      } catch (error) {
        send({ ok: false, error: toErrorData(error) });
        continue;
      }
      inFlight++;
      let answer: Promise<Response>;
      try {
        answer = handler(request, closed.signal);
      } catch (error) {
        answer = Promise.reject(error);
      }
      answer.then(send, (error) => send({ ok: false, error: toErrorData(error) })).finally(() => {
        inFlight--;
        dispatch();
      });
    }
    flowControl();
    armIdle();
  };

  socket.on("error", () => socket.destroy());
  socket.on("close", () => {
    clearTimeout(idleTimer);
    pending.length = 0;
    closed.abort();
  });
  socket.on("drain", flowControl);
  socket.on("data", (chunk: Uint8Array) => {
    if (broken) return;
    let values: unknown[];
    try {
      values = decoder.push(chunk);
    } catch (error) {
      // The stream cannot be resynchronised after a broken frame: answer, then hang up.
      broken = true;
      pending.length = 0;
      send({ ok: false, error: toErrorData(error) });
      socket.end();
      setTimeout(() => socket.destroy(), limits.idleMs).unref?.();
      return;
    }
    for (const value of values) pending.push(value);
    dispatch();
  });
  armIdle();
}
