/**
 * `bgt result`: a finished module task's return value as JSON.
 *
 * @example
 * ```sh
 * bgt result 42   # 8
 * ```
 */
import { Command } from "@commander-js/extra-typings";
import { connect } from "../../client/client.ts";
import { TaskStateError } from "../../task/errors.ts";
import { isTerminal } from "../../task/types.ts";
import { toJson } from "../format.ts";
import { parseTaskId } from "../task_ids.ts";
import { superviseForRead } from "../with_client.ts";
import { stdout } from "../../runtime/std_output.ts";

/** The `result` command. */
export function resultCommand() {
  return new Command("result")
    .description("print a finished task's return value as JSON")
    .argument("<id>", "task id")
    .action(async (idWord) => {
      const id = await parseTaskId(idWord);
      const client = await connect();
      try {
        await superviseForRead(client);
        const task = await client.get(id);
        if (!isTerminal(task.status)) {
          throw new TaskStateError(
            `Cannot show the result of task ${id}: it is ${task.status}; try 'bgt wait ${id}'`,
          );
        }
        if (task.status !== "succeeded") {
          const reason = task.error?.message ??
            (task.exitCode !== null ? `exit code ${task.exitCode}` : task.signal ?? "");
          throw new TaskStateError(`Task ${id} ${task.status}${reason ? `: ${reason}` : ""}`);
        }
        stdout.write(`${toJson(task.result ?? null)}\n`);
      } finally {
        await client.close();
      }
    });
}
