/**
 * `bgt rm`: removes tasks and their logs — each id it can, saying on stderr which it cannot. A
 * running task needs --force (it is killed first). Whether a task runs is decided in the
 * transaction that deletes it: a task that starts meanwhile is refused, never silently kept.
 *
 * @example
 * ```sh
 * bgt rm 41 42
 * ```
 */
import { Command } from "@commander-js/extra-typings";
import { parseTaskIds } from "../task_ids.ts";
import { reportEach } from "../task_selection.ts";
import { withClient } from "../with_client.ts";

/** The `rm` command. */
export function rmCommand() {
  return new Command("rm")
    .alias("remove")
    .description("remove tasks and their logs")
    .argument("<ids...>", "task ids ('last': the newest task)")
    .option("-f, --force", "kill running tasks first")
    .addHelpText(
      "after",
      `
Each id is removed if it can be; each one that cannot (running without --force, unknown) is
named on stderr and the exit code is 1.`,
    )
    .action(async (idWords, options) => {
      await withClient(async (client) => {
        const ids = await parseTaskIds(idWords, { client });
        process.exitCode = reportEach(
          await client.removeEach(ids, { force: options.force }),
          () => "",
        );
      });
    });
}
