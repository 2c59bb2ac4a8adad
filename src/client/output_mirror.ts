/**
 * A local copy of the output a task wrote on another host, read back from the shared store's
 * output table (DESIGN §11): files laid out as the task's own (`stdout`, `stderr`, `data`, each
 * byte at its absolute offset, `<stream>.start` where `--retain` dropped the front), so that every
 * reader of task files — a tail, a range, an attempt's slice, following — works on it unchanged.
 * {@linkcode OutputMirror.sync} fetches what was shipped since the last sync.
 *
 * The copies live in a directory of this process (removed by {@linkcode removeMirrors}).
 *
 * @example
 * ```ts
 * const mirror = new OutputMirror(store.output!, 42);
 * await mirror.sync();
 * readTail(mirror.files, "stdout", { lines: 10 });
 * ```
 */
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { OutputStore } from "../store/shared_io.ts";
import {
  setStreamStart,
  STREAM_NAMES,
  type StreamName,
  streamSize,
  streamStart,
  type TaskFiles,
  taskFiles,
} from "../store/task_files.ts";

let root: string | undefined;

/** The shipped output of one task, copied here. */
export class OutputMirror {
  readonly files: TaskFiles;
  #output: OutputStore;
  #id: number;

  constructor(output: OutputStore, id: number) {
    root ??= mkdtempSync(join(tmpdir(), "bgt-output-"));
    this.#output = output;
    this.#id = id;
    this.files = taskFiles(root, id);
    mkdirSync(this.files.dir, { recursive: true, mode: 0o700 });
  }

  /** Copies the chunks shipped since the last sync (and moves each kept start on). */
  async sync(): Promise<void> {
    const starts = await this.#output.starts(this.#id);
    for (const stream of STREAM_NAMES) {
      const start = starts[stream] ?? 0;
      if (start > streamStart(this.files, stream)) setStreamStart(this.files, stream, start);
    }
    for (;;) {
      const from = Object.fromEntries(
        STREAM_NAMES.map((stream) => [stream, streamSize(this.files[stream])]),
      ) as Record<StreamName, number>;
      const chunks = await this.#output.read(this.#id, from, READ_BYTES);
      let bytes = 0;
      for (const chunk of chunks) {
        const skip = Math.max(0, from[chunk.stream] - chunk.offset);
        if (skip >= chunk.data.length) continue;
        _writeAt(this.files[chunk.stream], chunk.data.subarray(skip), chunk.offset + skip);
        bytes += chunk.data.length;
      }
      if (bytes < READ_BYTES) return;
    }
  }
}

/** Most bytes fetched in one query (a sync makes as many as it needs). */
const READ_BYTES = 8 << 20;

/** Deletes this process's copies. */
export function removeMirrors(): void {
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
}

function _writeAt(path: string, bytes: Uint8Array, position: number): void {
  const fd = openSync(path, "a+");
  closeSync(fd);
  const handle = openSync(path, "r+");
  try {
    let written = 0;
    while (written < bytes.length) {
      written += writeSync(handle, bytes, written, bytes.length - written, position + written);
    }
  } finally {
    closeSync(handle);
  }
}
