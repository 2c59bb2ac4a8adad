/**
 * `bgt supervise [home]`: runs the supervisor of a home (default: BGT_HOME, else the XDG state
 * folder) in the foreground (for systemd or a container); SIGTERM or SIGINT drains it gracefully.
 *
 * @example
 * ```sh
 * BGT_HOME=/var/lib/bgt bgt supervise --parallel 4
 * bgt supervise /var/lib/bgt   # the same home, named in `ps`
 * BGT_STORE=postgres://db/jobs bgt supervise --host a --labels gpu,big   # one of many hosts
 * ```
 */
import { Command } from "@commander-js/extra-typings";
import { resolve } from "node:path";
import { loadConfig } from "../../config/config_file.ts";
import { bgtHome } from "../../store/home.ts";
import { UsageError } from "../cli_error.ts";
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
    .option(
      "--host <name>",
      "this host's name on a shared store (default: BGT_HOST, else the hostname)",
    )
    .option("--labels <a,b>", "labels that '--need LABEL' tasks ask for (default: BGT_LABELS)")
    .option(
      "--dead-after <duration>",
      "on a shared store: declared dead after this long without a heartbeat (default: BGT_DEAD_AFTER, else 10s)",
    )
    .action(async (homeDir, options) => {
      // What the supervisor starts (worker hosts, shell lines) finds the same home.
      if (homeDir !== undefined) process.env.BGT_HOME = resolve(homeDir);
      const parallel = (option: string, text: string | undefined) =>
        text === undefined || text === "" ? undefined : parseInteger(option, text, { min: 1 });
      const grace = (option: string, text: string | undefined) =>
        text === undefined || text === "" ? undefined : parseDurationOption(option, text);
      const config = loadConfig(process.env); // a broken file: one line, exit 2
      const hostText = options.host ?? process.env.BGT_HOST;
      const labelsText = options.labels ?? process.env.BGT_LABELS;
      const deadText = options.deadAfter ?? process.env.BGT_DEAD_AFTER;
      const { startSupervisor, parseLabels } = await import("../../supervisor/supervisor.ts");
      const host = hostText === undefined || hostText === "" ? undefined : parseHostName(hostText);
      const leaseMs = deadText === undefined || deadText === ""
        ? undefined
        : parseDurationOption("--dead-after", deadText);
      if (leaseMs !== undefined && leaseMs < 1000) {
        throw new UsageError(`Cannot use --dead-after ${deadText}: it must be at least 1s`);
      }
      const supervisor = await startSupervisor({
        home: bgtHome(process.env),
        parallel: parallel("--parallel", options.parallel),
        killGraceMs: grace("--kill-grace", options.killGrace),
        env: {
          parallel: parallel("BGT_PARALLEL", process.env.BGT_PARALLEL),
          killGraceMs: grace("BGT_KILL_GRACE", process.env.BGT_KILL_GRACE),
        },
        config,
        host,
        labels: labelsText === undefined ? undefined : parseLabels(labelsText),
        leaseMs,
      });
      for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
        process.on(signal, () => supervisor.stop());
      }
      await supervisor.stopped;
      // Declared dead by the other hosts: a service manager starts a new one (a new lease).
      process.exit(supervisor.declaredDead ? 1 : 0);
    });
}

/**
 * A host name as `--host` or BGT_HOST gives it: letters, digits, `.`, `_`, `-` (at most 253).
 *
 * @example
 * ```ts
 * parseHostName("worker-1"); // "worker-1"
 * ```
 */
export function parseHostName(text: string): string {
  const name = text.trim();
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/.test(name)) {
    throw new UsageError(
      `Cannot use the host name '${text}': use letters, digits, '.', '_' and '-'`,
    );
  }
  return name;
}
