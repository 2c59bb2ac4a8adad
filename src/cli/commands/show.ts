/**
 * `bgt show`: everything about one task.
 *
 * @example
 * ```sh
 * bgt show 42 --json
 * ```
 */
import { Command } from "@commander-js/extra-typings";
import { type ShowOptions, showTask } from "../show_task.ts";

/** The `show` command. */
export function showCommand() {
  return new Command("show")
    .description("show a task's details")
    .argument("<id>", "task id")
    .option("-a, --attempts", "also list every attempt: outcome, times and log slice")
    .option("--json", "print JSON")
    .action(async (idWord, options) => {
      await showTask(idWord, options satisfies ShowOptions);
    });
}
