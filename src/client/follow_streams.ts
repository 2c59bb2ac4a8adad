/**
 * Follows a task's output streams as they grow, until the task ends (`bgt logs -f`,
 * `bgt run --wait`). Bytes pass through unchanged; nothing written before the end is missed.
 *
 * @example
 * ```ts
 * await followStreams(client, 42, ["stdout", "stderr"], (stream, bytes) => out[stream].write(bytes));
 * ```
 */
import { readRange, type StreamName, streamSize, watchTaskDir } from "../store/task_files.ts";
import type { Task } from "../task/types.ts";
import type { Client } from "./client.ts";

/** Options for {@linkcode followStreams}. */
export interface FollowOptions {
  /** Byte offset to start each stream at. @default 0 */
  from?: Partial<Record<StreamName, number>>;
  signal?: AbortSignal;
}

/** Writes each stream's new bytes until the task is terminal; resolves with the final task. */
export async function followStreams(
  client: Client,
  id: number,
  streams: readonly StreamName[],
  write: (stream: StreamName, bytes: Uint8Array) => void,
  options: FollowOptions = {},
): Promise<Task> {
  const files = client.files(id);
  const offsets = new Map(streams.map((stream) => [stream, options.from?.[stream] ?? 0]));
  const drain = () => {
    for (const stream of streams) {
      const path = files[stream];
      const size = streamSize(path);
      const offset = offsets.get(stream)!;
      if (size <= offset) continue;
      const bytes = readRange(path, offset, size);
      offsets.set(stream, offset + bytes.length);
      if (bytes.length) write(stream, bytes);
    }
  };
  let finished = false;
  const ended = client.wait([id], options).then(([task]) => {
    finished = true;
    return task;
  });
  let wakeUp = () => {};
  let watcher: { close(): void } | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    while (!finished) {
      drain();
      watcher ??= watchTaskDir(files.dir, () => wakeUp());
      await Promise.race([
        ended,
        new Promise<void>((resolve) => {
          wakeUp = resolve;
          // Without a directory watch (not created yet, or unsupported), look again soon.
          timer = setTimeout(resolve, watcher ? 1000 : 100);
        }),
      ]);
      clearTimeout(timer);
    }
  } finally {
    clearTimeout(timer);
    watcher?.close();
  }
  drain();
  return await ended;
}
