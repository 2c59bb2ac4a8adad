/**
 * Follows a task's output streams as they grow, until the task ends (`bgt logs -f`,
 * `bgt run --wait`). Bytes pass through unchanged; nothing written before the end is missed,
 * except bytes that `--retain` dropped before they could be read (reported to `onGap`).
 * Several streams are read in the order their changes are seen (each change of the task's
 * directory wakes the follower), so their output interleaves by time to within a few ms.
 *
 * @example
 * ```ts
 * await followStreams(client, 42, ["stdout", "stderr"], (stream, bytes) => out[stream].write(bytes));
 * ```
 */
import {
  readStream,
  type StreamName,
  streamSize,
  streamStart,
  type TaskFiles,
  watchTaskDir,
} from "../store/task_files.ts";
import { isTerminal, type Task } from "../task/types.ts";
import type { Client } from "./client.ts";

/** Options for {@linkcode followStreams}. */
export interface FollowOptions {
  /** Byte offset to start each stream at. @default 0 */
  from?: Partial<Record<StreamName, number>>;
  /**
   * Hand over whole lines only: a stream's unfinished last line is held back until its newline
   * comes, `holdMs` pass, or the task ends (for prefixing lines of several streams).
   * @default false
   */
  lines?: boolean;
  /** How long an unfinished line is held back with `lines`, in ms. @default 100 */
  holdMs?: number;
  /** Told when bytes [from, to) of a stream were dropped by `--retain` before being read. */
  onGap?: (stream: StreamName, from: number, to: number) => void;
  signal?: AbortSignal;
}

/**
 * Writes each stream's new bytes (with the stream offset they begin at) until the task is
 * terminal; resolves with the final task.
 */
export async function followStreams(
  client: Client,
  id: number,
  streams: readonly StreamName[],
  write: (stream: StreamName, bytes: Uint8Array, offset: number) => void | Promise<void>,
  options: FollowOptions = {},
): Promise<Task> {
  const now = await client.get(id); // throws TaskNotFoundError for an unknown id
  // A task that runs elsewhere (a shared store) is read from the copy of what it shipped; one
  // that has not started yet is looked at again (at most each second) until it has a home.
  let files = await client.files(id);
  let remote = await client.refreshOutput(id);
  let placing = client.sharesStore && _waiting(now);
  let placedAt = Date.now();
  let watcher: { close(): void } | undefined;
  const offsets = new Map(streams.map((stream) => [stream, options.from?.[stream] ?? 0]));
  /** Since when each stream's unfinished last line has been held back. */
  const heldSince = new Map<StreamName, number>();
  const holdMs = options.holdMs ?? 100;
  let holding = false;
  const drain = async (final: boolean) => {
    holding = false;
    if (placing && (final || Date.now() - placedAt >= 1000)) {
      placedAt = Date.now();
      const task = await client.get(id);
      if (!_waiting(task)) {
        placing = false;
        files = await client.files(id);
        remote = await client.refreshOutput(id);
        watcher?.close();
        watcher = undefined;
      }
    }
    if (remote) await client.refreshOutput(id);
    for (const stream of streams) {
      const end = streamSize(files[stream]);
      for (;;) {
        const chunk = _read(files, stream, { from: offsets.get(stream)!, end }, options);
        let bytes = chunk.bytes;
        const more = chunk.from + bytes.length < end;
        let held = false;
        if (options.lines && !final && !more && bytes.length && bytes[bytes.length - 1] !== 10) {
          const since = heldSince.get(stream) ?? Date.now();
          if (Date.now() - since < holdMs) {
            heldSince.set(stream, since);
            holding = held = true;
            bytes = bytes.subarray(0, bytes.lastIndexOf(10) + 1);
          }
        }
        if (!held) heldSince.delete(stream);
        offsets.set(stream, chunk.from + bytes.length);
        if (bytes.length) await write(stream, bytes, chunk.from);
        if (!more || !chunk.bytes.length) break;
      }
    }
  };
  if (isTerminal(now.status)) {
    // Nothing more will be written: no line is held back.
    await drain(true);
    return now;
  }
  let finished = false;
  const ended = client.wait([id], options).then(([task]) => {
    finished = true;
    return task;
  });
  let wakeUp = () => {};
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    while (!finished) {
      await drain(false);
      if (!remote) watcher ??= watchTaskDir(files.dir, () => wakeUp());
      await Promise.race([
        ended,
        new Promise<void>((resolve) => {
          wakeUp = resolve;
          // Without a directory watch (not created yet, or unsupported), look again soon; a
          // held-back line is looked at again when its time is up.
          // The copy of a task elsewhere is looked at as often as it is shipped.
          timer = setTimeout(
            resolve,
            holding ? holdMs : remote ? SHIPPED_EVERY_MS : watcher ? 1000 : 100,
          );
        }),
      ]);
      clearTimeout(timer);
    }
  } finally {
    clearTimeout(timer);
    watcher?.close();
  }
  await drain(true);
  return await ended;
}

/** How often output shipped from another host is looked for (its shipper's period). */
const SHIPPED_EVERY_MS = 250;

/** Whether the task has not started (its host is not known yet). */
function _waiting(task: Task): boolean {
  return task.status === "queued" || task.status === "scheduled" || task.status === "blocked";
}

/** Most bytes read from a stream at once. */
const CHUNK = 4 << 20;

/** The stream's bytes from `from` (up to CHUNK of them, before `end`), noting a --retain gap. */
function _read(
  files: TaskFiles,
  stream: StreamName,
  range: { from: number; end: number },
  options: FollowOptions,
): { from: number; bytes: Uint8Array } {
  if (range.end <= range.from) return { from: range.from, bytes: new Uint8Array() };
  const from = Math.max(range.from, streamStart(files, stream));
  const chunk = readStream(files, stream, { from, to: Math.min(range.end, from + CHUNK) });
  if (chunk.from > range.from) options.onGap?.(stream, range.from, chunk.from);
  return chunk;
}
