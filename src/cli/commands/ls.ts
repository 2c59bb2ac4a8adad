/**
 * `bgt ls`: the tasks, newest first, as a table (or `--json`).
 *
 * @example
 * ```sh
 * bgt ls --status running,queued --limit 20
 * ```
 */
import { Command } from "@commander-js/extra-typings";
import { connect } from "../../client/client.ts";
import { ALL_STATUSES, describeTask, type Task, type TaskStatus } from "../../task/types.ts";
import { UsageError } from "../cli_error.ts";
import {
  colorStatus,
  duration,
  relativeTime,
  table,
  taskJson,
  toJson,
  truncate,
  useColor,
} from "../format.ts";
import { parseIds, parseInteger } from "../parse_options.ts";

/** The `ls` command. */
export function lsCommand() {
  return new Command("ls")
    .alias("list")
    .description("list tasks, newest first")
    .option(
      "-s, --status <states>",
      `only these states, comma-separated (${ALL_STATUSES.join(", ")})`,
    )
    .option("-g, --group <group>", "only this group")
    .option("--schedule <id>", "only tasks fired by this schedule")
    .option("-l, --limit <n>", "at most n tasks", "50")
    .option("--offset <n>", "skip the first n tasks", "0")
    .option("--json", "print a JSON array")
    .action(async (options) => {
      const status = options.status?.split(",").map((word) => word.trim()) as
        | TaskStatus[]
        | undefined;
      for (const word of status ?? []) {
        if (!ALL_STATUSES.includes(word)) {
          throw new UsageError(
            `Cannot parse --status '${word}': expected one of ${ALL_STATUSES.join(", ")}`,
          );
        }
      }
      const client = await connect();
      try {
        const tasks = client.list({
          status,
          group: options.group,
          scheduleId: options.schedule === undefined
            ? undefined
            : parseIds([options.schedule], "schedule id")[0],
          limit: parseInteger("--limit", options.limit, { min: 1 }),
          offset: parseInteger("--offset", options.offset, { min: 0 }),
        });
        if (options.json) {
          process.stdout.write(`${toJson(tasks.map(taskJson), 2)}\n`);
        } else if (tasks.length === 0) {
          process.stdout.write("no tasks\n");
        } else {
          process.stdout.write(`${renderTable(tasks, useColor())}\n`);
        }
      } finally {
        client.close();
      }
    });
}

/** The ls table: id, status, name or command, age, duration. */
export function renderTable(tasks: readonly Task[], color: boolean, now = Date.now()): string {
  const width = Math.max(20, (process.stdout.columns ?? 100) - 45);
  const rows = tasks.map((task) => [
    String(task.id),
    colorStatus(task.status, color) + _progress(task),
    truncate(describeTask(task), width),
    task.runAt > now && (task.status === "scheduled" || task.status === "queued")
      ? `runs ${relativeTime(task.runAt, now)}`
      : relativeTime(task.createdAt, now),
    task.startedAt ? duration((task.finishedAt ?? now) - task.startedAt) : "-",
  ]);
  return table([["ID", "STATUS", "NAME/COMMAND", "AGE", "DURATION"], ...rows]);
}

function _progress(task: Task): string {
  return task.status === "running" && task.progress !== null
    ? ` ${Math.round(task.progress * 100)}%`
    : "";
}
