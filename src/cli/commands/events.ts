/**
 * `bgt events`: the outbox, one line per event (ids increasing); `--follow` streams new ones,
 * `--since ID` resumes after an id, `--task ID` keeps one task's.
 *
 * @example
 * ```sh
 * bgt events --since 0 --json
 * bgt events --follow --task 42
 * ```
 */
import { Command } from "@commander-js/extra-typings";
import { connect } from "../../client/client.ts";
import type { TaskEvent } from "../../task/events.ts";
import { eventJson } from "../../task/event_json.ts";
import { localTime, printable, toJson } from "../format.ts";
import { parseInteger } from "../parse_options.ts";
import { parseTaskId } from "../task_ids.ts";
import { stdout } from "../../runtime/std_output.ts";

/** The `events` command. */
export function eventsCommand() {
  return new Command("events")
    .description("print the events of tasks (submitted, started, failed, …); -f follows new ones")
    .option(
      "--since <id>",
      "only events after this id (0: all kept); default: all, or none with -f",
    )
    .option("-f, --follow", "wait for new events until interrupted")
    .option("--task <id>", "only this task's events")
    .option("--json", "one JSON object per line")
    .action(async (options) => {
      const since = options.since === undefined
        ? (options.follow ? undefined : 0)
        : parseInteger("--since", options.since, { min: 0 });
      const taskId = options.task === undefined ? undefined : await parseTaskId(options.task);
      const client = await connect();
      const stop = new AbortController();
      const interrupt = () => stop.abort();
      process.once("SIGINT", interrupt);
      process.once("SIGTERM", interrupt);
      try {
        const events = client.events({
          since,
          taskId,
          follow: Boolean(options.follow),
          signal: stop.signal,
        });
        for await (const event of events) {
          const line = options.json ? toJson(eventJson(event)) : describeEvent(event);
          stdout.write(`${line}\n`);
          await stdout.flushed(); // a slow reader slows the loop down, as a full pipe should
        }
      } finally {
        process.off("SIGINT", interrupt);
        process.off("SIGTERM", interrupt);
        await client.close();
      }
    });
}

/** One event in words: `12  23:10:02  #4  failed  exit 4`. */
export function describeEvent(event: TaskEvent): string {
  const data = event.data as Record<string, unknown>;
  const details: string[] = [];
  if (typeof data.attempt === "number" && event.kind !== "submitted") {
    details.push(`attempt ${data.attempt}`);
  }
  if (data.signal) details.push(`signal ${data.signal}`);
  else if (data.exitCode !== null && data.exitCode !== undefined) {
    details.push(`exit ${data.exitCode}`);
  }
  if (data.name) details.push(String(data.name));
  if (data.scheduleId !== undefined) details.push(`schedule #${data.scheduleId}`);
  const error = data.error as { message?: string } | null | undefined;
  if (error?.message) details.push(error.message);
  return printable(
    [
      String(event.id),
      localTime(event.at, { now: Date.now() }),
      event.taskId === null ? "-" : `#${event.taskId}`,
      event.kind,
      details.join(", "),
    ].join("  ").trimEnd(),
  );
}
