/**
 * `bgt ls`: the tasks, newest first, as a table (or `--json`), filtered by state, group, host,
 * name, metadata, time or schedule, sorted and paged.
 *
 * @example
 * ```sh
 * bgt ls --status running,queued --meta team=data --name 'nightly-*' --limit 20
 * ```
 */
import { Command } from "@commander-js/extra-typings";
import { listTasks, type LsOptions, SORTS } from "../list_tasks.ts";
import { collect } from "../parse_options.ts";

/** The `ls` command. */
export function lsCommand() {
  return new Command("ls")
    .alias("list")
    .description("list tasks, newest first")
    .option("-s, --status <states>", "only these states, comma-separated")
    .option("-g, --group <group>", "only this group")
    .option("--host <name>", "only tasks that run or ran on this host (see 'bgt hosts')")
    .option("-n, --name <glob>", "only names matching this glob ('nightly-*')")
    .option(
      "-m, --meta <k=v>",
      "only tasks whose meta has k = v (repeatable)",
      collect,
      [] as string[],
    )
    .option("--since <time>", "only tasks created since (a time, or a duration ago: '2h')")
    .option("--until <time>", "only tasks created before (a time, or a duration ago)")
    .option("--schedule <id>", "only tasks fired by this schedule")
    .option("--sort <field>", `order by ${SORTS.join(", ")}`, "id")
    .option("--asc", "ascending (oldest, lowest first)")
    .option("-l, --limit <n>", "at most n tasks", "50")
    .option("--offset <n>", "skip the first n tasks", "0")
    .option("-q, --quiet", "print only the ids, one per line")
    .option("--json", "print a JSON array")
    .action(async (options) => {
      await listTasks(options satisfies LsOptions);
    });
}
