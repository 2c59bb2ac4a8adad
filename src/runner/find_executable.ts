/**
 * Finds the program a command task would run, as `execvp` would: a name with a slash is a path
 * (relative to the task's cwd); a bare name is looked up in the task's PATH.
 *
 * @example
 * ```ts
 * findExecutable("ls", { cwd: "/", path: "/usr/bin:/bin" }); // "/usr/bin/ls"
 * ```
 */
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, isAbsolute, resolve } from "node:path";
import { fsPath, hasRawBytes } from "../runtime/raw_bytes.ts";

/** The executable's path, or undefined when there is none. */
export function findExecutable(
  command: string,
  options: { cwd: string; path: string | undefined },
): string | undefined {
  // Bun's path functions replace bytes that are not UTF-8: such a name is joined as it is.
  const within = (dir: string, name: string) =>
    hasRawBytes(name) ? (isAbsolute(name) ? name : `${resolve(dir)}/${name}`) : resolve(dir, name);
  const candidates = command.includes("/")
    ? [within(options.cwd, command)]
    : (options.path ?? "").split(delimiter).filter(Boolean).map((dir) =>
      within(resolve(options.cwd, dir), command)
    );
  return candidates.find((path) => {
    try {
      accessSync(fsPath(path), constants.X_OK);
      return statSync(fsPath(path)).isFile();
    } catch {
      return false;
    }
  });
}
