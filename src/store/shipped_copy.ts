/**
 * Copies the output a task shipped into a shared store (see `shared_io.ts`) into stream files laid
 * out as a task's own (`task_files.ts`): each byte at its absolute offset, `<stream>.start` moved
 * on where `--retain` dropped the front. Only what lies past each file's end is fetched, so a
 * copy is brought up to date by calling this again. Used by a client reading a task that ran on
 * another host, and by a supervisor that runs a task whose earlier attempts ran elsewhere.
 *
 * @example
 * ```ts
 * await copyShippedOutput(store.output!, 42, taskFiles(dir, 42));
 * ```
 */
import { closeSync, constants, mkdirSync, openSync, writeSync } from "node:fs";
import type { OutputStore } from "./shared_io.ts";
import {
  setStreamStart,
  STREAM_NAMES,
  type StreamName,
  streamSize,
  streamStart,
  type TaskFiles,
} from "./task_files.ts";

/** Most bytes fetched in one query (a copy makes as many as it needs). */
const READ_BYTES = 8 << 20;

/** Brings the files up to date with what task `id` shipped; resolves with how many bytes came. */
export async function copyShippedOutput(
  output: OutputStore,
  id: number,
  files: TaskFiles,
): Promise<number> {
  mkdirSync(files.dir, { recursive: true, mode: 0o700 });
  const starts = await output.starts(id);
  for (const stream of STREAM_NAMES) {
    const start = starts[stream] ?? 0;
    if (start > streamStart(files, stream) && start > streamSize(files[stream])) {
      setStreamStart(files, stream, start);
    }
  }
  let copied = 0;
  for (;;) {
    const from = Object.fromEntries(
      STREAM_NAMES.map((stream) => [stream, streamSize(files[stream])]),
    ) as Record<StreamName, number>;
    const chunks = await output.read(id, from, READ_BYTES);
    let fetched = 0;
    for (const chunk of chunks) {
      fetched += chunk.data.length;
      const skip = Math.max(0, from[chunk.stream] - chunk.offset);
      if (skip >= chunk.data.length) continue;
      _writeAt(files[chunk.stream], chunk.data.subarray(skip), chunk.offset + skip);
      copied += chunk.data.length - skip;
    }
    if (fetched < READ_BYTES) return copied;
  }
}

function _writeAt(path: string, bytes: Uint8Array, position: number): void {
  // Never through a symlink planted in the task's directory (see own_files.ts).
  const { O_CREAT, O_NOFOLLOW, O_WRONLY } = constants;
  const handle = openSync(path, O_WRONLY | O_CREAT | O_NOFOLLOW, 0o600);
  try {
    let written = 0;
    while (written < bytes.length) {
      written += writeSync(handle, bytes, written, bytes.length - written, position + written);
    }
  } finally {
    closeSync(handle);
  }
}
