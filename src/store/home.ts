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
import { accessSync, chmodSync, constants, lstatSync, mkdirSync } from "node:fs";
import { createHash } from "node:crypto";
import { homedir, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

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
 * directory when it cannot be created or written. A socket directory outside the home (under
 * `$XDG_RUNTIME_DIR` or the temporary directory, which others can write to) must be a real
 * directory owned by this user and closed to others; one that another user made first is refused
 * rather than trusted.
 */
export function ensureHome(home: BgtHome): void {
  try {
    for (const dir of [home.dir, home.logs, join(home.socket, "..")]) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    }
    chmodSync(home.dir, 0o700);
    accessSync(home.dir, constants.W_OK);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new Error(
      `Cannot use BGT_HOME ${home.dir}: ${reason}; set BGT_HOME to a directory you can write`,
      { cause: error },
    );
  }
  const socketDir = dirname(home.socket);
  if (socketDir !== home.dir) _checkPrivateDir(socketDir);
}

/** Refuses a directory that is a symlink, not ours, or open to others (fixing only the mode of our own). */
function _checkPrivateDir(dir: string): void {
  const stat = lstatSync(dir);
  const uid = process.getuid?.();
  let problem: string | undefined;
  if (!stat.isDirectory()) problem = stat.isSymbolicLink() ? "it is a symlink" : "not a directory";
  else if (uid !== undefined && stat.uid !== uid) problem = `it belongs to uid ${stat.uid}`;
  else if ((stat.mode & 0o077) !== 0) chmodSync(dir, 0o700);
  if (problem) {
    throw new Error(
      `Cannot use the socket directory ${dir}: ${problem}; remove it or set XDG_RUNTIME_DIR`,
    );
  }
}

/**
 * The first 128 bits of the home's SHA-256, in hex: each long home gets its own short socket
 * name, and no two homes can be made to share one (a 32-bit hash collided within a second).
 */
function _socketName(dir: string): string {
  return createHash("sha256").update(dir).digest("hex").slice(0, 32);
}
