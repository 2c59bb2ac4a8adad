/**
 * `bgt schedules`: the recurring schedules with their next run and last outcome; `pause`,
 * `resume` and `rm` one.
 *
 * @example
 * ```sh
 * bgt schedules
 * bgt schedules pause 3
 * ```
 */
import { Command } from "@commander-js/extra-typings";
import type { ScheduleRemoval } from "../../store/task_store.ts";
import type { Schedule } from "../../task/schedule.ts";
import { describeTask } from "../../task/types.ts";
import {
  colorStatus,
  localTime,
  scheduleJson,
  table,
  toJson,
  truncate,
  useColor,
} from "../format.ts";
import { parseIds } from "../parse_options.ts";
import { withClient } from "../with_client.ts";
import { stdout } from "../../runtime/std_output.ts";

/** The `schedules` command and its subcommands. */
export function schedulesCommand() {
  const command = new Command("schedules")
    .alias("schedule")
    .description("list recurring schedules (see 'bgt every'); pause, resume or remove one");
  command
    .command("ls", { isDefault: true })
    .description("list the schedules with their next run and last outcome")
    .option("--json", "print a JSON array")
    .action(async (options) => {
      await withClient(async (client) => {
        const schedules = await client.schedules();
        if (options.json) {
          stdout.write(`${toJson(schedules.map(scheduleJson), 2)}\n`);
        } else if (!schedules.length) {
          stdout.write("no schedules (create one with 'bgt every')\n");
        } else {
          stdout.write(`${renderSchedules(schedules, useColor())}\n`);
        }
      });
    });
  for (
    const [verb, description] of [
      ["pause", "stop a schedule from firing"],
      ["resume", "resume a paused schedule from now (missed firings are skipped)"],
      [
        "rm",
        "remove a schedule and cancel its runs that have not started (finished and running ones stay)",
      ],
    ] as const
  ) {
    command
      .command(verb)
      .description(description)
      .argument("<ids...>", "schedule ids")
      .action(async (words) => {
        const ids = parseIds(words, "schedule id");
        await withClient(async (client) => {
          for (const id of ids) await client.getSchedule(id);
          for (const id of ids) {
            if (verb === "pause") await client.pauseSchedule(id);
            else if (verb === "resume") await client.resumeSchedule(id);
            else stdout.write(`${describeRemoval(id, await client.removeSchedule(id))}\n`);
          }
        });
      });
  }
  return command;
}

/**
 * What `schedules rm` did, in one line: "removed schedule 3; canceled its waiting run #12; #11
 * still runs (bgt kill 11 stops it)".
 */
export function describeRemoval(id: number, removal: ScheduleRemoval): string {
  const ids = (list: readonly number[]) => list.map((taskId) => `#${taskId}`).join(", ");
  const parts = [`removed schedule ${id}`];
  if (removal.canceled.length === 1) {
    parts.push(`canceled its waiting run ${ids(removal.canceled)}`);
  } else if (removal.canceled.length) {
    parts.push(`canceled its ${removal.canceled.length} waiting runs ${ids(removal.canceled)}`);
  }
  if (removal.running.length) {
    const [verb, them] = removal.running.length === 1 ? ["runs", "it"] : ["run", "them"];
    const kill = `bgt kill ${removal.running.join(" ")}`;
    parts.push(`${ids(removal.running)} still ${verb} (${kill} stops ${them})`);
  }
  return parts.join("; ");
}

/** The schedules table: id, spec, state, next run, runs, last task, what it runs. */
export function renderSchedules(
  schedules: readonly Schedule[],
  color: boolean,
  now = Date.now(),
): string {
  const rows = schedules.map((schedule) => [
    String(schedule.id),
    schedule.every + (schedule.timeZone ? ` (${schedule.timeZone})` : ""),
    schedule.paused ? "paused" : schedule.nextAt === null ? "ended" : "active",
    schedule.nextAt === null || schedule.paused ? "-" : localTime(schedule.nextAt, { now }),
    `${schedule.runs}${schedule.maxRuns === null ? "" : `/${schedule.maxRuns}`}`,
    schedule.lastTaskId === null
      ? "-"
      : `#${schedule.lastTaskId} ${
        schedule.lastStatus ? colorStatus(schedule.lastStatus, color) : "(removed)"
      }`,
    truncate(
      describeTask({ name: schedule.template.name ?? null, spec: schedule.template.spec }),
      40,
    ),
  ]);
  return table([["ID", "EVERY", "STATE", "NEXT RUN", "RUNS", "LAST", "TASK"], ...rows]);
}
