/**
 * The limits src/ipc/socket_server.ts sets on each connection, checked in process with a short
 * idle time: a silent or half-framed connection is closed, a request in flight keeps its
 * connection open however long it takes, a client that never reads stops being read, the
 * frame decoder joins a large frame in linear time, and closing the server hangs up a long poll.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { encodeFrame, FrameDecoder } from "../../src/task/frames.ts";
import { MAX_FRAME_BYTES, PROTOCOL_VERSION, type Response } from "../../src/ipc/protocol.ts";
import { serveSocket, type SocketServer } from "../../src/ipc/socket_server.ts";

const IDLE_MS = 300;

/** Resolves when the server closes the socket, with how long that took. */
function closedAfter(socket: Socket): Promise<number> {
  const opened = Date.now();
  return new Promise((resolve) => {
    socket.on("error", () => {});
    socket.on("close", () => resolve(Date.now() - opened));
  });
}

describe("socket server limits", () => {
  let dir: string;
  let server: SocketServer;
  let handled = 0;
  let releaseSlow: (() => void) | undefined;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "bgt-socket-"));
    server = await serveSocket(join(dir, "s.sock"), async (request): Promise<Response> => {
      handled++;
      if (request.type === "wait") {
        await new Promise<void>((resolve) => (releaseSlow = resolve));
        return { ok: true, type: "finished", ids: request.ids };
      }
      return { ok: true, type: "notified" };
    }, { idleMs: IDLE_MS, maxInFlight: 8, maxUnsentBytes: 64 * 1024 });
  });
  after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("a silent connection and one stuck inside a frame are closed after the idle time", async () => {
    const silent = connect(join(dir, "s.sock"));
    const stuck = connect(join(dir, "s.sock"));
    stuck.write(new Uint8Array([0, 0, 0, 50, 1, 2, 3]));
    const [a, b] = await Promise.all([closedAfter(silent), closedAfter(stuck)]);
    assert.ok(a >= IDLE_MS - 50 && a < IDLE_MS + 2_000, `silent closed after ${a} ms`);
    assert.ok(b >= IDLE_MS - 50 && b < IDLE_MS + 2_000, `stuck closed after ${b} ms`);
  });

  test("a request in flight keeps its connection open past the idle time", async () => {
    const socket = connect(join(dir, "s.sock"));
    const decoder = new FrameDecoder();
    const answers: unknown[] = [];
    socket.on("data", (chunk: Uint8Array) => answers.push(...decoder.push(chunk)));
    socket.write(encodeFrame({ v: PROTOCOL_VERSION, type: "wait", ids: [1] }));
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS * 4));
    assert.ok(!socket.destroyed, "still open while the request is in flight");
    releaseSlow!();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(answers, [{ ok: true, type: "finished", ids: [1] }]);
    socket.destroy();
  });

  test("a client that never reads its answers stops being read", async () => {
    handled = 0;
    const request = encodeFrame({ v: PROTOCOL_VERSION, type: "notify" });
    const flood = new Uint8Array(request.length * 100_000);
    for (let i = 0; i < 100_000; i++) flood.set(request, i * request.length);
    const socket = connect(join(dir, "s.sock"));
    socket.on("error", () => {});
    socket.pause();
    socket.write(flood);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    // Answers pile up to the unsent-bytes limit (plus what the kernel buffers), then reading stops.
    assert.ok(handled < 50_000, `${handled} of 100,000 requests handled without a reader`);
    socket.destroy();
  });

  test("FrameDecoder joins a frame near the size cap from small chunks in linear time", () => {
    const body = new Uint8Array(MAX_FRAME_BYTES - 16);
    body[0] = 0xc6; // bin 32 with the right length: a valid MessagePack value
    new DataView(body.buffer).setUint32(1, body.length - 5);
    const frame = new Uint8Array(4 + body.length);
    new DataView(frame.buffer).setUint32(0, body.length);
    frame.set(body, 4);
    const decoder = new FrameDecoder();
    const started = performance.now();
    const values: unknown[] = [];
    for (let at = 0; at < frame.length; at += 4096) {
      values.push(...decoder.push(frame.subarray(at, at + 4096)));
    }
    const ms = performance.now() - started;
    assert.equal(values.length, 1);
    assert.equal((values[0] as Uint8Array).length, body.length - 5);
    // Quadratic joining copied ~32 GiB here; linear joining copies 16 MiB once.
    assert.ok(ms < 2_000, `decoding took ${Math.round(ms)} ms`);
  });
});

describe("closing the socket server", () => {
  test("close() hangs up a connection whose request is in flight, and aborts its handler", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bgt-socket-"));
    let aborted: Promise<void> | undefined;
    const server = await serveSocket(join(dir, "s.sock"), (_request, signal) => {
      aborted = new Promise((resolve) => signal.addEventListener("abort", () => resolve()));
      return new Promise<Response>(() => {}); // a long poll that never answers by itself
    });
    try {
      const socket = connect(join(dir, "s.sock"));
      const closed = closedAfter(socket);
      socket.write(encodeFrame({ v: PROTOCOL_VERSION, type: "wait", ids: [1] }));
      while (!aborted) await new Promise((resolve) => setTimeout(resolve, 10));
      server.close();
      const ms = await closed;
      await aborted;
      assert.ok(ms < 2_000, `the client saw the hang-up after ${ms} ms`);
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
