/**
 * Bundles a module and everything it imports into one ES module text (Bun's bundler), leaving
 * `import … from "bgt"` to the worker. Used by `bgt run --pin` so a later run executes exactly
 * the code that was submitted.
 *
 * @example
 * ```ts
 * const code = await bundleModule("/home/me/jobs/report.ts");
 * ```
 */

/** The bundled code of the module at `path`; throws an Error naming the problem. */
export async function bundleModule(path: string): Promise<string> {
  const bun = (globalThis as { Bun?: typeof Bun }).Bun;
  if (!bun) {
    throw new Error(`Cannot pin ${path}: pinning needs Bun's bundler (use the bgt binary)`);
  }
  let result: Awaited<ReturnType<typeof Bun.build>>;
  try {
    result = await bun.build({
      entrypoints: [path],
      target: "bun",
      format: "esm",
      external: ["bgt"],
    });
  } catch (error) {
    const first = (error as { errors?: { message: string }[] }).errors?.[0]?.message;
    throw new Error(`Cannot pin ${path}: ${first ?? (error as Error).message}`);
  }
  const output = result.outputs[0];
  if (!result.success || !output) {
    throw new Error(`Cannot pin ${path}: ${result.logs[0]?.message ?? "the bundler failed"}`);
  }
  return await output.text();
}
