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
import { fsPath } from "./raw_bytes.ts";
import { extname } from "node:path";

/** Bun's transpiler loader for each module file extension (its runtime plugin's too). */
export const LOADERS: Record<string, "ts" | "tsx" | "js" | "jsx"> = {
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
  const code = readFileSync(fsPath(path), "utf8");
  if (/\bexport\s*\*/.test(code)) return undefined;
  const { exports } = new bun.Transpiler({ loader }).scan(code);
  return exports.length ? exports : undefined;
}

/**
 * The export names a module file declares as something other than a function, as far as can be
 * told without running it (Bun only; an empty list elsewhere): a class, or a `const`/`let`/`var`
 * bound to a literal (number, string, array, object, `true`, `false`, `null`, `new …`).
 *
 * @example
 * ```ts
 * // job.ts: export const limit = 3; export class Job {}; export default () => 1;
 * nonFunctionExports("/home/me/job.ts"); // ["limit", "Job"]
 * ```
 */
export function nonFunctionExports(path: string): string[] {
  const bun = (globalThis as { Bun?: typeof Bun }).Bun;
  const loader = LOADERS[extname(path)];
  if (!bun || !loader) return [];
  const code = new bun.Transpiler({ loader, trimUnusedImports: false }).transformSync(
    readFileSync(fsPath(path), "utf8"),
  );
  const names: string[] = [];
  if (/^\s*export\s+default\s+class\b/m.test(code)) names.push("default");
  for (const match of code.matchAll(/^\s*export\s+class\s+([\w$]+)/gm)) names.push(match[1]);
  const literal =
    /^\s*export\s+(?:const|let|var)\s+([\w$]+)\s*=\s*(?:[-+]?\d|["'`[{]|true\b|false\b|null\b|new\s)/gm;
  for (const match of code.matchAll(literal)) names.push(match[1]);
  return names;
}
