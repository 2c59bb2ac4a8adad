/**
 * `bgt supervise [home]`: runs the supervisor of a home (default: BGT_HOME, else the XDG state
 * folder) in the foreground (for systemd or a container); SIGTERM or SIGINT drains it gracefully.
 *
 * @example
 * ```sh
 * BGT_HOME=/var/lib/bgt bgt supervise --parallel 4
 * bgt supervise /var/lib/bgt   # the same home, named in `ps`
 * ```
 */
import { Command } from "@commander-js/extra-typings";
import { resolve } from "node:path";
import { loadConfig } from "../../config/config_file.ts";
import { bgtHome } from "../../store/home.ts";
import { parseInteger } from "../parse_options.ts";
import { parseDurationOption } from "../time_options.ts";

/** The `supervise` command. */
export function superviseCommand() {
  return new Command("supervise")
    .description("run the supervisor in the foreground (SIGTERM drains it)")
    .argument("[home]", "the home to supervise (default: BGT_HOME, else ~/.local/state/bgt)")
    .option(
      "--parallel <n>",
      "most tasks at once (default: 'bgt parallel N', BGT_PARALLEL, the config file, the cores)",
    )
    .option(
      "--kill-grace <duration>",
      "time between SIGTERM and SIGKILL on kill or timeout (default: BGT_KILL_GRACE, the config file's kill_grace, 5s)",
    )
    .action(async (homeDir, options) => {
      // What the supervisor starts (worker hosts, shell lines) finds the same home.
      if (homeDir !== undefined) process.env.BGT_HOME = resolve(homeDir);
      const parallel = (option: string, text: string | undefined) =>
        text === undefined || text === "" ? undefined : parseInteger(option, text, { min: 1 });
      const grace = (option: string, text: string | undefined) =>
        text === undefined || text === "" ? undefined : parseDurationOption(option, text);
      const config = loadConfig(process.env); // a broken file: one line, exit 2
      const { startSupervisor } = await import("../../supervisor/supervisor.ts");
      const supervisor = await startSupervisor({
        home: bgtHome(process.env),
        parallel: parallel("--parallel", options.parallel),
        killGraceMs: grace("--kill-grace", options.killGrace),
        env: {
          parallel: parallel("BGT_PARALLEL", process.env.BGT_PARALLEL),
          killGraceMs: grace("BGT_KILL_GRACE", process.env.BGT_KILL_GRACE),
        },
        config,
      });
      for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
        process.on(signal, () => supervisor.stop());
      }
      await supervisor.stopped;
      process.exit(0);
    });
}
