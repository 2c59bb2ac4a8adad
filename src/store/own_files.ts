/**
 * The directories and files of a bgt home belong to the user who runs bgt, and to no one else
 * (DESIGN §4). Another user who owns the home, `logs/` or a task's directory could read the
 * output, reopen the modes after bgt's `chmod`, or plant a symlink so that bgt (perhaps root)
 * writes wherever it points. So every directory is checked before anything is made in it, and
 * every file is opened without following a symlink (`O_NOFOLLOW`), created exclusively
 * (`O_EXCL`) where bgt makes it new, and refused when it is not a regular file of ours.
 *
 * @example
 * ```ts
 * checkOwnDir(home.dir, "the bgt home", "set BGT_HOME to a directory of your own");
 * const fd = openOwnFile(join(home.logs, "1", "stdout"), "append");
 * ```
 */
import {
  chmodSync,
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";

/** A file or directory of the home that another user controls (its message is one line). */
export class ForeignPathError extends Error {
  override name = "ForeignPathError";
  readonly code = "FOREIGN_PATH";
}

/** Options for {@linkcode checkOwnDir}. */
export interface OwnDirOptions {
  /** Follow a symlink at `dir` itself (the home may be one); its target must still be ours. */
  follow?: boolean;
}

/**
 * Refuses a directory that is a symlink (unless `follow`), not a directory, or another user's,
 * in one line naming it, its owner and `hint`; closes (0700) one of ours that is open to others.
 *
 * @example
 * ```ts
 * checkOwnDir("/tmp/bgt-0", "the socket directory", "remove it or set XDG_RUNTIME_DIR");
 * ```
 */
export function checkOwnDir(
  dir: string,
  what: string,
  hint: string,
  options: OwnDirOptions = {},
): void {
  const stat = options.follow ? statSync(dir) : lstatSync(dir);
  const uid = process.getuid?.();
  let problem: string | undefined;
  if (!stat.isDirectory()) problem = stat.isSymbolicLink() ? "it is a symlink" : "not a directory";
  else if (uid !== undefined && stat.uid !== uid) problem = _ownedBy(stat.uid, uid);
  else if ((stat.mode & 0o077) !== 0) chmodSync(dir, 0o700);
  if (problem) throw new ForeignPathError(`Cannot use ${what} ${dir}: ${problem}; ${hint}`);
}

/**
 * Refuses an existing file that is not a regular file of ours (a symlink, a FIFO, another
 * user's); an absent one is fine.
 *
 * @example
 * ```ts
 * checkOwnFileIfPresent(home.db, "the database");
 * ```
 */
export function checkOwnFileIfPresent(path: string, what: string): void {
  let stat;
  try {
    stat = lstatSync(path);
  } catch {
    return;
  }
  const problem = _fileProblem(stat);
  if (problem) {
    throw new ForeignPathError(`Cannot use ${what} ${path}: ${problem}; remove it`);
  }
}

/**
 * Opens a file of the home for writing without following a symlink: `"append"` creates it (0600)
 * or appends to it, `"create"` makes it new (fails when anything is there). Throws
 * ForeignPathError when what is there is a symlink or not a regular file of ours.
 *
 * @example
 * ```ts
 * const fd = openOwnFile(files.stdout, "append");
 * ```
 */
export function openOwnFile(path: string, how: "append" | "create"): number {
  const { O_WRONLY, O_CREAT, O_APPEND, O_EXCL, O_NOFOLLOW } = constants;
  const flags = O_WRONLY | O_CREAT | O_NOFOLLOW |
    (how === "append" ? O_APPEND : how === "create" ? O_EXCL : 0);
  let fd: number;
  try {
    fd = openSync(path, flags, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ELOOP") {
      throw new ForeignPathError(`Cannot open ${path}: it is a symlink; remove it`);
    }
    throw error;
  }
  const problem = _fileProblem(fstatSync(fd));
  if (problem) {
    closeSync(fd);
    throw new ForeignPathError(`Cannot open ${path}: ${problem}; remove it`);
  }
  return fd;
}

/**
 * Appends to (creating 0600) a file of the home, never through a symlink.
 *
 * @example
 * ```ts
 * appendOwnFile(files.stderr, "bgt: the task was killed\n");
 * ```
 */
export function appendOwnFile(path: string, data: string | Uint8Array): void {
  _writeAll(openOwnFile(path, "append"), data);
}

/**
 * Writes a new file of the home (0600, exclusively: whatever lay at `path` is removed first, a
 * symlink as a link), for a temporary file to be renamed into place.
 *
 * @example
 * ```ts
 * writeNewOwnFile(`${path}.tmp`, "{}");
 * ```
 */
export function writeNewOwnFile(path: string, data: string | Uint8Array): void {
  rmSync(path, { force: true });
  _writeAll(openOwnFile(path, "create"), data);
}

function _writeAll(fd: number, data: string | Uint8Array): void {
  try {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    for (let done = 0; done < bytes.length;) done += writeSync(fd, bytes, done);
  } finally {
    closeSync(fd);
  }
}

/** Why a file cannot be used: not regular (a symlink, a FIFO…) or another user's; else undefined. */
function _fileProblem(stat: { uid: number; isFile(): boolean; isSymbolicLink(): boolean }) {
  const uid = process.getuid?.();
  if (!stat.isFile()) return stat.isSymbolicLink() ? "it is a symlink" : "it is not a regular file";
  if (uid !== undefined && stat.uid !== uid) return _ownedBy(stat.uid, uid);
  return undefined;
}

/** "it belongs to nobody (uid 65534), not to root (uid 0)". */
function _ownedBy(owner: number, self: number): string {
  return `it belongs to ${userName(owner)}, not to ${userName(self)}`;
}

/**
 * A uid with its name from /etc/passwd when it has one: `nobody (uid 65534)`, else `uid 1234`.
 *
 * @example
 * ```ts
 * userName(0); // "root (uid 0)"
 * ```
 */
export function userName(uid: number): string {
  try {
    for (const line of readFileSync("/etc/passwd", "utf8").split("\n")) {
      const [name, , id] = line.split(":");
      if (id === String(uid) && name) return `${name} (uid ${uid})`;
    }
  } catch { /* no passwd file: the number alone */ }
  return `uid ${uid}`;
}
