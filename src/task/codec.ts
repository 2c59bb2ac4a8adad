/**
 * MessagePack as bgt stores and sends values: standard MessagePack (no msgpackr records), so any
 * MessagePack reader can decode a task's result or a frame. A 64-bit integer decodes to a number
 * when a number holds it exactly, else to a bigint (never rounded); a bigint wider than 64 bits is
 * stored as its decimal string.
 *
 * @example
 * ```ts
 * decode(encode({ a: [1, 2] })); // { a: [1, 2] }
 * ```
 */
import { Packr } from "msgpackr/pack"; // the plain JS build: no native add-on probe at start-up
import { plainErrors } from "./plain_errors.ts";

const packr = new Packr({
  useRecords: false,
  variableMapSize: true,
  moreTypes: false,
  // "auto": a number when it is exact, else a bigint (msgpackr ≥ 2.0; missing from its types)
  int64AsType: "auto" as "number",
  largeBigIntToString: true,
});

/** Encodes a value to MessagePack bytes; an Error in it becomes `{ name, message, stack? }`. */
export function encode(value: unknown): Uint8Array {
  return packr.pack(plainErrors(value));
}

/** Decodes MessagePack bytes. */
export function decode(bytes: Uint8Array): unknown {
  return packr.unpack(bytes);
}
