/**
 * `bgt wait`: blocks until the tasks end; the exit code mirrors them (the task's own code, 1 for
 * a module error, 124 timed out, 128+n killed by signal n; the first failing task's code).
 *
 * @example
 * ```sh
 * bgt wait 41 42 && echo both succeeded
 * ```
 */
import { Command } from "@commander-js/extra-typings";
import { connect } from "../../client/client.ts";
import { exitCodeOf } from "../../task/exit_code.ts";
import { describeTask } from "../../task/types.ts";
import { colorStatus, printable, taskJson, toJson, useColor } from "../format.ts";
import { showLiveProgress } from "../live_progress.ts";
import {
  checkSelection,
  type SelectionRule,
  selectTasks,
  UNFINISHED_STATUSES,
} from "../task_selection.ts";
import { stderr, stdout } from "../../runtime/std_output.ts";

/** Without ids: every task unfinished now (or the group's, with -g). */
const WAIT_RULE: SelectionRule = {
  verb: "wait",
  statuses: UNFINISHED_STATUSES,
  noneMeansAll: true,
  selectors: "-g GROUP",
};

/** The `wait` command. */
export function waitCommand() {
  return new Command("wait")
    .description("wait for tasks to finish; exit with the first failing task's code")
    .argument("[ids...]", "task ids ('last': the newest task); none: every unfinished task")
    .option("-g, --group <name>", "every unfinished task of this group")
    .option("--json", "print the finished tasks as JSON")
    .option("-q, --quiet", "print nothing")
    .action(async (idWords, options) => {
      checkSelection(idWords, options, WAIT_RULE);
      const client = await connect();
      try {
        const ids = await selectTasks(client, idWords, options, WAIT_RULE);
        // On a terminal, live bars (on stderr) show progress while waiting.
        const live = !options.json && !options.quiet && stderr.isTTY && process.env.TERM !== "dumb"
          ? showLiveProgress(client, ids, process.stderr)
          : undefined;
        let tasks;
        try {
          tasks = await client.wait(ids);
        } finally {
          live?.();
        }
        if (options.json) {
          stdout.write(`${toJson(tasks.map((task) => taskJson(task)), 2)}\n`);
        } else if (!options.quiet) {
          const color = useColor();
          for (const task of tasks) {
            const code = task.exitCode !== null
              ? ` (exit ${task.exitCode})`
              : task.signal
              ? ` (${task.signal})`
              : "";
            stdout.write(
              `${task.id} ${colorStatus(task.status, color)}${code} ${
                printable(describeTask(task))
              }\n`,
            );
          }
        }
        process.exitCode = tasks.map(exitCodeOf).find((code) => code !== 0) ?? 0;
      } finally {
        await client.close();
      }
    });
}
