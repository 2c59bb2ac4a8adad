/**
 * `bgt clean`: removes finished tasks and their logs — all of them, or those older than a
 * duration, in given states, or of one group.
 *
 * @example
 * ```sh
 * bgt clean --older-than 7d --status succeeded -g nightly
 * ```
 */
import { Command } from "@commander-js/extra-typings";
import { parseStatuses } from "../parse_options.ts";
import { parseDurationOption } from "../time_options.ts";
import { withClient } from "../with_client.ts";
import { stdout } from "../../runtime/std_output.ts";

/** The `clean` command. */
export function cleanCommand() {
  return new Command("clean")
    .description("remove finished tasks and their logs")
    .option("--older-than <duration>", "only tasks that finished longer ago than this ('7d')")
    .option("-s, --status <states>", "only these finished states, comma-separated")
    .option("-g, --group <name>", "only this group's tasks")
    .option("--json", 'print {"removed": [ids]}')
    .action(async (options) => {
      const before = options.olderThan === undefined
        ? undefined
        : Date.now() - parseDurationOption("--older-than", options.olderThan);
      const status = options.status === undefined ? undefined : parseStatuses(options.status, {
        finishedOnly: true,
      });
      await withClient(async (client) => {
        const removed = await client.clean({ before, status, group: options.group });
        stdout.write(
          options.json
            ? `${JSON.stringify({ removed })}\n`
            : `removed ${removed.length} task${removed.length === 1 ? "" : "s"}\n`,
        );
      });
    });
}
