/**
 * `bgt pause` and `bgt resume`: stop a running command task's whole process group (SIGSTOP) and
 * continue it (SIGCONT). A paused task's timeout stops counting. A module task in a worker cannot
 * be stopped (run it with `--isolate`).
 *
 * @example
 * ```sh
 * bgt pause 42 && bgt meta 42 note="paused by $USER"
 * bgt resume 42
 * ```
 */
import { Command } from "@commander-js/extra-typings";
import { parseIds } from "../parse_options.ts";
import { withClient } from "../with_client.ts";

/** The `pause` command. */
export function pauseCommand() {
  return _controlCommand("pause", "stop running tasks until resumed (SIGSTOP to the group)");
}

/** The `resume` command. */
export function resumeCommand() {
  return _controlCommand("resume", "continue paused tasks (SIGCONT)");
}

function _controlCommand(verb: "pause" | "resume", description: string) {
  return new Command(verb)
    .description(description)
    .argument("<ids...>", "task ids")
    .action(async (idWords) => {
      const ids = parseIds(idWords);
      await withClient(async (client) => {
        for (const id of ids) await (verb === "pause" ? client.pause(id) : client.resume(id));
      });
    });
}
