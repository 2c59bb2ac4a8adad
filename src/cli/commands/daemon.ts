/**
 * `bgt daemon start|stop|status|restart|install`: the background supervisor (started on demand
 * anyway, unless BGT_NO_AUTOSTART=1 or `autostart = false`; `install` writes a systemd user unit).
 * `stop` drains: running module tasks get up to 30 s (`--timeout`, or none with `--now`), then
 * their worker hosts are ended and they are recorded `lost`; command and `--isolate`d tasks keep
 * running for the next supervisor. `status` says `draining` and what for while a stop waits.
 *
 * @example
 * ```sh
 * bgt daemon status --json   # {"pid": 123, "state": "running", "parallel": 4, "sources": {…}, …}
 * bgt daemon install         # writes ~/.config/systemd/user/bgt.service
 * bgt daemon stop --timeout 2m
 * ```
 */
import { Command } from "@commander-js/extra-typings";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { selfCommand } from "../../runtime/process.ts";
import { configPath } from "../../config/config_file.ts";
import { bgtHome } from "../../store/home.ts";
import { nextParallel } from "../../supervisor/settings.ts";
import { VERSION } from "../../task/version.ts";
import { ENABLE_COMMANDS, execLine, systemdUnit } from "../systemd_unit.ts";
import type { Client } from "../../client/client.ts";
import { DEFAULT_DRAIN_MS, type DrainState } from "../../ipc/protocol.ts";
import type { Attempt } from "../../task/types.ts";
import { UsageError } from "../cli_error.ts";
import { duration, toJson } from "../format.ts";
import { parseDurationOption } from "../time_options.ts";
import { withClient } from "../with_client.ts";
import { stderr, stdout } from "../../runtime/std_output.ts";

/** How long a stop waits for running module tasks unless told (the supervisor's default). */
const DEFAULT_DRAIN = `${DEFAULT_DRAIN_MS / 1000}s`;

const STOP_HELP = `
A stop drains: no task starts any more, and running module tasks (those not --isolate'd) get up
to ${DEFAULT_DRAIN} (--timeout) to finish. A module task still running then has its worker host ended
and is recorded 'lost' (run again by the next supervisor if it has --retries left). Command,
shell and --isolate'd tasks keep running under their own waiters either way: the next
supervisor re-adopts them. While the stop waits, what it waits for is printed on stderr and
'bgt daemon status' says 'draining'. --now waits for nothing (as --timeout 0).`;

/** The `daemon` command and its subcommands. */
export function daemonCommand() {
  const daemon = new Command("daemon").description("start, stop or inspect the supervisor");
  daemon.command("start").description("start the supervisor if it is not running").action(() =>
    withClient(async (client) => {
      await client.start({ force: true });
      const status = await client.status();
      stdout.write(`supervisor running, pid ${status?.pid}\n`);
    })
  );
  daemon.command("stop")
    .description(
      `stop the supervisor: module tasks get up to ${DEFAULT_DRAIN} to finish, commands go on`,
    )
    .option("--now", "wait for no module task: end their worker hosts now (recorded lost)")
    .option("--timeout <duration>", `longest wait for running module tasks ('2m')`, DEFAULT_DRAIN)
    .addHelpText("after", STOP_HELP)
    .action((options, command) =>
      withClient(async (client) => {
        const drainMs = _drainMs(options, command.getOptionValueSource("timeout") === "cli");
        const stopped = await _stop(client, drainMs);
        stdout.write(stopped ? "supervisor stopped\n" : "supervisor was not running\n");
      })
    );
  daemon.command("restart")
    .description("stop (as 'daemon stop' does), then start the supervisor")
    .option("--now", "wait for no module task: end their worker hosts now (recorded lost)")
    .option("--timeout <duration>", `longest wait for running module tasks ('2m')`, DEFAULT_DRAIN)
    .action((options, command) =>
      withClient(async (client) => {
        await _stop(client, _drainMs(options, command.getOptionValueSource("timeout") === "cli"));
        await client.start({ force: true });
        const status = await client.status();
        stdout.write(`supervisor running, pid ${status?.pid}\n`);
      })
    );
  daemon.command("status").description("is the supervisor running or draining, and what it does")
    .option("--json", "print JSON")
    .action((options) =>
      withClient(async (client) => {
        const status = await client.status();
        const mismatch = status && status.version !== VERSION
          ? { cli: VERSION, supervisor: status.version }
          : undefined;
        if (mismatch) {
          stderr.write(
            `bgt: the supervisor runs bgt ${mismatch.supervisor}, this command is bgt ${mismatch.cli}: ` +
              `restart it ('bgt daemon restart', or 'systemctl --user restart bgt') to run the new one\n`,
          );
        }
        if (options.json) {
          const next = status
            ? undefined
            : nextParallel(process.env, await client.storedSettings());
          stdout.write(
            `${
              toJson(
                status
                  ? {
                    ...status,
                    state: status.state ?? "running",
                    startedAt: new Date(status.startedAt).toISOString(),
                    ...(status.draining
                      ? {
                        draining: {
                          ...status.draining,
                          deadline: new Date(status.draining.deadline).toISOString(),
                        },
                      }
                      : {}),
                    cliVersion: VERSION,
                    ...(mismatch ? { versionMismatch: mismatch } : {}),
                    up: true,
                  }
                  : {
                    up: false,
                    pid: null,
                    home: client.home.dir,
                    store: client.storeDescription,
                    cliVersion: VERSION,
                    // What the next supervisor starts with (as `bgt parallel` says it).
                    parallel: next!.value,
                    sources: { parallel: next!.source },
                  },
              )
            }\n`,
          );
        } else if (!status) {
          stdout.write(`supervisor not running (home ${client.home.dir})\n`);
        } else {
          stdout.write(
            `supervisor ${status.state ?? "running"}, pid ${status.pid}, up ${
              duration(Date.now() - status.startedAt)
            }, ` +
              `${status.running} running, ${status.queued} queued, parallel ${status.parallel}${
                status.sources?.parallel ? ` (from ${status.sources.parallel})` : ""
              }, version ${status.version}, home ${status.home}\n` +
              (status.draining ? `${drainingLine(status.draining)}\n` : ""),
          );
        }
        if (!status) process.exitCode = 3;
      })
    );
  daemon.command("install")
    .description("write a systemd user unit that runs the supervisor as a service")
    .option("--print", "print the unit instead of writing it")
    .option("--force", "replace a different unit file of the same name")
    .action((options) => {
      const unit = systemdUnit({
        execStart: execLine([...selfCommand(), "supervise"]),
        environment: _unitEnvironment(process.env),
      });
      if (options.print) {
        stdout.write(unit);
        return;
      }
      const path = systemdUnitPath(process.env);
      const existing = existsSync(path) ? readFileSync(path, "utf8") : undefined;
      if (existing !== undefined && existing !== unit && !options.force) {
        throw new UsageError(
          `Cannot write ${path}: it exists and differs (see it with 'bgt daemon install --print'; --force replaces it)`,
        );
      }
      mkdirSync(dirname(path), { recursive: true });
      // 0600: a BGT_STORE URL may hold a password. The mode of writeFileSync applies to a new
      // file only: one replaced with --force is made 0600 before it gets the new text.
      if (existing !== undefined) chmodSync(path, 0o600);
      writeFileSync(path, unit, { mode: 0o600 });
      stdout.write(
        `wrote ${path}\nto run the supervisor now and at every boot:\n${
          ENABLE_COMMANDS.map((command) => `  ${command}\n`).join("")
        }`,
      );
    });
  return daemon;
}

/** Where `bgt daemon install` writes the unit: the user's systemd unit folder. */
export function systemdUnitPath(env: Record<string, string | undefined>): string {
  const config = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config");
  return join(config, "systemd", "user", "bgt.service");
}

/**
 * The variables a unit must set for the supervisor to find what this command finds: the home and
 * the config file when they are not the defaults systemd's own environment gives (as set by
 * BGT_HOME / BGT_CONFIG, or XDG_STATE_HOME / XDG_CONFIG_HOME), and BGT_STORE.
 */
function _unitEnvironment(env: Record<string, string | undefined>): Record<string, string> {
  const kept: Record<string, string> = {};
  const home = bgtHome(env).dir;
  if (home !== bgtHome({}).dir) kept.BGT_HOME = home;
  const config = resolve(configPath(env));
  if (config !== configPath({ HOME: homedir() })) kept.BGT_CONFIG = config;
  if (env.BGT_STORE) kept.BGT_STORE = env.BGT_STORE;
  return kept;
}

/**
 * What a stopping supervisor waits for, in one line:
 * `draining: waiting for 2 running tasks (ids 4, 7), up to 28s more`.
 */
export function drainingLine(draining: DrainState, now = Date.now()): string {
  const ids = draining.waitingFor;
  if (!ids.length) return "draining: waiting for no task; stopping now";
  const tasks = ids.length === 1
    ? `1 running task (id ${ids[0]})`
    : `${ids.length} running tasks (ids ${ids.join(", ")})`;
  return `draining: waiting for ${tasks}, up to ${
    duration(Math.max(0, draining.deadline - now))
  } more`;
}

function _drainMs(options: { now?: boolean; timeout: string }, timeoutGiven: boolean): number {
  if (options.now && timeoutGiven) throw new UsageError("Cannot use --now with --timeout");
  return options.now ? 0 : parseDurationOption("--timeout", options.timeout);
}

/**
 * Stops the supervisor, saying on stderr what it waits for (each time that changes) and which
 * tasks it gave up on.
 */
async function _stop(client: Client, drainMs: number): Promise<boolean> {
  let waitedFor: number[] = [];
  const stopped = await client.stop({
    drainMs,
    onProgress: (draining) => {
      if (draining.waitingFor.length) stderr.write(`bgt: ${drainingLine(draining)}\n`);
      waitedFor = draining.waitingFor;
    },
  });
  for (const id of waitedFor) {
    const last = await _lastAttempt(client, id);
    if (last?.status === "lost") {
      const again = (await client.get(id)).status === "queued" ? ", to run again (--retries)" : "";
      stderr.write(
        `bgt: task ${id} was still running when the stop gave up: recorded lost${again}\n`,
      );
    }
  }
  return stopped;
}

async function _lastAttempt(client: Client, id: number): Promise<Attempt | undefined> {
  try {
    return (await client.attempts(id)).at(-1);
  } catch {
    return undefined; // removed meanwhile
  }
}
