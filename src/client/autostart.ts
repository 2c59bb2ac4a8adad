/**
 * Whether commands may start a supervisor when none runs: not with `BGT_NO_AUTOSTART=1` or
 * `autostart = false` in the config file (a supervisor run by systemd serves the home instead,
 * and a command must not race it with one of its own). Then a command that finds none says so,
 * once, and leaves the tasks queued for the supervisor to come.
 *
 * @example
 * ```ts
 * autostartOff({ BGT_NO_AUTOSTART: "1" }); // "BGT_NO_AUTOSTART=1"
 * autostartOff({}); // undefined (allowed), unless the config file says autostart = false
 * ```
 */
import { configPath, loadConfig } from "../config/config_file.ts";
import type { BgtHome } from "../store/home.ts";
import { SupervisorUnavailableError } from "../task/errors.ts";
import { stderr } from "../runtime/std_output.ts";

/** Why commands may not start a supervisor (`BGT_NO_AUTOSTART=1`, the config's `autostart`), or undefined. */
export function autostartOff(
  env: Record<string, string | undefined> = process.env,
): string | undefined {
  const flag = env.BGT_NO_AUTOSTART;
  if (flag !== undefined && flag !== "" && flag !== "0" && flag.toLowerCase() !== "false") {
    return `BGT_NO_AUTOSTART=${flag}`;
  }
  if (loadConfig(env).autostart === false) return `autostart = false in ${configPath(env)}`;
  return undefined;
}

let told = false;

/** Says on stderr, once per process, that no supervisor runs and none is started. */
export function tellNoSupervisor(home: BgtHome, reason: string): void {
  if (told) return;
  told = true;
  stderr.write(`bgt: ${noSupervisorMessage(home, reason)}\n`);
}

/** The line that says no supervisor runs, why none is started, and how to start one. */
export function noSupervisorMessage(home: BgtHome, reason: string): string {
  return `no supervisor runs for ${home.dir} and none is started (${reason}): tasks wait ` +
    `until one runs; start it with 'systemctl --user start bgt' or 'bgt daemon start'`;
}

/** The error of a command that needs a running supervisor when none runs and none may start. */
export function noSupervisorError(home: BgtHome, reason: string): SupervisorUnavailableError {
  const error = new SupervisorUnavailableError(
    `Cannot reach the supervisor: ${noSupervisorMessage(home, reason)}`,
  );
  told = true; // the error says it: not once more
  return error;
}
