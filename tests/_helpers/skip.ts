/**
 * Skips a test with its reason printed: a test that cannot run here says why on the output,
 * not only in the runner's summary.
 *
 * @example
 * ```ts
 * test("needs root", (t) => {
 *   if (process.getuid?.() !== 0) return skipWithReason(t, "not running as root");
 * });
 * ```
 */
export function skipWithReason(t: { name?: string; skip(message?: string): void }, reason: string) {
  console.log(`skipped '${t.name ?? "a test"}': ${reason}`);
  t.skip(reason);
}
