/**
 * The `bgt` executable. Holds no logic: the shell mode (started for `--shell` tasks) loads only
 * what it needs; everything else is the command tree in `src/cli/main.ts`.
 *
 * @example
 * ```sh
 * bun cli.ts run -- echo hi     # or, compiled: dist/bgt run -- echo hi
 * ```
 */
const words = process.argv.slice(2);

if (words[0] === "__shell") {
  const { runShellLine } = await import("./src/runner/shell_line.ts");
  process.exit(await runShellLine(words.slice(1).join(" ")));
} else {
  const { main } = await import("./src/cli/main.ts");
  process.exit(await main(words));
}
export {};
