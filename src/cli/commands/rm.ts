/**
 * `bgt rm`: removes tasks and their logs. A running task needs --force (it is killed first).
 *
 * @example
 * ```sh
 * bgt rm 41 42
 * ```
 */
import { Command } from "@commander-js/extra-typings";
import { connect } from "../../client/client.ts";
import { parseIds } from "../parse_options.ts";

/** The `rm` command. */
export function rmCommand() {
  return new Command("rm")
    .alias("remove")
    .description("remove tasks and their logs")
    .argument("<ids...>", "task ids")
    .option("-f, --force", "kill running tasks first")
    .action(async (idWords, options) => {
      const ids = parseIds(idWords);
      const client = await connect();
      try {
        await client.remove(ids, { force: options.force });
      } finally {
        client.close();
      }
    });
}
