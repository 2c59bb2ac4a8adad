/**
 * `bgt pause` and `bgt resume`: stop a running task's whole process group (SIGSTOP) and
 * continue it (SIGCONT) — each id it can, saying on stderr which it cannot. A module task is
 * paused by stopping its worker host. A paused task's timeout stops counting. `-g GROUP` also
 * pauses (resumes) the group itself, as pueue does: none of its waiting tasks starts meanwhile.
 *
 * @example
 * ```sh
 * bgt pause 42 && bgt meta 42 note="paused by $USER"
 * bgt resume 42
 * bgt pause -g io   # group io and its running tasks
 * ```
 */
import { Command } from "@commander-js/extra-typings";
import type { Client } from "../../client/client.ts";
import { UsageError } from "../cli_error.ts";
import {
  checkSelection,
  reportEach,
  type SelectionRule,
  type Selector,
  selectTasks,
  UNFINISHED_STATUSES,
} from "../task_selection.ts";
import { withClient } from "../with_client.ts";

/** The `pause` command. */
export function pauseCommand() {
  return _controlCommand(
    "pause",
    "stop running tasks until resumed (SIGSTOP to all their processes)",
  );
}

/** The `resume` command. */
export function resumeCommand() {
  return _controlCommand("resume", "continue paused tasks (SIGCONT)");
}

function _controlCommand(verb: "pause" | "resume", description: string) {
  const pause = verb === "pause";
  const rule: SelectionRule = { verb, statuses: [pause ? "running" : "paused"] };
  return new Command(verb)
    .description(description)
    .argument("[ids...]", "task ids ('last': the newest task)")
    .option(
      "-g, --group <name>",
      pause
        ? "pause this group (none of its tasks starts) and its running tasks"
        : "resume this group and its paused tasks",
    )
    .option(
      "-a, --all",
      pause
        ? "pause every group with tasks, and every running task"
        : "resume every paused group, and every paused task",
    )
    .addHelpText(
      "after",
      `
Each id is acted on if it can be; each one that cannot is named on stderr (exit 1). A task
already ${pause ? "paused" : "running"} is a warning (exit 0).`,
    )
    .action(async (idWords, options) => {
      if (options.group !== undefined && !options.group.trim()) {
        throw new UsageError("Cannot use an empty group name");
      }
      checkSelection(idWords, options, rule);
      await withClient(async (client) => {
        if (!idWords.length) await _setGroups(client, options, pause);
        const ids = await selectTasks(client, idWords, options, rule);
        const results = pause ? await client.pauseEach(ids) : await client.resumeEach(ids);
        process.exitCode = reportEach(
          results,
          (id, status) => `Cannot ${verb} task ${id}: it is already ${status}`,
        );
      });
    });
}

/** Pauses (resumes) the selected group, or with --all every group that has tasks or settings. */
async function _setGroups(client: Client, selector: Selector, paused: boolean): Promise<void> {
  const names = selector.group !== undefined ? [selector.group] : [
    ...new Set([
      ...(await client.groups()).filter((group) => group.paused !== paused).map((group) =>
        group.name
      ),
      ...(paused
        ? (await client.list({ status: [...UNFINISHED_STATUSES], limit: Number.MAX_SAFE_INTEGER }))
          .map((task) => task.group)
        : []),
    ]),
  ];
  for (const name of names) await client.setGroup(name, { paused });
}
