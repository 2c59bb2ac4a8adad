/**
 * @internal The state a worker shares between its entry (`worker.ts`) and the worker-side API
 * (`context`, `workQueue`). One instance per worker thread.
 */
import type { _WireOptions } from "./_protocol.ts";

/** The task that is running on this worker right now. */
export interface _CurrentTask {
  id: number;
  opts: _WireOptions | undefined;
  controller: AbortController | undefined;
  aborted: boolean;
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
