/**
 * Registers an in-memory module under a bare specifier, so that code loaded later in the same
 * thread can `import { … } from name`.
 *
 * On Bun this installs a runtime plugin (it also works inside a `bun build --compile` binary).
 * On Deno it does nothing and returns `false`: there the import map of `deno.json` resolves the
 * specifier instead.
 *
 * @param name The bare specifier, e.g. `"bgt"`.
 * @param exports The module's named exports. The object is not copied; later reads see it.
 * @returns `true` when the module was registered, `false` when the runtime has no plugin API.
 * @throws {TypeError} When `name` is empty.
 *
 * @example
 * ```ts
 * import { registerVirtualModule } from "./virtual_module.ts";
 * registerVirtualModule("my-virtual", { answer: 42 });
 * ```
 */
export function registerVirtualModule(name: string, exports: Record<string, unknown>): boolean {
  if (typeof name !== "string" || name === "") {
    throw new TypeError("Cannot register a virtual module: the name must be a non-empty string");
  }
  const bun = (globalThis as { Bun?: { plugin?: (p: unknown) => unknown } }).Bun;
  if (bun === undefined || typeof bun.plugin !== "function") return false;
  bun.plugin({
    name: `virtual:${name}`,
    setup(build: { module: (id: string, cb: () => unknown) => void }) {
      build.module(name, () => ({ exports, loader: "object" }));
    },
  });
  return true;
}
