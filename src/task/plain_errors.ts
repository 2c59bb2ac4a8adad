/**
 * Errors inside a task's result, made plain: MessagePack has no Error type (msgpackr packs one
 * as `[name, message, cause]`), so a returned Error becomes `{ name, message, stack? }`, which
 * `bgt result` and `--json` print as a user would read it.
 *
 * @example
 * ```ts
 * plainErrors(new Error("boom")); // { name: "Error", message: "boom", stack: "Error: boom\n  at …" }
 * plainErrors({ a: [new TypeError("x")] }); // { a: [{ name: "TypeError", message: "x", stack: … }] }
 * plainErrors({ a: 1 }); // the same object: values without Errors are not copied
 * ```
 */
export function plainErrors(value: unknown): unknown {
  return _walk(value, new Set());
}

function _walk(value: unknown, seen: Set<object>): unknown {
  if (value instanceof Error) {
    const plain: Record<string, unknown> = { name: value.name, message: value.message };
    if (typeof value.stack === "string") plain.stack = value.stack;
    if (value.cause !== undefined) plain.cause = _walk(value.cause, seen);
    return plain;
  }
  if (value === null || typeof value !== "object" || seen.has(value)) return value;
  if (Array.isArray(value)) {
    seen.add(value);
    let copy: unknown[] | undefined;
    value.forEach((item, i) => {
      if (item === null || typeof item !== "object") return; // no Error in it
      const plain = _walk(item, seen);
      if (plain !== item) (copy ??= [...value])[i] = plain;
    });
    seen.delete(value);
    return copy ?? value;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  seen.add(value);
  let copy: Record<string, unknown> | undefined;
  const object = value as Record<string, unknown>;
  for (const key of Object.keys(object)) {
    const item = object[key];
    if (item === null || typeof item !== "object") continue; // no Error in it
    const plain = _walk(item, seen);
    if (plain !== item) (copy ??= { ...object })[key] = plain;
  }
  seen.delete(value);
  return copy ?? value;
}
