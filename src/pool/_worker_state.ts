/**
 * @internal The state a worker shares between its entry (`worker.ts`) and the worker-side API
 * (`context`, `workQueue`). One instance per worker thread.
 */
import type { _WireOptions } from "./_protocol.ts";
import { _lazyBuiltin } from "./_builtins.ts";

/** The task that is running on this worker right now. */
export interface _CurrentTask {
  id: number;
  opts: _WireOptions | undefined;
  controller: AbortController | undefined;
  aborted: boolean;
}

/**
 * Appends text to one of the task's output files (`opts.out`), making its directory on first
 * use; false when the task has no output files. Each write opens and closes the file, so that a
 * worker terminated in the middle of a task leaves no descriptor open in the process. A failed
 * write (a full disk) is dropped, not thrown.
 */
export function _writeOutput(
  cur: _CurrentTask,
  stream: "stdout" | "stderr" | "data",
  text: string | Uint8Array,
): boolean {
  const out = cur.opts?.out;
  if (!out) return false;
  try {
    _append(out[stream], text);
  } catch { /* the task's output is lost, not the task */ }
  return true;
}

/** Appending, never through a symlink planted at the path (a task's files are in a bgt home). */
function _append(path: string, text: string | Uint8Array): void {
  // Loaded on first use: most workers never write a file, and `node:fs` costs every start.
  const fs = _lazyBuiltin<typeof import("node:fs")>("node:fs");
  const { dirname } = _lazyBuiltin<typeof import("node:path")>("node:path");
  const c = fs.constants;
  const append = c.O_WRONLY | c.O_CREAT | c.O_APPEND | c.O_NOFOLLOW;
  let fd: number;
  try {
    fd = fs.openSync(path, append, 0o600);
  } catch (error) {
    if ((error as { code?: string }).code !== "ENOENT") throw error;
    fs.mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    fd = fs.openSync(path, append, 0o600);
  }
  try {
    fs.writeFileSync(fd, text);
  } finally {
    fs.closeSync(fd);
  }
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
