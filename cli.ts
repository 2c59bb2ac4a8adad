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
// Words the runtime could not decode as UTF-8 (U+FFFD) are read again with their bytes kept.
const words = process.argv.some((word) => word.includes("\uFFFD"))
  ? (await import("./src/runtime/raw_process.ts")).rawArgv(process.argv.slice(2))
  : process.argv.slice(2);
const SHELL_ENTRY = "src/runner/shell_line.ts";

if (words[0] === "__shell") {
  // A separate entrypoint (dax is over half of the code): a computed specifier keeps the bundler
  // from pulling it into the start-up of every other command.
  const { embeddedUrl } = await import("./src/runtime/embedded_url.ts");
  const url = embeddedUrl(new URL("./src/runner/shell_line.ts", import.meta.url), SHELL_ENTRY);
  const { runShellLine } = await import(url) as typeof import("./src/runner/shell_line.ts");
  await exitAfterStreams(await runShellLine(words.slice(1).join(" ")));
} else if (words[0] === "__host") {
  const { runWorkerHost } = await import("./src/runner/worker_host.ts");
  await exitAfterStreams(await runWorkerHost(words[1]));
} else if (words[0] === "__module") {
  const { runIsolatedModule } = await import("./src/runner/isolated_module.ts");
  await exitAfterStreams(await runIsolatedModule(words[1], Number(words[2])));
} else {
  const { main } = await import("./src/cli/main.ts");
  await exitAfterOutput(await main(words));
}

/**
 * Exits with `code` once bgt's stdout and stderr have handed everything written to them to the
 * kernel (see `src/runtime/std_output.ts`): on a pipe, `process.exit` alone would drop all but
 * the first 64 KiB when the reader is slower than bgt.
 */
async function exitAfterOutput(code: number): Promise<never> {
  const { endStdOutput } = await import("./src/runtime/std_output.ts");
  await endStdOutput();
  process.exit(code);
}
/**
 * {@linkcode exitAfterOutput} for the modes that run task code (shell lines, worker hosts,
 * isolated modules): the task writes through `process.stdout`/`process.stderr`, so those are
 * ended and waited for too.
 */
async function exitAfterStreams(code: number): Promise<never> {
  const { endedStream } = await import("./src/runtime/std_output.ts");
  await Promise.all([process.stdout, process.stderr].map(endedStream));
  return await exitAfterOutput(code);
}
export {};
