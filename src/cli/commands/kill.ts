/**
 * `bgt kill`: signals a running task's whole process group (SIGKILL follows after a grace), or
 * cancels a task that has not started.
 *
 * @example
 * ```sh
 * bgt kill 42 --signal INT
 * ```
 */
import { Command } from "@commander-js/extra-typings";
import { connect } from "../../client/client.ts";
import { parseIds, parseSignal } from "../parse_options.ts";

/** The `kill` command. */
export function killCommand() {
  return new Command("kill")
    .description("stop running tasks (or cancel waiting ones)")
    .argument("<ids...>", "task ids")
    .option("-s, --signal <name>", "signal to send", "TERM")
    .action(async (idWords, options) => {
      const ids = parseIds(idWords);
      const signal = parseSignal(options.signal);
      const client = await connect();
      try {
        for (const id of ids) await client.kill(id, signal);
      } finally {
        client.close();
      }
    });
}
