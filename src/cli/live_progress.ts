/**
 * Live progress bars for `bgt wait` on a terminal: one line per task, redrawn in place a few
 * times a second until the wait ends, then erased (the final lines are printed by the caller).
 *
 * @example
 * ```ts
 * const stop = showLiveProgress(client, [41, 42], process.stderr);
 * await client.wait([41, 42]);
 * stop();
 * ```
 */
import type { Client } from "../client/client.ts";
import { describeTask, type Task } from "../task/types.ts";
import { progressBar, truncate } from "./format.ts";

/** Starts redrawing; returns a function that stops and erases the bars. */
export function showLiveProgress(
  client: Client,
  ids: readonly number[],
  out: { write(text: string): unknown; columns?: number },
  intervalMs = 200,
): () => void {
  let drawn = 0;
  const draw = () => {
    let tasks: Task[];
    try {
      tasks = ids.map((id) => client.get(id));
    } catch {
      return; // a task removed meanwhile: the wait itself reports it
    }
    const width = Math.max(20, (out.columns || Number(process.env.COLUMNS) || 80) - 1);
    const lines = tasks.map((task) => truncate(_line(task), width));
    out.write(`${_erase(drawn)}${lines.join("\n")}\n`);
    drawn = lines.length;
  };
  draw();
  const timer = setInterval(draw, intervalMs);
  return () => {
    clearInterval(timer);
    out.write(_erase(drawn));
    drawn = 0;
  };
}

function _line(task: Task): string {
  const bar = task.progress === null ? "" : ` ${progressBar(task.progress)}`;
  const message = task.progressMessage ? ` ${task.progressMessage}` : "";
  return `${task.id} ${task.status}${bar}${message} ${describeTask(task)}`;
}

/** Moves the cursor up over `lines` lines, clearing them. */
function _erase(lines: number): string {
  return lines ? `\x1b[${lines}A\x1b[J` : "";
}
