/**
 * `bgt restart`: runs tasks again, each as a new attempt of the same task (same id, same logs,
 * appended); `bgt show --attempts` keeps every earlier attempt. A running task is killed first
 * (as `bgt kill`), then queued again: a `--restart` service comes back at once. Each id it can; each
 * one it cannot (not finished, unknown) is named on stderr.
 *
 * @example
 * ```sh
 * bgt restart 42 && bgt wait 42
 * bgt restart --failed -g io   # every failed, timed-out or lost task of group io
 * ```
 */
import { Command } from "@commander-js/extra-typings";
import type { Client } from "../../client/client.ts";
import { UsageError } from "../cli_error.ts";
import { reportEach, type SelectionRule, selectTasks } from "../task_selection.ts";
import { withClient } from "../with_client.ts";
import { stderr, stdout } from "../../runtime/std_output.ts";

const RULE: SelectionRule = {
  verb: "restart",
  statuses: ["failed", "timed_out", "lost"],
  selectors: "--failed [-g GROUP]",
};

/** The `restart` command. */
export function restartCommand() {
  return new Command("restart")
    .description(
      "run tasks again as a new attempt (a running one is killed first; history is kept)",
    )
    .argument("[ids...]", "task ids ('last': the newest task)")
    .option("--failed", "every task that failed, timed out or was lost (not canceled ones)")
    .option("-g, --group <name>", "with --failed: only this group's")
    .action(async (idWords, options) => {
      if (options.group !== undefined && !options.failed) {
        throw new UsageError("Cannot restart -g GROUP alone: use --failed -g GROUP");
      }
      const selector = options.failed
        ? { group: options.group, all: options.group === undefined }
        : {};
      await withClient(async (client) => {
        const ids = await selectTasks(client, idWords, selector, RULE);
        if (options.failed && !ids.length) {
          stderr.write(
            `bgt: no failed tasks${
              options.group === undefined ? "" : ` in group ${options.group}`
            }\n`,
          );
        }
        // Read before: once restarted, the supervisor may claim it (and count the attempt).
        const attempts = new Map<number, number>();
        for (const id of ids) attempts.set(id, await _attemptsSoFar(client, id));
        const results = await client.restartEach(ids);
        for (const result of results) {
          if (result.ok) {
            stdout.write(`${result.id} attempt ${attempts.get(result.id)! + 1}\n`);
          }
        }
        process.exitCode = reportEach(results, () => "");
      });
    });
}

async function _attemptsSoFar(client: Client, id: number): Promise<number> {
  try {
    return (await client.get(id)).attempt;
  } catch {
    return 0; // unknown: restartEach says so
  }
}
