/**
 * `connectUnix`, the runtime's client connection to a unix socket (Bun.connect on Bun, node:net
 * elsewhere): bytes both ways in order, a large write delivered whole, a missing socket as an
 * error with Node's code, and nothing heard after `destroy()`.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { connectUnix } from "../../src/runtime/unix_socket.ts";

describe("connectUnix", () => {
  let dir: string;
  let server: Server;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "bgt-unix-"));
    // An echo server that answers once it has read `expected` bytes (the first 4 bytes say how many).
    server = createServer((socket) => {
      const chunks: Uint8Array[] = [];
      let got = 0;
      socket.on("data", (chunk: Uint8Array) => {
        chunks.push(chunk);
        got += chunk.length;
        const all = Buffer.concat(chunks);
        if (got >= 4 && got >= all.readUInt32BE(0)) socket.end(all);
      });
    });
    await new Promise<void>((resolve) => server.listen(join(dir, "s.sock"), resolve));
  });
  after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Sends `bytes` and resolves with what came back before the server closed. */
  function echo(bytes: Uint8Array): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      const received: Uint8Array[] = [];
      const socket = connectUnix(join(dir, "s.sock"), {
        open: () => socket.write(bytes),
        data: (chunk) => received.push(chunk.slice()),
        error: reject,
        close: () => resolve(new Uint8Array(Buffer.concat(received))),
      });
    });
  }

  test("bytes go and come back in order, a 4 MiB write whole", async () => {
    for (const size of [8, 4 * 1024 * 1024]) {
      const bytes = new Uint8Array(size).map((_, i) => i % 251);
      new DataView(bytes.buffer).setUint32(0, size);
      assert.deepEqual(await echo(bytes), bytes, `${size} bytes`);
    }
  });

  test("a missing socket is an error with Node's code", async () => {
    const error = await new Promise<Error & { code?: string }>((resolve) => {
      connectUnix(join(dir, "none.sock"), {
        open: () => resolve(new Error("connected")),
        data: () => {},
        error: resolve,
        close: () => resolve(new Error("closed")),
      });
    });
    assert.equal(error.code, "ENOENT", error.message);
  });

  test("after destroy() no handler is called", async () => {
    const heard: string[] = [];
    const socket = connectUnix(join(dir, "s.sock"), {
      open: () => heard.push("open"),
      data: () => heard.push("data"),
      error: () => heard.push("error"),
      close: () => heard.push("close"),
    });
    socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(heard, []);
  });
});
