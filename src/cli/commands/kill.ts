/**
 * `bgt kill`: signals running tasks' whole process groups (SIGKILL follows after a grace), or
 * cancels tasks that have not started — each id it can, saying on stderr which it cannot. A
 * task that has already ended gets a warning, not an error: listing and killing always race.
 *
 * @example
 * ```sh
 * bgt kill 42 --signal INT
 * bgt kill -g io      # every unfinished task of group io
 * bgt kill --all
 * ```
 */
import { RUNNING } from "../../task/statuses.ts";
import { Command } from "@commander-js/extra-typings";
import { parseSignal } from "../parse_options.ts";
import {
  checkSelection,
  describeSelector,
  reportEach,
  type SelectionRule,
  selectTasks,
  UNFINISHED_STATUSES,
} from "../task_selection.ts";
import { withClient } from "../with_client.ts";
import { stderr } from "../../runtime/std_output.ts";

const RULE: SelectionRule = { verb: "kill", statuses: UNFINISHED_STATUSES };

/** The `kill` command. */
export function killCommand() {
  return new Command("kill")
    .description("stop running tasks (or cancel waiting ones); a finished one is only a warning")
    .argument("[ids...]", "task ids ('last': the newest task)")
    .option("-s, --signal <name>", "signal to send", "TERM")
    .option("-g, --group <name>", "every unfinished task of this group")
    .option("-a, --all", "every unfinished task")
    .addHelpText(
      "after",
      `
Each id is acted on if it can be; each one that cannot is named on stderr. A task that has
already ended is a warning (exit 0); an unknown id is an error (exit 1, after the others).
With -g or --all, waiting tasks are canceled first, then running and paused ones are signalled.`,
    )
    .action(async (idWords, options) => {
      const signal = parseSignal(options.signal);
      checkSelection(idWords, options, RULE);
      await withClient(async (client) => {
        const ids = await selectTasks(client, idWords, options, RULE);
        if (!idWords.length && !ids.length) {
          stderr.write(`bgt: no unfinished tasks ${describeSelector(options)}\n`);
          return;
        }
        // Waiting tasks first: ending a running one would let a waiting one start meanwhile.
        const running = new Set(
          idWords.length ? [] : (await client.list({
            status: [...RUNNING],
            group: options.group,
            limit: Number.MAX_SAFE_INTEGER,
          })).map((task) => task.id),
        );
        const results = [
          ...await client.killEach(ids.filter((id) => !running.has(id)), { signal }),
          ...await client.killEach(ids.filter((id) => running.has(id)), { signal }),
        ];
        process.exitCode = reportEach(
          results,
          (id, status) => `Cannot kill task ${id}: it has already ended (${status})`,
        );
      });
    });
}
