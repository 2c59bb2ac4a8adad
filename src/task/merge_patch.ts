/**
 * JSON Merge Patch (RFC 7396), as SQLite's `json_patch` applies it: a null deletes its key, an
 * object merges into an object, anything else replaces.
 *
 * @example
 * ```ts
 * mergePatch({ a: 1, b: { c: 2 } }, { a: null, b: { d: 3 } }); // { b: { c: 2, d: 3 } }
 * ```
 */

/** Applies `patch` to `target`, returning a new value (neither is changed). */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!_isObject(patch)) return patch;
  const result: Record<string, unknown> = _isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

function _isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
