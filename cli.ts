/**
 * The `bgt` executable. Holds no logic: the waiter and shell modes (started by the supervisor)
 * load only what they need; everything else is the command tree in `src/cli/main.ts`.
 *
 * @example
 * ```sh
 * bun cli.ts run -- echo hi     # or, compiled: dist/bgt run -- echo hi
 * ```
 */
const words = process.argv.slice(2);

if (words[0] === "__wait") {
  const { runWaiter } = await import("./src/runner/waiter.ts");
  await runWaiter(words.slice(1));
  process.exit(0);
} else if (words[0] === "__shell") {
  const { runShellLine } = await import("./src/runner/shell_line.ts");
  process.exit(await runShellLine(words.slice(1).join(" ")));
} else {
  const { main } = await import("./src/cli/main.ts");
  process.exit(await main(words));
}
export {};
