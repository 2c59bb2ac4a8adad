/**
 * bgt's version (kept equal to package.json's by a test).
 *
 * @example
 * ```ts
 * import { VERSION } from "bgt";
 * console.log(`bgt ${VERSION}`);
 * ```
 */
export const VERSION = "0.1.0";
