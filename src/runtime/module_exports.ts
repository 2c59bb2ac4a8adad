/**
 * The names a module file exports, read with Bun's transpiler without running the module, so
 * that `bgt run job.ts#nope` can be refused at submission.
 *
 * @example
 * ```ts
 * scanExports("/home/me/job.ts"); // ["default", "train"]
 * ```
 */
import { readFileSync } from "node:fs";
import { extname } from "node:path";

const LOADERS: Record<string, "ts" | "tsx" | "js" | "jsx"> = {
  ".ts": "ts",
  ".mts": "ts",
  ".cts": "ts",
  ".tsx": "tsx",
  ".js": "js",
  ".mjs": "js",
  ".cjs": "js",
  ".jsx": "jsx",
};

/**
 * The module's export names; undefined when they cannot be known without running it (not on
 * Bun, `export * from …`, or no ES exports at all, as in CommonJS). Throws an Error with the
 * parser's message when the file does not parse.
 */
export function scanExports(path: string): string[] | undefined {
  const bun = (globalThis as { Bun?: typeof Bun }).Bun;
  const loader = LOADERS[extname(path)];
  if (!bun || !loader) return undefined;
  const code = readFileSync(path, "utf8");
  if (/\bexport\s*\*/.test(code)) return undefined;
  const { exports } = new bun.Transpiler({ loader }).scan(code);
  return exports.length ? exports : undefined;
}
