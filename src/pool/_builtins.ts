/**
 * @internal Node built-in modules a pool worker needs only for some tasks, loaded on first use.
 * Importing `node:util`, `node:fs`, `node:url` and `node:process` up front cost a Bun worker
 * ~12 ms of CPU at start (each is a module of its own in every worker), which 110 workers
 * starting together on two cores pay a second for; most tasks never need them.
 *
 * @example
 * ```ts
 * import { _lazyBuiltin } from "./_builtins.ts";
 * const text = _lazyBuiltin<typeof import("node:util")>("node:util").format("%d", 1);
 * ```
 */

/** The process object (Bun, Deno and Node all have it as a global). */
export const _process = (globalThis as unknown as { process: typeof import("node:process") })
  .process;

const _loaded = new Map<string, unknown>();

/** `node:<name>` loaded synchronously the first time it is asked for. */
export function _lazyBuiltin<T>(name: string): T {
  let m = _loaded.get(name);
  if (m === undefined) {
    m = (_process as unknown as { getBuiltinModule(id: string): unknown }).getBuiltinModule(name);
    _loaded.set(name, m);
  }
  return m as T;
}
