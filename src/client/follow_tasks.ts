/**
 * Follows every running task's output (`bgt logs -f` without an id, as `pm2 logs`): the tasks
 * running now and those that start while following, each until it ends, until the signal aborts.
 * New tasks are noticed when their log directory appears (a watch of the logs directory), or at
 * the latest a second after they start.
 *
 * @example
 * ```ts
 * await followTasks(client, (task, stream, bytes) => out.write(bytes), {
 *   streams: ["stdout", "stderr"],
 *   signal: AbortSignal.timeout(60_000),
 * });
 * ```
 */
import { RUNNING } from "../task/statuses.ts";
import { type StreamName, streamSize, watchTaskDir } from "../store/task_files.ts";
import type { Task } from "../task/types.ts";
import type { Client } from "./client.ts";
import { followStreams } from "./follow_streams.ts";

/** Options for {@linkcode followTasks}. */
export interface FollowTasksOptions {
  /** The streams followed of each task. */
  streams: readonly StreamName[];
  /** Hand over whole lines only (see FollowOptions.lines). @default true */
  lines?: boolean;
  /** Told when a task is first followed, with the offset each stream is followed from. */
  onStart?: (task: Task, from: Partial<Record<StreamName, number>>) => void;
  /** Told when a followed task has ended. */
  onEnd?: (task: Task) => void;
  /** Told when bytes [from, to) of a task's stream were dropped by `--retain` before being read. */
  onGap?: (task: Task, stream: StreamName, from: number, to: number) => void;
  /** Where to start each stream of a task. @default the stream's end when the task is found */
  from?: (task: Task, stream: StreamName) => number;
  /** Ends the following. */
  signal?: AbortSignal;
}

/** Follows running tasks until `options.signal` aborts (or forever). */
export async function followTasks(
  client: Client,
  write: (task: Task, stream: StreamName, bytes: Uint8Array) => void,
  options: FollowTasksOptions,
): Promise<void> {
  const followed = new Set<number>();
  const following = new Set<Promise<unknown>>();
  // Aborted by the caller, or by the first error that is not a task removed meanwhile.
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  let failure: unknown;
  let wakeUp = () => {};
  const watcher = watchTaskDir(client.home.logs, () => wakeUp());
  try {
    while (!signal.aborted) {
      for (const task of await client.list({ status: [...RUNNING], limit: 10_000 })) {
        if (followed.has(task.id)) continue;
        followed.add(task.id);
        // A task running on another host (a shared store): the copy of what it shipped.
        let files = client.filesSeen(task.id);
        try {
          files = await client.files(task.id);
        } catch { /* removed meanwhile: followStreams says so */ }
        const from = Object.fromEntries(
          options.streams.map((stream) => [
            stream,
            options.from?.(task, stream) ?? streamSize(files[stream]),
          ]),
        );
        options.onStart?.(task, from);
        const run = followStreams(
          client,
          task.id,
          options.streams,
          (stream, bytes) => write(task, stream, bytes),
          {
            from,
            lines: options.lines ?? true,
            signal,
            onGap: (stream, start, end) => options.onGap?.(task, stream, start, end),
          },
        ).then(
          (ended) => options.onEnd?.(ended),
          (error) => {
            if (signal.aborted || (error as { code?: string }).code === "TASK_NOT_FOUND") return;
            failure ??= error;
            stop.abort();
          },
        ).finally(() => following.delete(run));
        following.add(run);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, watcher ? 1000 : 200);
        signal.addEventListener("abort", done, { once: true });
        wakeUp = done;
        function done() {
          clearTimeout(timer);
          signal.removeEventListener("abort", done);
          resolve();
        }
      });
    }
  } finally {
    watcher?.close();
  }
  await Promise.allSettled(following);
  if (failure !== undefined) throw failure;
}
