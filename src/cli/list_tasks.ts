/**
 * What `bgt ls` does once its words are parsed: reads the tasks the options select and prints
 * them. Kept apart from the command's definition (`commands/ls.ts`) so that a bare `bgt ls` (and
 * `bgt` alone) runs without loading commander (see `main.ts`), ~20 % of its start-up.
 *
 * @example
 * ```ts
 * await listTasks(lsDefaults()); // as `bgt ls`
 * ```
 */
import { hostname } from "node:os";
import type { ListFilter } from "../store/task_store.ts";
import { describeTask, type Task } from "../task/types.ts";
import {
  colorStatus,
  duration,
  progressBar,
  relativeTime,
  table,
  taskJson,
  toJson,
  truncate,
  useColor,
} from "./format.ts";
import {
  parseChoice,
  parseEnvPairs,
  parseIds,
  parseInteger,
  parseStatuses,
} from "./parse_options.ts";
import { formatCpu, formatMemory, tasksUsage, type TaskUsage, usageJson } from "./task_usage.ts";
import { parseTimeOption } from "./time_options.ts";
import { withClient } from "./with_client.ts";
import { stderr, stdout } from "../runtime/std_output.ts";

export const SORTS: readonly NonNullable<ListFilter["sort"]>[] = [
  "id",
  "priority",
  "runAt",
  "startedAt",
  "finishedAt",
];

/** The option values of `bgt ls`, as commander hands them over. */
export interface LsOptions {
  status?: string;
  group?: string;
  host?: string;
  name?: string;
  meta: string[];
  since?: string;
  until?: string;
  schedule?: string;
  sort: string;
  asc?: true;
  limit: string;
  offset: string;
  quiet?: true;
  json?: true;
}

/**
 * The values commander gives `bgt ls` when no option is written (pinned against commander's by
 * tests/cli/plain_forms_test.ts).
 */
export function lsDefaults(): LsOptions {
  return { meta: [], sort: "id", limit: "50", offset: "0" };
}

/** Lists the tasks `options` select; see `bgt ls --help`. */
export async function listTasks(options: LsOptions): Promise<void> {
  const now = Date.now();
  const filter: ListFilter = {
    status: options.status === undefined ? undefined : parseStatuses(options.status),
    group: options.group,
    host: options.host,
    name: options.name,
    meta: parseEnvPairs(options.meta, "--meta"),
    since: options.since === undefined
      ? undefined
      : await parseTimeOption("--since", options.since, { now, ago: true }),
    until: options.until === undefined
      ? undefined
      : await parseTimeOption("--until", options.until, { now, ago: true }),
    scheduleId: options.schedule === undefined
      ? undefined
      : parseIds([options.schedule], "schedule id")[0],
    sort: parseChoice("--sort", options.sort, SORTS),
    newestFirst: !options.asc,
    limit: parseInteger("--limit", options.limit, { min: 1 }),
    offset: parseInteger("--offset", options.offset, { min: 0 }),
  };
  await withClient(async (client) => {
    const tasks = await client.list(filter);
    const { limit = 0, offset = 0 } = filter;
    // Counted up to a bound past the page: an exact count of a million rows was a third of `ls`.
    const shown = offset + tasks.length;
    const past = tasks.length < limit
      ? 0
      : (await client.count(filter, shown + MORE_COUNTED_UP_TO)) - shown;
    const usage = options.quiet ? new Map() : tasksUsage(tasks, client.home.dir);
    if (options.json) {
      stdout.write(
        `${
          toJson(
            tasks.map((task) => ({
              ...taskJson(task, { result: false }),
              usage: usageJson(usage.get(task.id)),
            })),
            2,
          )
        }\n`,
      );
    } else if (options.quiet) {
      stdout.write(tasks.map((task) => `${task.id}\n`).join(""));
    } else if (tasks.length === 0) {
      stdout.write("no tasks\n");
    } else {
      stdout.write(`${renderTable(tasks, useColor(), Date.now(), usage)}\n`);
    }
    // On stderr, so that --json and -q output stays whole for scripts.
    if (past > 0) stderr.write(`${morePastLimit(past)}\n`);
  }, { read: true });
}

/**
 * The ls table: id, status (with a progress bar while running), name or command, age,
 * duration (a running task's uptime), CPU and memory of running tasks, — when a listed task
 * has a restart policy — how many times it was restarted, and the host each ran on when they ran
 * elsewhere than this machine (a shared store).
 */
export function renderTable(
  tasks: readonly Task[],
  color: boolean,
  now = Date.now(),
  usage: ReadonlyMap<number, TaskUsage> = new Map(),
): string {
  const restarting = tasks.some((task) => task.restart);
  const hosts = new Set(tasks.map((task) => task.host).filter((host) => host));
  const showHost = hosts.size > 1 || (hosts.size === 1 && !hosts.has(hostname()));
  const width = Math.max(
    20,
    (stdout.columns ?? 100) - 70 - (restarting ? 10 : 0) - (showHost ? 12 : 0),
  );
  const rows = tasks.map((task) => {
    const use = usage.get(task.id);
    return [
      String(task.id),
      colorStatus(task.status, color) + _howItEnded(task) + _progress(task),
      truncate(describeTask(task), width),
      task.runAt > now && (task.status === "scheduled" || task.status === "queued")
        ? `runs ${relativeTime(task.runAt, now)}`
        : relativeTime(task.createdAt, now),
      task.startedAt ? duration((task.finishedAt ?? now) - task.startedAt) : "-",
      use ? formatCpu(use.cpuPercent) : "-",
      use ? formatMemory(use.rssBytes) : "-",
      ...(restarting ? [task.restart ? String(task.restarts ?? 0) : "-"] : []),
      ...(showHost ? [task.host ?? "-"] : []),
    ];
  });
  const head = ["ID", "STATUS", "NAME/COMMAND", "AGE", "DURATION", "CPU", "MEM"];
  const tail = [...(restarting ? ["RESTARTS"] : []), ...(showHost ? ["HOST"] : [])];
  return table([[...head, ...tail], ...rows]);
}

/** How many tasks past the page `ls` counts at most (beyond: "… 10,000+ more tasks"). */
export const MORE_COUNTED_UP_TO = 10_000;

/**
 * The footer of a list cut by `--limit`; a count that reached {@linkcode MORE_COUNTED_UP_TO}
 * is a lower bound.
 *
 * @example
 * ```ts
 * morePastLimit(1234); // "… 1,234 more tasks (use --limit)"
 * morePastLimit(10_000); // "… 10,000+ more tasks (use --limit)"
 * ```
 */
export function morePastLimit(count: number): string {
  const more = count >= MORE_COUNTED_UP_TO
    ? `${_thousands(MORE_COUNTED_UP_TO)}+`
    : _thousands(count);
  return `… ${more} more task${count === 1 ? "" : "s"} (use --limit)`;
}

/** A failed task's exit code or signal, as ` (3)` or ` (SIGKILL)`. */
function _howItEnded(task: Task): string {
  if (task.status !== "failed") return "";
  return task.exitCode !== null ? ` (${task.exitCode})` : task.signal ? ` (${task.signal})` : "";
}

function _progress(task: Task): string {
  return (task.status === "running" || task.status === "paused") && task.progress !== null
    ? ` ${progressBar(task.progress, 10)}`
    : "";
}

/**
 * `count` with a comma every three digits, as `toLocaleString("en-US")` writes it, without
 * loading the locale data (~1 ms of start-up).
 */
function _thousands(count: number): string {
  return String(count).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}
