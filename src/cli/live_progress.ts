/**
 * The live view of `bgt wait` on a terminal: a summary line (`12/24 done · 2 running · 1 failed`)
 * and one line per task with its state, progress and elapsed time, redrawn in place a few times a
 * second until the wait ends, then erased (the final lines are printed by the caller). It never
 * grows taller than the screen: when the tasks do not fit, the most relevant ones are shown
 * (running, then failed, paused, waiting, succeeded) and one line counts the rest.
 *
 * @example
 * ```ts
 * const stop = showLiveProgress(client, [41, 42], process.stderr);
 * await client.wait([41, 42]);
 * stop();
 * ```
 */
import type { Client } from "../client/client.ts";
import { describeTask, isTerminal, type Task, type TaskStatus } from "../task/types.ts";
import { duration, progressBar, truncate } from "./format.ts";

/** The size of the screen the view is drawn on, and the time it is drawn at. */
export interface LiveViewSize {
  /** Lines on the screen. @default 24 */
  rows?: number;
  /** Characters per line. @default 80 */
  columns?: number;
  /** The time elapsed times are measured to (epoch ms). @default Date.now() */
  now?: number;
}

/** Which tasks are shown first when not all fit: lower is more relevant. */
const RELEVANCE: Record<TaskStatus, number> = {
  running: 0,
  failed: 1,
  timed_out: 1,
  lost: 1,
  paused: 2,
  canceled: 3,
  queued: 4,
  blocked: 4,
  scheduled: 4,
  succeeded: 5,
};

/** Starts redrawing; returns a function that stops and erases the view. */
export function showLiveProgress(
  client: Client,
  ids: readonly number[],
  out: { write(text: string): unknown; columns?: number; rows?: number },
  intervalMs = 200,
): () => void {
  let drawn = 0;
  const draw = async () => {
    let tasks: Task[];
    try {
      tasks = await Promise.all(ids.map((id) => client.get(id)));
    } catch {
      return; // a task removed meanwhile: the wait itself reports it
    }
    const lines = renderLiveView(tasks, {
      rows: out.rows || Number(process.env.LINES) || undefined,
      columns: out.columns || Number(process.env.COLUMNS) || undefined,
    });
    out.write(`${_erase(drawn)}${lines.join("\n")}\n`);
    drawn = lines.length;
  };
  void draw();
  const timer = setInterval(() => void draw(), intervalMs);
  return () => {
    clearInterval(timer);
    out.write(_erase(drawn));
    drawn = 0;
  };
}

/**
 * The lines of the view: the summary, then as many task lines (in id order) as fit in one line
 * less than the screen, the last of them counting the tasks left out.
 *
 * @example
 * ```ts
 * renderLiveView(tasks, { rows: 5, columns: 80 }); // ["3/24 done · 2 running · 1 failed", …4 lines]
 * ```
 */
export function renderLiveView(tasks: readonly Task[], size: LiveViewSize = {}): string[] {
  const now = size.now ?? Date.now();
  const width = Math.max(20, (size.columns ?? 80) - 1);
  // One line is left for the cursor, so that the top line never scrolls away.
  const room = Math.max(1, (size.rows ?? 24) - 2);
  let shown = [...tasks];
  let hidden: Task[] = [];
  if (tasks.length > room) {
    const ranked = [...tasks].sort((a, b) =>
      RELEVANCE[a.status] - RELEVANCE[b.status] ||
      (a.startedAt === null && b.startedAt === null ? a.id - b.id : _recency(b) - _recency(a))
    );
    shown = ranked.slice(0, room - 1).sort((a, b) => a.id - b.id);
    hidden = ranked.slice(room - 1);
  }
  const lines = shown.map((task) => truncate(_line(task, now), width));
  if (hidden.length) lines.push(truncate(`… ${hidden.length} more: ${_counts(hidden)}`, width));
  return [truncate(liveSummary(tasks), width), ...lines];
}

/**
 * The summary line of a wait.
 *
 * @example
 * ```ts
 * liveSummary(tasks); // "12/24 done · 2 running · 1 failed · 9 waiting"
 * ```
 */
export function liveSummary(tasks: readonly Pick<Task, "status">[]): string {
  const count = (test: (status: TaskStatus) => boolean) =>
    tasks.filter((task) => test(task.status)).length;
  const done = count(isTerminal);
  const running = count((status) => status === "running");
  const failed = count((status) => isTerminal(status) && status !== "succeeded");
  const paused = count((status) => status === "paused");
  const waiting = tasks.length - done - running - paused;
  const parts = [`${done}/${tasks.length} done`, `${running} running`, `${failed} failed`];
  if (paused) parts.push(`${paused} paused`);
  if (waiting) parts.push(`${waiting} waiting`);
  return parts.join(" · ");
}

function _line(task: Task, now: number): string {
  const bar = task.progress === null || isTerminal(task.status)
    ? ""
    : ` ${progressBar(task.progress)}`;
  const message = task.progressMessage && !isTerminal(task.status)
    ? ` ${task.progressMessage}`
    : "";
  const elapsed = task.startedAt === null
    ? ""
    : ` ${duration((task.finishedAt ?? now) - task.startedAt)}`;
  return `${task.id} ${task.status}${bar}${message}${elapsed} ${describeTask(task)}`;
}

/** Counts by state: "12 succeeded, 3 queued". */
function _counts(tasks: readonly Task[]): string {
  const by = new Map<string, number>();
  for (const task of tasks) by.set(task.status, (by.get(task.status) ?? 0) + 1);
  return [...by].map(([status, n]) => `${n} ${status}`).join(", ");
}

/** When a task last changed state, for ranking equals: the latest first (waiting ones by id). */
function _recency(task: Task): number {
  return task.finishedAt ?? task.startedAt ?? task.createdAt;
}

/** Moves the cursor up over `lines` lines, clearing them. */
function _erase(lines: number): string {
  return lines ? `\x1b[${lines}A\x1b[J` : "";
}
