/**
 * Length-prefixed MessagePack frames: a 4-byte big-endian body length, then the body. A frame
 * over {@linkcode MAX_FRAME_BYTES} is refused.
 *
 * @example
 * ```ts
 * const decoder = new FrameDecoder();
 * decoder.push(encodeFrame({ hello: 1 })); // [{ hello: 1 }]
 * ```
 */
import { decode, encode } from "../task/codec.ts";
import { ProtocolError } from "../task/errors.ts";
import { MAX_FRAME_BYTES } from "./protocol.ts";

/** Encodes one value as a frame. */
export function encodeFrame(value: unknown): Uint8Array {
  const body = encode(value);
  if (body.length > MAX_FRAME_BYTES) {
    throw new ProtocolError(
      `Cannot send frame: ${body.length} bytes is over the ${MAX_FRAME_BYTES}-byte cap`,
    );
  }
  const frame = new Uint8Array(4 + body.length);
  new DataView(frame.buffer).setUint32(0, body.length);
  frame.set(body, 4);
  return frame;
}

/** Reassembles frames from a byte stream; throws ProtocolError on an oversized or broken frame. */
export class FrameDecoder {
  #buffer: Uint8Array = new Uint8Array(0);

  /** Adds bytes; returns every complete frame's value. */
  push(chunk: Uint8Array): unknown[] {
    this.#buffer = this.#buffer.length === 0 ? chunk : _concat(this.#buffer, chunk);
    const values: unknown[] = [];
    while (this.#buffer.length >= 4) {
      const view = new DataView(this.#buffer.buffer, this.#buffer.byteOffset, 4);
      const length = view.getUint32(0);
      if (length > MAX_FRAME_BYTES) {
        throw new ProtocolError(
          `Cannot read frame: ${length} bytes is over the ${MAX_FRAME_BYTES}-byte cap`,
        );
      }
      if (this.#buffer.length < 4 + length) break;
      const body = this.#buffer.subarray(4, 4 + length);
      this.#buffer = this.#buffer.subarray(4 + length);
      try {
        values.push(decode(body));
      } catch (error) {
        throw new ProtocolError(
          `Cannot read frame: invalid MessagePack (${(error as Error).message})`,
        );
      }
    }
    return values;
  }
}

function _concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}
