/**
 * The URL of a module that `bun build --compile` embedded as an extra entrypoint. Inside the
 * binary, bundled code shares one `import.meta.url` (the binary's root), so a sibling path like
 * `./worker.ts` would not resolve; embedded files live at their path from the project root.
 *
 * @example
 * ```ts
 * new Worker(embeddedUrl(new URL("./worker.ts", import.meta.url), "src/pool/worker.ts"));
 * ```
 */
import { isCompiled } from "./process.ts";

/** `sourceUrl` when running from source; the embedded copy of `pathFromRoot` when compiled. */
export function embeddedUrl(sourceUrl: URL, pathFromRoot: string): string {
  if (!isCompiled()) return sourceUrl.href;
  return new URL(`./${pathFromRoot}`, import.meta.url.replace(/[^/]*$/, "")).href;
}
