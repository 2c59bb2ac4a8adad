/**
 * Module files whose path is not UTF-8 (a Latin-1 `café.ts`). Bun's module loader opens only
 * UTF-8 paths (and resolves a symlink to its target's name), so such a file is imported under a
 * stand-in name, `.bgt-raw-<the path's bytes in hex>.ts`, in its own directory, and a runtime
 * plugin loads the stand-in from the file's exact bytes. Its relative imports resolve from its
 * real directory when that directory's name is UTF-8 (else the stand-in lives in `/`, and only
 * imports that are not relative resolve).
 *
 * @example
 * ```ts
 * const url = rawModuleUrl(textToBytes("/srv/jobs/caf\udce9.ts")); // file:///srv/jobs/.bgt-raw-2f…2e7473.ts
 * if (isRawModuleUrl(url)) registerRawModules(); // in the thread that imports it
 * await import(url);
 * ```
 */
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { LOADERS } from "./module_exports.ts";
import { bytesToText, hasRawBytes } from "./raw_bytes.ts";

const STAND_IN = /\.bgt-raw-([0-9a-f]+)(\.[A-Za-z]+)?$/;
/** The `file:` URL of the stand-in for the module file at `path` (its exact bytes). */
export function rawModuleUrl(path: Uint8Array): string {
  const slash = path.lastIndexOf(0x2f);
  const dirText = bytesToText(path.subarray(0, Math.max(slash, 0)));
  const dir = slash > 0 && !hasRawBytes(dirText) ? dirText : "";
  const name = bytesToText(path.subarray(slash + 1));
  const ext = /(\.[A-Za-z]+)$/.exec(name)?.[1] ?? "";
  const hex = Buffer.from(path).toString("hex");
  return pathToFileURL(`${dir}/.bgt-raw-${hex}${ext}`).href;
}

/** True for a stand-in's URL or path (see {@linkcode rawModuleUrl}). */
export function isRawModuleUrl(url: string): boolean {
  return STAND_IN.test(url);
}

/** The real file behind a stand-in's URL or path, as bytes; undefined for any other. */
export function rawModuleFile(url: string): Buffer | undefined {
  const match = STAND_IN.exec(url);
  return match ? Buffer.from(match[1], "hex") : undefined;
}

let _registered = false;

/**
 * Lets this thread import stand-ins (a Bun runtime plugin, installed once). Returns false where
 * the runtime has no plugin API (Deno): there a stand-in cannot be imported.
 */
export function registerRawModules(): boolean {
  if (_registered) return true;
  const bun = (globalThis as { Bun?: { plugin?: (p: unknown) => unknown } }).Bun;
  if (bun === undefined || typeof bun.plugin !== "function") return false;
  bun.plugin({
    name: "bgt:raw-path-modules",
    setup(build: {
      onResolve(o: { filter: RegExp }, cb: (a: { path: string }) => unknown): void;
      onLoad(o: { filter: RegExp }, cb: (a: { path: string }) => unknown): void;
    }) {
      build.onResolve({ filter: STAND_IN }, (args) => ({
        path: args.path.startsWith("file:")
          ? decodeURIComponent(new URL(args.path).pathname)
          : args.path,
      }));
      build.onLoad({ filter: STAND_IN }, (args) => {
        const file = rawModuleFile(args.path)!;
        const ext = STAND_IN.exec(args.path)?.[2] ?? ".js";
        return { contents: readFileSync(file, "utf8"), loader: LOADERS[ext] ?? "js" };
      });
    },
  });
  _registered = true;
  return true;
}
