/**
 * `bgt group`: per-group parallelism and pausing. A group without settings runs under the
 * global limit only (the supervisor's parallelism, by default the cores).
 *
 * @example
 * ```sh
 * bgt group set io --parallel 2
 * bgt group pause io
 * bgt group ls
 * ```
 */
import { Command } from "@commander-js/extra-typings";
import type { GroupSetting } from "../../store/task_store.ts";
import { UsageError } from "../cli_error.ts";
import { table, toJson } from "../format.ts";
import { parseInteger } from "../parse_options.ts";
import { withClient } from "../with_client.ts";
import { stdout } from "../../runtime/std_output.ts";

/** The `group` command and its subcommands. */
export function groupCommand() {
  const command = new Command("group")
    .alias("groups")
    .description("set a group's parallelism, pause or resume it, list groups");
  command
    .command("ls", { isDefault: true })
    .description("list groups with settings or running tasks")
    .option("--json", "print a JSON array")
    .action(async (options) => {
      await withClient(async (client) => {
        const running = await client.runningByGroup();
        const settings = new Map((await client.groups()).map((group) => [group.name, group]));
        const names = new Set([...settings.keys(), ...Object.keys(running)]);
        const rows = [...names].sort().map((name) => ({
          name,
          parallel: settings.get(name)?.parallel ?? null,
          paused: settings.get(name)?.paused ?? false,
          running: running[name] ?? 0,
        }));
        if (options.json) {
          stdout.write(`${toJson(rows, 2)}\n`);
        } else if (!rows.length) {
          stdout.write("no groups with settings or running tasks\n");
        } else {
          stdout.write(
            `${
              table([
                ["GROUP", "PARALLEL", "RUNNING", "STATE"],
                ...rows.map((row) => [
                  row.name,
                  row.parallel === null ? "global" : String(row.parallel),
                  String(row.running),
                  row.paused ? "paused" : "active",
                ]),
              ])
            }\n`,
          );
        }
      });
    });
  command
    .command("set")
    .description("set a group's parallelism ('none' for the global limit only)")
    .argument("<group>", "group name")
    .requiredOption("--parallel <n>", "most of its tasks running at once, or none")
    .action(async (name, options) => {
      const parallel = options.parallel === "none"
        ? null
        : parseInteger("--parallel", options.parallel, { min: 1 });
      await withClient(async (client) => _print(await client.setGroup(name, { parallel })));
    });
  for (const [verb, paused] of [["pause", true], ["resume", false]] as const) {
    command
      .command(verb)
      .description(paused ? "start none of the group's tasks" : "start the group's tasks again")
      .argument("<group>", "group name")
      .action(async (name) => {
        if (!name.trim()) throw new UsageError("Cannot use an empty group name");
        await withClient(async (client) => _print(await client.setGroup(name, { paused })));
      });
  }
  return command;
}

function _print(group: GroupSetting): void {
  stdout.write(
    `group ${group.name}: parallel ${group.parallel ?? "global"}, ${
      group.paused ? "paused" : "active"
    }\n`,
  );
}
