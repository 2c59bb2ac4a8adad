/**
 * Process facts that differ between runtimes or need the OS: how to start bgt again, whether a
 * process lives, and its start time (to tell a live process from a reused pid).
 *
 * @example
 * ```ts
 * const [cmd, ...args] = selfCommand(); // e.g. ["/usr/local/bin/bgt"] in the compiled binary
 * isAlive(process.pid); // true
 * ```
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The name of the runtime this code runs on. */
export const runtimeName: "bun" | "deno" | "node" = "Bun" in globalThis
  ? "bun"
  : "Deno" in globalThis
  ? "deno"
  : "node";

/** True inside a `bun build --compile` binary. */
export function isCompiled(): boolean {
  return import.meta.url.includes("$bunfs") || import.meta.url.includes("~BUN");
}

/**
 * The argv prefix that starts this bgt again: the binary alone when compiled, else the runtime
 * plus the CLI script (`BGT_CLI` overrides the script, for tests that drive `cli.ts`).
 */
export function selfCommand(): string[] {
  if (isCompiled()) return [process.execPath];
  const script = process.env.BGT_CLI ?? fileURLToPath(new URL("../../cli.ts", import.meta.url));
  if (runtimeName === "deno") return [process.execPath, "run", "-A", script];
  return [process.execPath, script];
}

/**
 * True when a process with this pid exists and has not ended: a zombie (ended, not yet reaped
 * by its parent) counts as ended.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  return _procState(pid) !== "Z";
}

/** The one-letter state of `/proc/<pid>/stat` (R, S, D, Z, T…), or null where unreadable. */
function _procState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  } catch {
    return null;
  }
}

/**
 * The process's start time in clock ticks since boot (Linux `/proc/<pid>/stat` field 22), or
 * `null` where it cannot be read. Together with the pid it names one process for its lifetime.
 */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

/** True when `pid` lives and, where known, started at `startTime` (it is the same process). */
export function isSameProcessAlive(pid: number, startTime: string | null): boolean {
  if (!isAlive(pid)) return false;
  if (startTime === null) return true;
  const now = processStartTime(pid);
  return now === null || now === startTime;
}

/**
 * The live processes whose argv ends with `tail` (Linux: `/proc/<pid>/cmdline`; elsewhere none).
 *
 * @example
 * ```ts
 * pidsWithArgvTail(["__host", "/home/me/.local/state/bgt"]); // [4242]
 * ```
 */
export function pidsWithArgvTail(tail: readonly string[]): number[] {
  const suffix = `\0${tail.join("\0")}\0`;
  let names: string[];
  try {
    names = readdirSync("/proc");
  } catch {
    return [];
  }
  return names.filter((name) => /^\d+$/.test(name)).map(Number).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").endsWith(suffix) && isAlive(pid);
    } catch {
      return false; // ended meanwhile, or not ours to read
    }
  });
}
