/**
 * What a shared store (PostgreSQL: several supervisors, one per home and host) adds so that a
 * task's output and its control work from every host (DESIGN §11):
 *
 * - {@linkcode OutputStore}: the executing supervisor ships each stream's bytes in chunks into an
 *   append-only table, idempotent by (task, attempt, stream, offset); any host reads them back.
 * - {@linkcode ControlStore}: a request for a task another supervisor runs (a signal, bytes for
 *   its stdin) is a row addressed to that supervisor plus a NOTIFY; the owner acts and records
 *   the outcome in the row, which the requester reads.
 *
 * The embedded SQLite store has one host and neither (its `output` and `control` are undefined).
 *
 * @example
 * ```ts
 * await store.output?.ship([{ taskId: 7, attempt: 1, stream: "stdout", offset: 0, data }]);
 * const chunks = await store.output?.read(7, { stdout: 0, stderr: 0, data: 0 });
 * ```
 */
import type { StreamName } from "./task_files.ts";

/** A run of bytes of one stream: `data` is the stream's bytes from `offset` on. */
export interface OutputChunk {
  taskId: number;
  attempt: number;
  stream: StreamName;
  offset: number;
  data: Uint8Array;
}

/** The chunks of a stream that end at or before `before` are to be deleted (`--retain`). */
export interface OutputTrim {
  taskId: number;
  stream: StreamName;
  before: number;
}

/** The shipped output of tasks. */
export interface OutputStore {
  /**
   * Inserts the chunks, after deleting what `trims` name (`--retain` dropped it), all in one
   * transaction: a reader never sees new chunks past a gap the trim had not yet closed. A chunk
   * already there (same key) is kept unless the new one is longer (a re-sent chunk that grew:
   * its first sending committed but was reported failed), so no byte is lost.
   */
  ship(chunks: readonly OutputChunk[], trims?: readonly OutputTrim[]): Promise<void>;
  /** Deletes the chunks of `stream` that end at or before `before` (`--retain` dropped them). */
  trim(taskId: number, stream: StreamName, before: number): Promise<void>;
  /** Each stream's end as shipped so far (0 when nothing is): where a resumed shipper goes on. */
  shippedEnds(taskId: number): Promise<Record<StreamName, number>>;
  /** The chunks that reach past each stream's `from`, in stream and offset order (at most `limit` bytes' worth). */
  read(
    taskId: number,
    from: Record<StreamName, number>,
    limit?: number,
  ): Promise<OutputChunk[]>;
  /** Each stream's first shipped byte still kept (the kept start), when any chunk is. */
  starts(taskId: number): Promise<Partial<Record<StreamName, number>>>;
}

/** What a control request asks of the owning supervisor. */
export type ControlAction =
  | { kind: "signal"; signal: string }
  | { kind: "send"; data: Uint8Array; eof: boolean }
  /** The task was removed: delete its local files (and stop shipping them). */
  | { kind: "forget" };

/** How the owner answered: done (`already`: it was in the asked state), or an error. */
export type ControlOutcome =
  | { ok: true; already?: string }
  | { ok: false; code?: string; name?: string; message: string };

/** A request as the owning supervisor reads it. */
export interface ControlRequest {
  id: number;
  taskId: number;
  action: ControlAction;
}

/** Control requests between supervisors. */
export interface ControlStore {
  /** Records a request for `owner` and NOTIFYs it; returns the request's id. */
  request(owner: string, taskId: number, action: ControlAction): Promise<number>;
  /** The outcome once the owner recorded one (the row is then deleted); undefined before. */
  outcome(id: number): Promise<ControlOutcome | undefined>;
  /** Withdraws a request nobody answered (the owner may still act on it if it reads it first). */
  withdraw(id: number): Promise<void>;
  /** The requests addressed to `owner` not answered yet, oldest first. */
  pending(owner: string): Promise<ControlRequest[]>;
  /** Records the owner's answer. */
  answer(id: number, outcome: ControlOutcome): Promise<void>;
  /** Calls `onRequest` on each NOTIFY of a request for `owner`, and on a poll (the guarantee). */
  listen(owner: string, onRequest: () => void): Promise<() => Promise<void>>;
}
