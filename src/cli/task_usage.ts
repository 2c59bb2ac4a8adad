/**
 * CPU, memory and uptime of running tasks (`ls`, `show`, `--json`): their process trees, read
 * from /proc of this machine, for the tasks this home's supervisor runs (a task another host
 * runs shows none). Module tasks in a shared worker host have no tree of their own: none.
 *
 * @example
 * ```ts
 * const usage = tasksUsage(tasks, client.home.dir);
 * usage.get(7); // { cpuPercent: 12.5, rssBytes: 52428800, uptimeMs: 60000 }
 * ```
 */
import { ProcessTable } from "../runtime/process_tree.ts";
import { runsInWorker, type Task } from "../task/types.ts";

/** What a running task uses. */
export interface TaskUsage {
  /** CPU time over its processes' lifetimes, in percent of one core. */
  cpuPercent: number;
  /** Resident memory of its whole process tree, bytes. */
  rssBytes: number;
  /** Since its current attempt started, ms. */
  uptimeMs: number;
}

/** The use of each task of `tasks` that runs here, by id. */
export function tasksUsage(
  tasks: readonly Task[],
  homeDir: string,
  now = Date.now(),
): Map<number, TaskUsage> {
  const measured = tasks.filter((task) =>
    (task.status === "running" || task.status === "paused") && task.pid !== null &&
    !runsInWorker(task.spec) && (!task.home || task.home === homeDir)
  );
  const usage = new Map<number, TaskUsage>();
  if (!measured.length) return usage;
  const table = ProcessTable.read();
  if (!table) return usage;
  for (const task of measured) {
    const tree = table.usage(task.pid!);
    if (!tree) continue;
    usage.set(task.id, {
      cpuPercent: tree.cpuPercent,
      rssBytes: tree.rssBytes,
      uptimeMs: Math.max(0, now - (task.startedAt ?? now) - (task.pausedMs ?? 0)),
    });
  }
  return usage;
}

/** A CPU share for a column: `12%`, `0.3%`. */
export function formatCpu(percent: number): string {
  return percent >= 10 ? `${Math.round(percent)}%` : `${percent.toFixed(1)}%`;
}

/** A memory size for a column: `812K`, `34.5M`, `1.2G`. */
export function formatMemory(bytes: number): string {
  const units = ["K", "M", "G", "T"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 100 || unit === 0 ? Math.round(value) : value.toFixed(1)}${units[unit]}`;
}

/** The JSON of a task's use (null when it uses nothing measurable here). */
export function usageJson(usage: TaskUsage | undefined): Record<string, number> | null {
  return usage
    ? { cpuPercent: usage.cpuPercent, rssBytes: usage.rssBytes, uptimeMs: usage.uptimeMs }
    : null;
}
