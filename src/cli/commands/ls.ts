/**
 * `bgt ls`: the tasks, newest first, as a table (or `--json`), filtered by state, group, host,
 * name, metadata, time or schedule, sorted and paged.
 *
 * @example
 * ```sh
 * bgt ls --status running,queued --meta team=data --name 'nightly-*' --limit 20
 * ```
 */
import { Command } from "@commander-js/extra-typings";
import { hostname } from "node:os";
import type { ListFilter } from "../../store/task_store.ts";
import { describeTask, type Task } from "../../task/types.ts";
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
} from "../format.ts";
import {
  collect,
  parseChoice,
  parseEnvPairs,
  parseIds,
  parseInteger,
  parseStatuses,
} from "../parse_options.ts";
import { formatCpu, formatMemory, tasksUsage, type TaskUsage, usageJson } from "../task_usage.ts";
import { parseTimeOption } from "../time_options.ts";
import { withClient } from "../with_client.ts";
import { stderr, stdout } from "../../runtime/std_output.ts";

const SORTS: readonly NonNullable<ListFilter["sort"]>[] = [
  "id",
  "priority",
  "runAt",
  "startedAt",
  "finishedAt",
];

/** The `ls` command. */
export function lsCommand() {
  return new Command("ls")
    .alias("list")
    .description("list tasks, newest first")
    .option("-s, --status <states>", "only these states, comma-separated")
    .option("-g, --group <group>", "only this group")
    .option("--host <name>", "only tasks that run or ran on this host (see 'bgt hosts')")
    .option("-n, --name <glob>", "only names matching this glob ('nightly-*')")
    .option(
      "-m, --meta <k=v>",
      "only tasks whose meta has k = v (repeatable)",
      collect,
      [] as string[],
    )
    .option("--since <time>", "only tasks created since (a time, or a duration ago: '2h')")
    .option("--until <time>", "only tasks created before (a time, or a duration ago)")
    .option("--schedule <id>", "only tasks fired by this schedule")
    .option("--sort <field>", `order by ${SORTS.join(", ")}`, "id")
    .option("--asc", "ascending (oldest, lowest first)")
    .option("-l, --limit <n>", "at most n tasks", "50")
    .option("--offset <n>", "skip the first n tasks", "0")
    .option("-q, --quiet", "print only the ids, one per line")
    .option("--json", "print a JSON array")
    .action(async (options) => {
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
        const past = tasks.length < limit
          ? 0
          : (await client.count(filter)) - offset - tasks.length;
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
    });
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

/**
 * The footer of a list cut by `--limit`.
 *
 * @example
 * ```ts
 * morePastLimit(1234); // "… 1,234 more tasks (use --limit)"
 * ```
 */
export function morePastLimit(count: number): string {
  return `… ${_thousands(count)} more task${count === 1 ? "" : "s"} (use --limit)`;
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
