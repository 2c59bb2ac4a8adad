import assert from "node:assert/strict";
import { test } from "node:test";
import { encodeFrame, FrameDecoder } from "../../src/task/frames.ts";
import { MAX_FRAME_BYTES, PROTOCOL_VERSION } from "../../src/ipc/protocol.ts";
import { validateRequest } from "../../src/ipc/validate_request.ts";

test("encodeFrame() writes a 4-byte big-endian length, then standard MessagePack", () => {
  const frame = encodeFrame({ v: 1, type: "status" });
  // fixmap(2) "v" 1 "type" "status"
  const body = [
    0x82,
    0xa1,
    0x76,
    0x01,
    0xa4,
    0x74,
    0x79,
    0x70,
    0x65,
    0xa6,
    0x73,
    0x74,
    0x61,
    0x74,
    0x75,
    0x73,
  ];
  assert.deepEqual([...frame], [0, 0, 0, body.length, ...body]);
});

test("FrameDecoder reassembles frames split anywhere and several in one chunk", () => {
  const bytes = new Uint8Array([
    ...encodeFrame({ a: 1 }),
    ...encodeFrame([2, 3]),
    ...encodeFrame("x"),
  ]);
  const decoder = new FrameDecoder();
  const values: unknown[] = [];
  for (let i = 0; i < bytes.length; i += 3) values.push(...decoder.push(bytes.slice(i, i + 3)));
  assert.deepEqual(values, [{ a: 1 }, [2, 3], "x"]);
});

test("FrameDecoder refuses a frame over the size cap before reading its body", () => {
  const header = new Uint8Array(4);
  new DataView(header.buffer).setUint32(0, MAX_FRAME_BYTES + 1);
  assert.throws(() => new FrameDecoder().push(header), {
    name: "ProtocolError",
    message: /over the/,
  });
});

test("validateRequest() refuses another protocol version and unknown types", () => {
  assert.deepEqual(validateRequest({ v: PROTOCOL_VERSION, type: "status" }), {
    v: PROTOCOL_VERSION,
    type: "status",
  });
  assert.throws(() => validateRequest({ v: 99, type: "status" }), /protocol version 99/);
  // A supervisor run by systemd is restarted by systemd: the message names both ways.
  assert.throws(
    () => validateRequest({ v: 99, type: "status" }),
    /'bgt daemon restart' \(or 'systemctl --user restart bgt' when systemd runs it\)/,
  );
  assert.throws(() => validateRequest({ v: PROTOCOL_VERSION, type: "explode" }), /unknown type/);
  assert.throws(
    () => validateRequest({ v: PROTOCOL_VERSION, type: "kill", id: -1, signal: "SIGTERM" }),
    /needs an id/,
  );
  assert.throws(() => validateRequest("hello"), /not a map/);
});
