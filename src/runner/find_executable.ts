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
import { delimiter, join, resolve } from "node:path";

/** The executable's path, or undefined when there is none. */
export function findExecutable(
  command: string,
  options: { cwd: string; path: string | undefined },
): string | undefined {
  const candidates = command.includes("/")
    ? [resolve(options.cwd, command)]
    : (options.path ?? "").split(delimiter).filter(Boolean).map((dir) =>
      join(resolve(options.cwd, dir), command)
    );
  return candidates.find((path) => {
    try {
      accessSync(path, constants.X_OK);
      return statSync(path).isFile();
    } catch {
      return false;
    }
  });
}
