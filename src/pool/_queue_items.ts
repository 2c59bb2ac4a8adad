/**
 * @internal Encoding of work-queue items: functions written with `writeFn` cross as source text
 * and captured values; ArrayBuffers in items move.
 */
import { compileFn, explainFreeVariable, fnSource } from "./fn_source.ts";
import { findTransferables } from "./transfer.ts";

const FN_MARK = "__bgt_fn__";

/** Wraps a function and its captured values so that it can cross a worker boundary. */
export function _encodeFn(fn: unknown, capture: Record<string, unknown> = {}): unknown {
  if (typeof capture !== "object" || capture === null) {
    throw new TypeError("Cannot write the function: capture must be an object of values");
  }
  return { [FN_MARK]: fnSource(fn), n: Object.keys(capture), v: Object.values(capture) };
}

/** Throws when an item is a function (they must go through `writeFn`). */
export function _checkItem(item: unknown): void {
  if (typeof item === "function") {
    throw new TypeError(
      "Cannot write a function to the queue: use writeFn(fn, capture) to send it by value",
    );
  }
}

/** Re-creates a function written with `writeFn`; other items are returned unchanged. */
export function _decodeItem(item: unknown): unknown {
  if (typeof item !== "object" || item === null || !(FN_MARK in item)) return item;
  const w = item as { [FN_MARK]: string; n: string[]; v: unknown[] };
  const fn = compileFn(w[FN_MARK], w.n)(...w.v);
  return (...args: unknown[]) => {
    try {
      return fn(...args);
    } catch (e) {
      throw explainFreeVariable(e);
    }
  };
}

/** Moves an item into a new owner now (ArrayBuffers in it are detached at the writer). */
export function _takeItem(item: unknown): unknown {
  if (typeof item !== "object" || item === null) return item;
  const transfer = findTransferables(item);
  return transfer.length === 0 ? item : structuredClone(item, { transfer });
}
