/**
 * @internal The state a worker shares between its entry (`worker.ts`) and the worker-side API
 * (`context`, `workQueue`). One instance per worker thread.
 */
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import type { _WireOptions } from "./_protocol.ts";

/** The task that is running on this worker right now. */
export interface _CurrentTask {
  id: number;
  opts: _WireOptions | undefined;
  controller: AbortController | undefined;
  aborted: boolean;
  /** Open output files (with `opts.out`), by stream. */
  fds?: Partial<Record<"stdout" | "stderr" | "data", number>>;
}

/**
 * Appends text to one of the task's output files (`opts.out`), opening it on first use; false
 * when the task has no output files. A failed write (a full disk) is dropped, not thrown.
 */
export function _writeOutput(
  cur: _CurrentTask,
  stream: "stdout" | "stderr" | "data",
  text: string,
): boolean {
  const out = cur.opts?.out;
  if (!out) return false;
  try {
    cur.fds ??= {};
    const fd = cur.fds[stream] ??= _openAppend(out[stream]);
    writeSync(fd, text);
  } catch { /* the task's output is lost, not the task */ }
  return true;
}

/** Opens a file to append to, making its directory (0700) when it does not exist yet. */
function _openAppend(path: string): number {
  try {
    return openSync(path, "a", 0o600);
  } catch (error) {
    if ((error as { code?: string }).code !== "ENOENT") throw error;
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    return openSync(path, "a", 0o600);
  }
}

/** Closes the task's output files. */
export function _closeOutput(cur: _CurrentTask): void {
  for (const fd of Object.values(cur.fds ?? {})) {
    try {
      closeSync(fd);
    } catch { /* already closed */ }
  }
  cur.fds = undefined;
}

export const _state: {
  current: _CurrentTask | undefined;
  /** Posts a message to the owner; undefined outside a pool worker. */
  post: ((msg: unknown, transfer?: Transferable[]) => void) | undefined;
  /** Called before an event is posted, so that results already computed go first. */
  beforeEvent: (() => void) | undefined;
  /** Pending work-queue reads by request id. */
  reads: Map<number, (item: { v: unknown; d: boolean }) => void>;
  nextRead: number;
} = {
  current: undefined,
  post: undefined,
  beforeEvent: undefined,
  reads: new Map(),
  nextRead: 1,
};
