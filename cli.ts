/**
 * The `bgt` executable. Holds no logic: the shell mode (started for `--shell` tasks), the
 * worker-host mode (where the supervisor runs module tasks) and the isolated-module mode
 * (`--isolate`) load only what they need; everything else is the command
 * tree in `src/cli/main.ts`.
 *
 * @example
 * ```sh
 * bun cli.ts run -- echo hi     # or, compiled: dist/bgt run -- echo hi
 * ```
 */
const words = process.argv.slice(2);
const SHELL_ENTRY = "src/runner/shell_line.ts";

if (words[0] === "__shell") {
  // A separate entrypoint (dax is over half of the code): a computed specifier keeps the bundler
  // from pulling it into the start-up of every other command.
  const { embeddedUrl } = await import("./src/runtime/embedded_url.ts");
  const url = embeddedUrl(new URL("./src/runner/shell_line.ts", import.meta.url), SHELL_ENTRY);
  const { runShellLine } = await import(url) as typeof import("./src/runner/shell_line.ts");
  process.exit(await runShellLine(words.slice(1).join(" ")));
} else if (words[0] === "__host") {
  const { runWorkerHost } = await import("./src/runner/worker_host.ts");
  process.exit(await runWorkerHost(words[1]));
} else if (words[0] === "__module") {
  const { runIsolatedModule } = await import("./src/runner/isolated_module.ts");
  process.exit(await runIsolatedModule(words[1], Number(words[2])));
} else {
  const { main } = await import("./src/cli/main.ts");
  process.exit(await main(words));
}
export {};
