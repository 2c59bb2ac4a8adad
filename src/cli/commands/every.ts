/**
 * `bgt every`: a recurring task. The spec is a nickname (minute, hour, day, week, month,
 * @daily…), a duration ('30s', '4 hours') or a cron pattern of 5 or 6 fields; each firing
 * creates an ordinary task linked to the schedule.
 *
 * @example
 * ```sh
 * bgt every day backup.ts
 * bgt every '0 9 * * 1-5' --tz Europe/Berlin -- ./sync.sh
 * ```
 */
import { Command } from "@commander-js/extra-typings";
import { connect } from "../../client/client.ts";
import type { CatchUpPolicy, OverlapPolicy } from "../../task/schedule.ts";
import { UsageError } from "../cli_error.ts";
import { localTime, scheduleJson, toJson } from "../format.ts";
import { parseChoice, parseInteger } from "../parse_options.ts";
import { parseTimeOption } from "../time_options.ts";
import {
  addTaskOptions,
  buildTask,
  followsDoubleDash,
  type TaskOptionValues,
} from "../task_options.ts";
import { stderr, stdout } from "../../runtime/std_output.ts";

const OVERLAP: readonly OverlapPolicy[] = ["skip", "queue", "allow"];
const CATCH_UP: readonly CatchUpPolicy[] = ["once", "all", "none"];

/** The `every` command. */
export function everyCommand() {
  const command = new Command("every")
    .description("run a task on a schedule: a nickname, a duration or a cron pattern")
    .usage("<spec> [options] <file[#export]> [args...] | <spec> [options] -- <command> [args...]")
    .argument("<spec>", "minute, hour, day, week, month, @daily…, '30s', '4 hours', or cron")
    .argument("[target]", "a .ts/.js module (optionally #export), or a command after --")
    .argument("[args...]", "the task's arguments");
  return (addTaskOptions(command as never, { dependencies: false }) as typeof command)
    .option("--tz <zone>", "the time zone a cron pattern is read in (default: the system's)")
    .option("--overlap <policy>", "while the last run is unfinished: skip, queue or allow", "skip")
    .option("--catch-up <policy>", "runs missed while no supervisor ran: once, all or none", "once")
    .option("--max-runs <n>", "stop after n runs")
    .option("--keep <n>", "keep only the last n finished runs (older ones and their logs go)")
    .option("--start-at <time>", "first firing at or after this time")
    .option("--stop-at <time>", "no firing after this time")
    .option("--json", "print the schedule as JSON")
    .passThroughOptions()
    .action(async (spec, firstWord, rest, _options, command) => {
      // Commander stops reading options at the first operand (the spec); read the options
      // between the spec and the target here, as `bgt run` reads those before its target.
      const words = firstWord === undefined ? [] : [firstWord, ...rest];
      const { operands, unknown } = command.parseOptions(words);
      if (unknown.length) {
        throw new UsageError(`Cannot use option '${unknown[0]}': unknown (see 'bgt every --help')`);
      }
      const options = command.opts() as ReturnType<typeof command.opts> & TaskOptionValues;
      const [target, ...args] = operands;
      const afterDashDash = followsDoubleDash(words, target, args);
      const template = await buildTask(target, args, options, {
        afterDashDash,
        verb: "every",
        rawArgs: words,
      });
      const now = Date.now();
      const client = await connect();
      try {
        const schedule = await client.schedule({
          every: spec,
          template,
          timeZone: options.tz,
          overlap: parseChoice("--overlap", options.overlap, OVERLAP),
          catchUp: parseChoice("--catch-up", options.catchUp, CATCH_UP),
          maxRuns: options.maxRuns === undefined
            ? undefined
            : parseInteger("--max-runs", options.maxRuns, { min: 1 }),
          keep: options.keep === undefined
            ? undefined
            : parseInteger("--keep", options.keep, { min: 1 }),
          startAt: options.startAt === undefined
            ? undefined
            : await parseTimeOption("--start-at", options.startAt, { now, timeZone: options.tz }),
          stopAt: options.stopAt === undefined
            ? undefined
            : await parseTimeOption("--stop-at", options.stopAt, { now, timeZone: options.tz }),
        });
        if (options.json) {
          stdout.write(`${toJson(scheduleJson(schedule), 2)}\n`);
        } else {
          const next = schedule.nextAt === null ? "never" : localTime(schedule.nextAt);
          stdout.write(`${schedule.id}\n`);
          stderr.write(`bgt: schedule ${schedule.id}, next run ${next}\n`);
        }
      } finally {
        await client.close();
      }
    });
}
