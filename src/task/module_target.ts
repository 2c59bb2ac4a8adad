/**
 * Parses a module target `path/to/file.ts#exportName` (default export when there is no `#`).
 *
 * @example
 * ```ts
 * parseModuleTarget("fit.ts#train"); // { module: "fit.ts", export: "train" }
 * ```
 */

/** True when the word names a script bgt runs as a module task (by its extension). */
export function looksLikeModule(word: string): boolean {
  return /\.(ts|tsx|mts|js|mjs|jsx)(#.*)?$/.test(word);
}

/** Splits `file#export`; throws a TypeError on an empty or malformed export name. */
export function parseModuleTarget(target: string): { module: string; export: string } {
  const hash = target.lastIndexOf("#");
  if (hash < 0) return { module: target, export: "default" };
  const module = target.slice(0, hash);
  const name = target.slice(hash + 1);
  if (!module || !/^[A-Za-z_$][\w$]*$/.test(name)) {
    throw new TypeError(`Cannot parse module target '${target}': expected file.ts#exportName`);
  }
  return { module, export: name };
}
