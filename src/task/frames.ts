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
import { decode, encode } from "./codec.ts";
import { ProtocolError } from "./errors.ts";

/** Largest frame body accepted unless a caller says otherwise (16 MiB): the socket's cap. */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;

/** Encodes one value as a frame; refuses a body over `maxBytes`. */
export function encodeFrame(value: unknown, maxBytes = MAX_FRAME_BYTES): Uint8Array {
  const body = encode(value);
  if (body.length > maxBytes) {
    throw new ProtocolError(
      `Cannot send frame: ${body.length} bytes is over the ${maxBytes}-byte cap`,
    );
  }
  const frame = new Uint8Array(4 + body.length);
  new DataView(frame.buffer).setUint32(0, body.length);
  frame.set(body, 4);
  return frame;
}

/** Options for {@linkcode FrameDecoder}. */
export interface FrameDecoderOptions {
  /** Largest frame body accepted, in bytes (at most 4 GiB − 1). @default MAX_FRAME_BYTES (16 MiB) */
  maxFrameBytes?: number;
}

/**
 * Reassembles frames from a byte stream; throws ProtocolError on an oversized or broken frame.
 * Bytes of an incomplete frame are kept as received and joined once the frame is complete, so a
 * large frame arriving in many small chunks costs linear time, not quadratic.
 */
export class FrameDecoder {
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #maxFrameBytes: number;

  constructor(options: FrameDecoderOptions = {}) {
    this.#maxFrameBytes = options.maxFrameBytes ?? MAX_FRAME_BYTES;
  }

  /** Bytes received that do not yet make a whole frame. */
  get buffered(): number {
    return this.#buffered;
  }

  /** Adds bytes; returns every complete frame's value. */
  push(chunk: Uint8Array): unknown[] {
    if (chunk.length > 0) {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
    }
    const values: unknown[] = [];
    while (this.#buffered >= 4) {
      const head = this.#take(4, false);
      const length = new DataView(head.buffer, head.byteOffset, 4).getUint32(0);
      if (length > this.#maxFrameBytes) {
        throw new ProtocolError(
          `Cannot read frame: ${length} bytes is over the ${this.#maxFrameBytes}-byte cap`,
        );
      }
      if (this.#buffered < 4 + length) break;
      const body = this.#take(4 + length, true).subarray(4);
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

  /** The first `n` buffered bytes (chunks joined only when `n` spans several), removed when `consume`. */
  #take(n: number, consume: boolean): Uint8Array {
    if (this.#chunks[0].length < n) {
      let total = 0;
      let count = 0;
      while (total < n) total += this.#chunks[count++].length;
      const joined = new Uint8Array(total);
      for (let i = 0, at = 0; i < count; at += this.#chunks[i].length, i++) {
        joined.set(this.#chunks[i], at);
      }
      this.#chunks.splice(0, count, joined);
    }
    const first = this.#chunks[0];
    const bytes = first.subarray(0, n);
    if (consume) {
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
      this.#buffered -= n;
    }
    return bytes;
  }
}
