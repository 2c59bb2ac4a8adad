/**
 * Finds the ArrayBuffers in a value that can be moved (transferred) to another worker without a
 * copy. SharedArrayBuffers are skipped: they are shared by reference anyway.
 *
 * Looks inside arrays, plain objects, Maps, Sets and typed arrays / DataViews (their buffer), up
 * to `maxDepth` levels. Detached and duplicate buffers are listed once at most.
 *
 * @param value The value to search.
 * @param maxDepth How deep to look. @default 8
 * @returns The ArrayBuffers found, in order of discovery.
 *
 * @example
 * ```ts
 * import { findTransferables } from "./transfer.ts";
 * const buf = new ArrayBuffer(8);
 * console.assert(findTransferables([{ data: new Uint8Array(buf) }])[0] === buf);
 * ```
 */
export function findTransferables(value: unknown, maxDepth = 8): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  if (typeof value !== "object" || value === null) return out;
  _walk(value, maxDepth, out, new Set());
  return out;
}

function _walk(v: unknown, depth: number, out: ArrayBuffer[], seen: Set<unknown>): void {
  if (typeof v !== "object" || v === null || depth < 0 || seen.has(v)) return;
  seen.add(v);
  if (v instanceof ArrayBuffer) {
    if (!_isDetached(v)) out.push(v);
    return;
  }
  if (ArrayBuffer.isView(v)) {
    const b = v.buffer;
    if (b instanceof ArrayBuffer && !seen.has(b) && !_isDetached(b)) {
      seen.add(b);
      out.push(b);
    }
    return;
  }
  if (Array.isArray(v)) {
    for (const x of v) if (typeof x === "object" && x !== null) _walk(x, depth - 1, out, seen);
    return;
  }
  if (v instanceof Map) {
    for (const [k, x] of v) {
      _walk(k, depth - 1, out, seen);
      _walk(x, depth - 1, out, seen);
    }
    return;
  }
  if (v instanceof Set) {
    for (const x of v) _walk(x, depth - 1, out, seen);
    return;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto === Object.prototype || proto === null) {
    for (const k in v as Record<string, unknown>) {
      const x = (v as Record<string, unknown>)[k];
      if (typeof x === "object" && x !== null) _walk(x, depth - 1, out, seen);
    }
  }
}

function _isDetached(b: ArrayBuffer): boolean {
  return (b as ArrayBuffer & { detached?: boolean }).detached === true;
}
