/**
 * `bgt restart`: runs finished tasks again, each as a new attempt of the same task (same id,
 * same logs, appended); `bgt show --attempts` keeps every earlier attempt.
 *
 * @example
 * ```sh
 * bgt restart 42 && bgt wait 42
 * ```
 */
import { Command } from "@commander-js/extra-typings";
import { parseIds } from "../parse_options.ts";
import { withClient } from "../with_client.ts";

/** The `restart` command. */
export function restartCommand() {
  return new Command("restart")
    .description("run finished tasks again as a new attempt (their history is kept)")
    .argument("<ids...>", "task ids")
    .action(async (idWords) => {
      const ids = parseIds(idWords);
      await withClient(async (client) => {
        for (const id of ids) client.get(id);
        for (const id of ids) {
          const task = await client.restart(id);
          process.stdout.write(`${id} attempt ${task.attempt + 1}\n`);
        }
      });
    });
}
