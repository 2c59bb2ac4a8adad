/**
 * Bytes that are not UTF-8 (a Latin-1 file name, `$'\xff'` in an argv or an environment value)
 * kept exactly, end to end. In memory such a byte is a lone low surrogate, U+DC80 + byte (the
 * "surrogateescape" of PEP 383): a string that was valid UTF-8 is unchanged, and every other one
 * turns back into exactly its bytes ({@linkcode textToBytes}). MessagePack cannot carry a lone
 * surrogate, so a stored spec holds such a string as `bin` (`src/task/stored_spec.ts`).
 *
 * @example
 * ```ts
 * const word = bytesToText(new Uint8Array([0xff, 0xfe, 0x41])); // "\udcff\udcfeA"
 * textToBytes(word); // Uint8Array [0xff, 0xfe, 0x41]
 * hasRawBytes(word); // true
 * ```
 */
const _strict = new TextDecoder("utf-8", { fatal: true });
const _encoder = new TextEncoder();
/** A lone surrogate that stands for a byte (with the `u` flag, a pair never matches). */
const _RAW = /[\uDC80-\uDCFF]/u;
/** Any such code unit, paired or not: the quick test that rules out nearly every string. */
const _LOW = /[\uDC80-\uDCFF]/;

/** True when `text` holds bytes that are not UTF-8 (escaped as U+DC80 + byte). */
export function hasRawBytes(text: string): boolean {
  return _LOW.test(text) && _RAW.test(text);
}

/**
 * Decodes bytes as UTF-8, each byte that is not part of a valid sequence escaped as
 * U+DC80 + byte (not replaced by U+FFFD).
 *
 * @example
 * ```ts
 * bytesToText(new Uint8Array([0x63, 0xe9])); // "c\udce9"
 * ```
 */
export function bytesToText(bytes: Uint8Array): string {
  try {
    return _strict.decode(bytes);
  } catch { /* not UTF-8: decode sequence by sequence */ }
  let text = "";
  let i = 0;
  while (i < bytes.length) {
    const length = _sequenceLength(bytes, i);
    text += length === 0
      ? String.fromCharCode(0xdc00 + bytes[i])
      : _strict.decode(bytes.subarray(i, i + length));
    i += length || 1;
  }
  return text;
}

/** The length of the valid UTF-8 sequence at `i` (1–4), or 0 when the byte there starts none. */
function _sequenceLength(bytes: Uint8Array, i: number): number {
  const b = bytes[i];
  if (b < 0x80) return 1;
  const length = b >= 0xc2 && b <= 0xdf
    ? 2
    : b >= 0xe0 && b <= 0xef
    ? 3
    : b >= 0xf0 && b <= 0xf4
    ? 4
    : 0;
  if (length === 0 || i + length > bytes.length) return 0;
  try {
    _strict.decode(bytes.subarray(i, i + length));
    return length;
  } catch {
    return 0;
  }
}

/**
 * Encodes text as UTF-8, each escaped byte (U+DC80 + byte) back as that byte: the inverse of
 * {@linkcode bytesToText}.
 *
 * @example
 * ```ts
 * textToBytes("c\udce9"); // Uint8Array [0x63, 0xe9]
 * ```
 */
export function textToBytes(text: string): Uint8Array {
  if (!hasRawBytes(text)) return _encoder.encode(text);
  const parts: number[] = [];
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code >= 0xdc80 && code <= 0xdcff) parts.push(code - 0xdc00);
    else for (const byte of _encoder.encode(char)) parts.push(byte);
  }
  return new Uint8Array(parts);
}

/**
 * A path as the file functions of `node:fs` take it: the string itself, or its exact bytes (a
 * Buffer) when it holds bytes that are not UTF-8 (the string would be encoded lossily).
 *
 * @example
 * ```ts
 * statSync(fsPath("/tmp/caf\udce9.ts")); // the Latin-1 file /tmp/caf\xe9.ts
 * ```
 */
export function fsPath(path: string): string | Buffer {
  return hasRawBytes(path) ? Buffer.from(textToBytes(path)) : path;
}
