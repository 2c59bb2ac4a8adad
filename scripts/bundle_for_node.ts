/**
 * Bundles a TypeScript entry for Node with `bun build` (playwright-core left outside: its pipe
 * to Chromium works under Node only). Used by `npm run test:ui` and the dashboard benchmark.
 * Put the output inside node_modules, so that Node's module resolution finds playwright-core.
 *
 * @example
 * ```ts
 * const failed = bundleForNode("tests/browser/ui_browser.ts", "node_modules/.cache/x/ui.mjs");
 * if (failed) throw new Error(failed);
 * ```
 */
import { spawnSync } from "node:child_process";

/** Writes the bundle to `outfile`; undefined when done, else what `bun build` said. */
export function bundleForNode(entry: string, outfile: string): string | undefined {
  const build = spawnSync(process.execPath, [
    "build",
    entry,
    "--target",
    "node",
    "--external",
    "playwright-core",
    "--outfile",
    outfile,
  ], { encoding: "utf8" });
  if (build.status === 0) return undefined;
  return (build.stderr || build.stdout || `bun build exited ${build.status}`).trim();
}
