/**
 * Where bgt keeps its state (DESIGN §4): `BGT_HOME`, else `$XDG_STATE_HOME/bgt`, else
 * `~/.local/state/bgt`. Directories are 0700 and files 0600: only the owner sees or controls tasks.
 *
 * @example
 * ```ts
 * const home = bgtHome(process.env);
 * home.db; // ~/.local/state/bgt/bgt.db
 * ensureHome(home);
 * ```
 */
import { accessSync, constants, mkdirSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { sha256Hex } from "../runtime/sha256.ts";
import { checkOwnDir, checkOwnFileIfPresent, ForeignPathError } from "./own_files.ts";

/** The paths of one bgt home. */
export interface BgtHome {
  dir: string;
  db: string;
  logs: string;
  socket: string;
  supervisorLog: string;
}

/** Longest unix socket path we rely on (Linux allows 107 bytes, macOS 103). */
const MAX_SOCKET_PATH = 100;

/** Resolves the home directory and the paths inside it; touches nothing. */
export function bgtHome(env: Record<string, string | undefined>): BgtHome {
  const dir = resolve(
    env.BGT_HOME ??
      (env.XDG_STATE_HOME ? join(env.XDG_STATE_HOME, "bgt") : join(homedir(), ".local/state/bgt")),
  );
  let socket = join(dir, "bgt.sock");
  if (socket.length > MAX_SOCKET_PATH) {
    const base = env.XDG_RUNTIME_DIR
      ? join(env.XDG_RUNTIME_DIR, "bgt")
      : join(tmpdir(), `bgt-${process.getuid?.() ?? "user"}`);
    const hash = _socketName(dir);
    socket = join(base, `${hash}.sock`);
  }
  return {
    dir,
    db: join(dir, "bgt.db"),
    logs: join(dir, "logs"),
    socket,
    supervisorLog: join(dir, "supervisor.log"),
  };
}

/**
 * Creates the home (0700) and its logs directory; throws an Error whose message names the
 * directory when it cannot be created or written. The home, its `logs/` and any file bgt keeps
 * there must be ours: one that another user owns is refused (ForeignPathError, one line naming
 * the path and its owner) before anything is made in it. A socket directory outside the home
 * (under `$XDG_RUNTIME_DIR` or the temporary directory, which others can write to) must be a real
 * directory owned by this user and closed to others; one that another user made first is refused
 * rather than trusted.
 */
export function ensureHome(home: BgtHome): void {
  const hint = "set BGT_HOME to a directory of your own";
  try {
    _makeDir(home.dir, true);
    checkOwnDir(home.dir, "the bgt home", hint, { follow: true });
    _makeDir(home.logs, false);
    checkOwnDir(home.logs, "the bgt home's logs directory", hint);
    checkOwnFileIfPresent(home.db, "the bgt database");
    checkOwnFileIfPresent(home.supervisorLog, "the supervisor log");
    accessSync(home.dir, constants.W_OK);
    const socketDir = dirname(home.socket);
    if (socketDir !== home.dir) {
      _makeDir(socketDir, true);
      checkOwnDir(socketDir, "the socket directory", "remove it or set XDG_RUNTIME_DIR");
    }
  } catch (error) {
    if (error instanceof ForeignPathError) throw error;
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new Error(
      `Cannot use BGT_HOME ${home.dir}: ${reason}; set BGT_HOME to a directory you can write`,
      { cause: error },
    );
  }
}

/** Makes a directory (0700) unless it exists; what exists is checked by the caller. */
function _makeDir(dir: string, recursive: boolean): void {
  try {
    mkdirSync(dir, { recursive, mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
}

/**
 * The first 128 bits of the home's SHA-256, in hex: each long home gets its own short socket
 * name, and no two homes can be made to share one (a 32-bit hash collided within a second).
 */
function _socketName(dir: string): string {
  return sha256Hex(dir).slice(0, 32);
}
