/**
 * `bgt logs`: a task's output as the task wrote it — its stdout on stdout and its stderr on
 * stderr (marked on a terminal: red, or `[err] ` without colour) — or one stream alone on stdout
 * (`--stdout`, `--stderr`, `--data`), or several with a prefix at each line start (`--stream`,
 * `--all`). Whole, its last lines, a byte range, one attempt, or followed until the task ends
 * (`-f`: then one status line on stderr and the task's exit code, as `bgt wait`). `-f` without an
 * id follows every running task, each line prefixed with the task's id and name. `--json` prints
 * each stream's kept window `{start, limit}`.
 *
 * @example
 * ```sh
 * bgt logs 42 --tail 20
 * bgt logs 42 --range 12:35
 * bgt logs 42 -f --all
 * bgt logs 42 --attempt 2
 * bgt logs -f
 * ```
 */
import { Command } from "@commander-js/extra-typings";
import { type LogsOptions, printLogs } from "../print_logs.ts";
import { collect } from "../parse_options.ts";

/** The `logs` command. */
export function logsCommand() {
  return new Command("logs")
    .description("print a task's output (stdout and stderr); -f follows it, or every running task")
    .argument("[id]", "task id (with -f and no id: every running task)")
    .option("--stdout", "only stdout")
    .option("--stderr", "only stderr, on stdout")
    .option("--data", "only the data records (JSON lines), on stdout")
    .option(
      "-s, --stream <names>",
      "these streams (stdout, stderr, data; repeatable or comma-separated), each line prefixed",
      collect,
      [] as string[],
    )
    .option("-a, --all", "stdout, stderr and data, each line prefixed")
    .option("--attempt <n>", "only what attempt n wrote (see show --attempts)")
    .option("-f, --follow", "keep printing as the task writes, until it ends; exit with its code")
    .option("-t, --tail <n>", "only the last n lines")
    .option("-r, --range <from:to>", "bytes [from, to) of the stream ('12:35', '12:', ':35')")
    .option("--json", "print each stream's kept bytes as {start, limit}")
    .action(async (idWord, options) => {
      await printLogs(idWord, options satisfies LogsOptions);
    });
}
