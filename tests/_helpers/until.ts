/**
 * Polls a condition every 100 ms, letting the event loop run between checks (a proxy, a child's
 * pipes or a server in the test go on meanwhile), until it holds; throws after `timeoutMs`.
 * For a condition of another process, which has no event to await.
 *
 * @example
 * ```ts
 * await until(() => existsSync(file), 10_000);
 * await until(async () => (await host.tasks()).length === 2);
 * ```
 */
export async function until(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
