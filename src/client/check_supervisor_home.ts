/**
 * Refuses a supervisor that serves another home than the client's: two homes must never share
 * one socket (a stale or planted socket, a symlink), or B's requests would stop, kill or wait on
 * A's supervisor. Both paths are compared as the directories they name (symlinks resolved).
 *
 * @example
 * ```ts
 * checkSupervisorHome(bgtHome(process.env), status.home); // throws ProtocolError if it differs
 * ```
 */
import { realpathSync } from "node:fs";
import type { BgtHome } from "../store/home.ts";
import { ProtocolError } from "../task/errors.ts";

/** Throws a ProtocolError naming both homes when `served` is not the client's home. */
export function checkSupervisorHome(home: BgtHome, served: string): void {
  if (served === home.dir || _real(served) === _real(home.dir)) return;
  throw new ProtocolError(
    `Cannot use the supervisor on ${home.socket}: it serves the home ${served}, not ${home.dir}; ` +
      `remove that socket or set BGT_HOME to ${served}`,
  );
}

/** The path with symlinks resolved, or the path itself when it cannot be resolved. */
function _real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
