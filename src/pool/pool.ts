/**
 * A pool of Web Workers that runs module exports and functions given by value.
 *
 * @module
 */
import { embeddedUrl } from "../runtime/embedded_url.ts";
import { availableParallelism } from "node:os";
import { resolve as resolvePath } from "node:path";
import { pathToFileURL } from "node:url";
import {
  type _WireOptions,
  type _WireTask,
  MSG_ABORT,
  MSG_EVENT,
  MSG_QUEUE_ITEM,
  MSG_QUEUE_READ,
  MSG_QUEUE_WRITE,
  MSG_RESULTS,
  MSG_RUN,
  type PoolEvent,
} from "./_protocol.ts";
import { _Deque, _PriorityQueue } from "./_priority_queue.ts";
import {
  _deserializeError,
  type _SerializedError,
  AbortError,
  PoolClosedError,
  TimeoutError,
  WorkerCrashedError,
} from "./errors.ts";
import { fnSource } from "./fn_source.ts";
import { findTransferables } from "./transfer.ts";

export type { PoolEvent } from "./_protocol.ts";

/** What a pool runs: a module URL (`"./job.ts#train"`, a `URL`), or a function given by value. */
export type RunTarget = string | URL | ((...args: any[]) => unknown);

/** Options of {@linkcode Pool}. */
export interface PoolOptions {
  /**
   * How many workers run at once. Workers start when tasks need them.
   * @default the available cores (`navigator.hardwareConcurrency`, `os.availableParallelism()`)
   */
  size?: number;
  /**
   * How long a cancelled or timed-out task may keep running after its `context.signal` aborted,
   * before its worker is terminated (and replaced). Milliseconds.
   * @default 2000
   */
  graceMs?: number;
  /**
   * How many plain tasks may be sent to one worker before earlier ones finished (pipelining), once
   * every worker is busy. Tasks with `context`, `captureConsole`, `timeout` or a work queue never
   * share a worker (so their output is theirs and their timeout counts from their start). `1`
   * disables pipelining.
   * @default 1024
   */
  maxInFlight?: number;
  /**
   * How many tasks one worker runs at once: while a task awaits (a timer, I/O), its worker starts
   * the next one, as piscina's option of the same name. For async tasks: 100 one-second
   * `setTimeout` sleeps take one second on a single worker with `concurrentTasksPerWorker: 100`,
   * where one task per worker needs 100 workers (and their start-up). A sync task still holds
   * its worker until it returns. Above 1, a worker gets no more than this many tasks (no
   * pipelining beyond it, `maxInFlight` does not apply), idle slots on started workers are used
   * before a new worker starts, and tasks with `signal`, `timeout`, `onEvent`, `context`,
   * `captureConsole`, `outputFiles`, `cwd`/`env` or a work queue still run alone on their worker
   * (so their timeout counts from their own start, and stopping one stops no other). If a worker
   * crashes, every task running on it rejects with a `WorkerCrashedError`.
   *
   * @example
   * ```ts
   * import { Pool } from "./pool.ts";
   * const pool = new Pool({ size: 2, concurrentTasksPerWorker: 50 });
   * const nap = (ms: number) => new Promise((r) => setTimeout(() => r(ms), ms));
   * await Promise.all(Array.from({ length: 100 }, () => pool.run(nap, [1000]))); // ~1 s
   * await pool.close();
   * ```
   * @default 1
   */
  concurrentTasksPerWorker?: number;
}

/** Options of {@linkcode Pool.run}. */
export interface RunOptions {
  /**
   * ArrayBuffers (or other transferables) to move to the worker instead of copying them;
   * `"auto"` moves every ArrayBuffer found in `args`. The caller's buffers are detached.
   * ArrayBuffers in the return value always move back.
   * @default [] (copy)
   */
  transfer?: readonly Transferable[] | "auto";
  /** Cancels the task: it rejects with an `AbortError`. @default undefined */
  signal?: AbortSignal;
  /** Milliseconds the task may run before it rejects with a `TimeoutError`. @default undefined */
  timeout?: number;
  /** Higher runs first; equal priorities run in submission order. @default 0 */
  priority?: number;
  /**
   * Values a function given by value may use, by name (the seed's `writeup`). Only for functions.
   * @default {}
   */
  capture?: Readonly<Record<string, unknown>>;
  /** Plain data the task reads through `context` (`context.id`, …). @default undefined */
  context?: {
    id: number;
    attempt?: number;
    meta?: Record<string, unknown>;
    /** The checkpoint of an earlier attempt, given to `context.lastCheckpoint`. */
    checkpoint?: unknown;
  };
  /** Receives the task's progress, data and (with `captureConsole`) output. @default undefined */
  onEvent?: (event: PoolEvent) => void;
  /**
   * Deliver the task's `console.log/info/debug` (as `stdout`) and `console.error/warn` (as
   * `stderr`) to `onEvent` instead of printing them.
   * @default false
   */
  captureConsole?: boolean;
  /**
   * Append the task's console output (`stdout`, `stderr`) and `context.emit()` records (`data`,
   * as JSON lines) to these files from inside the worker, before the call returns — so that no
   * line is lost if this process dies a moment later. Overrides `captureConsole` for output.
   * @default undefined
   */
  outputFiles?: { stdout: string; stderr: string; data: string };
  /** Overrides the pool's `graceMs` for this task. @default the pool's `graceMs` */
  graceMs?: number;
  /**
   * The working directory and environment the task runs in, set in its worker before the call.
   * Both belong to the whole process (Bun's `process.chdir` in a worker moves every thread), so
   * this is for a one-worker pool running one task at a time in a process of its own, as bgt's
   * worker hosts do. Where the runtime refuses `chdir` in a worker (Deno), the directory stays.
   *
   * @example
   * ```ts
   * await pool.run(url, [], { cwd: "/srv/app", env: { NODE_ENV: "production" } });
   * ```
   * @default undefined
   */
  cwd?: string;
  /** The whole environment the task sees (`process.env` is replaced); see `cwd`. */
  env?: Record<string, string>;
  /** @internal Binds the task to a work queue (set by `WorkQueue.map`). */
  queue?: { readonly _id: number };
}

/** @internal A work queue as the pool sees it. */
export interface _QueueHandler {
  /** A worker wants an item; `reply` returns false when the worker is gone (keep the item). */
  read(reply: (value: unknown, done: boolean) => boolean): void;
  write(items: unknown[]): void;
}

interface _Slot {
  worker: Worker;
  inflight: _Deque<_Job>;
  out: _Job[];
  sentFns: Set<number>;
  exclusive: boolean;
  retiring: boolean;
  dead: boolean;
  refd: boolean;
}

interface _Job {
  id: number;
  key: string | number;
  label: string;
  src: string | undefined;
  args: unknown[];
  transfer: Transferable[];
  wire: _WireOptions | undefined;
  priority: number;
  exclusive: boolean;
  resolve: (v: any) => void;
  reject: (e: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  timeout: number | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
  graceMs: number;
  onEvent: ((e: PoolEvent) => void) | undefined;
  slot: _Slot | undefined;
  /** 0 queued, 1 sent, 2 running (head of its worker), 3 stopping, 4 settled */
  state: number;
  stopError: Error | undefined;
}

const _fnIds = new WeakMap<object, { id: number; src: string }>();
let _nextFnId = 1;
let _nextJobId = 1;

function _ping(): number {
  return 0;
}

function _defaultSize(): number {
  const n = (globalThis.navigator as { hardwareConcurrency?: number } | undefined)
    ?.hardwareConcurrency;
  if (typeof n === "number" && n > 0) return n;
  try {
    return Math.max(1, availableParallelism());
  } catch {
    return 1;
  }
}

function _checkSize(n: unknown, what: string): number {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1) {
    throw new RangeError(`Cannot set ${what}: expected an integer ≥ 1, got ${String(n)}`);
  }
  return n;
}

function _ref(slot: _Slot, on: boolean): void {
  if (slot.refd === on) return;
  slot.refd = on;
  const w = slot.worker as Worker & { ref?: () => void; unref?: () => void };
  if (on) w.ref?.();
  else w.unref?.();
}

/**
 * A pool of Web Workers. Each worker imports a module once and keeps it; tasks wait in a priority
 * queue; a crashed, cancelled or timed-out worker fails only its task and is replaced.
 *
 * Idle workers do not keep the process alive (on Bun); busy ones do.
 *
 * @example
 * ```ts
 * import { Pool } from "./pool.ts";
 * const pool = new Pool({ size: 2 });
 * const twice = await pool.run((x: number) => x * 2, [21]); // 42
 * const scaled = await pool.run((x: number) => x * scale, [21], { capture: { scale: 2 } });
 * const buf = new ArrayBuffer(1 << 20);
 * await pool.run((b: ArrayBuffer) => b.byteLength, [buf], { transfer: [buf] }); // buf is moved
 * await pool.close();
 * ```
 */
export class Pool {
  #size: number;
  #graceMs: number;
  #maxInFlight: number;
  #perWorker: number;
  #slots: _Slot[] = [];
  #live = 0;
  #queue = new _PriorityQueue<_Job>();
  #jobs = new Map<number, _Job>();
  #queues = new Map<number, _QueueHandler>();
  #pumpScheduled = false;
  #closed = false;
  #drained: (() => void) | undefined;
  #keys = new Map<string, { key: string; label: string }>();
  #workerURL: string;

  /**
   * Creates a pool. No worker starts until a task needs one.
   *
   * @param options See {@linkcode PoolOptions}.
   * @throws {RangeError} When `size`, `graceMs`, `maxInFlight` or `concurrentTasksPerWorker` is
   * out of range.
   */
  constructor(options: PoolOptions = {}) {
    this.#size = options.size === undefined ? _defaultSize() : _checkSize(options.size, "size");
    const g = options.graceMs ?? 2000;
    if (typeof g !== "number" || !(g >= 0)) {
      throw new RangeError(`Cannot create the pool: graceMs must be ≥ 0, got ${g}`);
    }
    this.#graceMs = g;
    this.#maxInFlight = options.maxInFlight === undefined
      ? 1024
      : _checkSize(options.maxInFlight, "maxInFlight");
    this.#perWorker = options.concurrentTasksPerWorker === undefined
      ? 1
      : _checkSize(options.concurrentTasksPerWorker, "concurrentTasksPerWorker");
    this.#workerURL = embeddedUrl(new URL("./worker.ts", import.meta.url), "src/pool/worker.ts");
  }

  /** How many workers may run at once. Setting it resizes the pool (see {@linkcode resize}). */
  get size(): number {
    return this.#size;
  }

  set size(n: number) {
    this.resize(n);
  }

  /** Workers alive now (started, not retired). */
  get workers(): number {
    return this.#live;
  }

  /** Tasks waiting for a worker. */
  get queued(): number {
    return this.#queue.size;
  }

  /** Tasks sent to workers and not finished. */
  get inFlight(): number {
    return this.#jobs.size - this.#queue.size;
  }

  /**
   * Changes the number of workers while running. Growing starts workers for waiting tasks;
   * shrinking stops idle workers now and busy ones when their tasks finish.
   *
   * @param n The new size.
   * @throws {RangeError} When `n` is not an integer ≥ 1.
   *
   * @example
   * ```ts
   * import { Pool } from "./pool.ts";
   * const pool = new Pool({ size: 1 });
   * pool.resize(4); // or: pool.size = 4
   * await pool.close();
   * ```
   */
  resize(n: number): void {
    this.#size = _checkSize(n, "the pool size");
    let excess = this.#live - n;
    for (let i = this.#slots.length - 1; i >= 0 && excess > 0; i--) {
      const s = this.#slots[i];
      if (!s.retiring && s.inflight.length === 0) {
        this.#retire(s);
        excess--;
      }
    }
    for (let i = this.#slots.length - 1; i >= 0 && excess > 0; i--) {
      const s = this.#slots[i];
      if (!s.retiring) {
        s.retiring = true;
        this.#live--;
        excess--;
      }
    }
    this.#schedule();
  }

  /**
   * Runs `target(...args)` on a worker and resolves to its return value.
   *
   * @param target A module URL with an optional `#export` (the default export otherwise), or a
   * function given by value (it runs in a clean scope: pass outside values with `capture`).
   * @param args Structured-clonable arguments. @default []
   * @param options See {@linkcode RunOptions}.
   * @returns The return value (ArrayBuffers in it are moved back).
   * @throws {TypeError} At once, for a bad target (native or bound function), args or options.
   * Rejects with the task's own error (same `name`, `message`, `stack`), an `AbortError`, a
   * `TimeoutError`, a `WorkerCrashedError` or a `PoolClosedError`; a module that cannot be
   * loaded rejects with a `ModuleLoadError` ("Cannot run ./x.ts#train: the module has no export
   * 'train'").
   *
   * @example
   * ```ts
   * import { Pool } from "./pool.ts";
   * const pool = new Pool({ size: 1 });
   * const events: unknown[] = [];
   * // A module file's export (new URL("./job.ts#train", import.meta.url)), or a function:
   * await pool.run((file: string) => file.length, ["data.csv"], {
   *   context: { id: 1 },
   *   captureConsole: true,
   *   onEvent: (e) => events.push(e),
   *   timeout: 60_000,
   * });
   * await pool.close();
   * ```
   */
  run<T = unknown>(
    target: RunTarget,
    args: readonly unknown[] = [],
    options: RunOptions = {},
  ): Promise<T> {
    if (!Array.isArray(args)) {
      throw new TypeError("Cannot run the task: args must be an array");
    }
    let key: string | number;
    let label: string;
    let src: string | undefined;
    let wire: _WireOptions | undefined;
    if (typeof target === "function") {
      let f = _fnIds.get(target);
      if (f === undefined) {
        f = { id: _nextFnId++, src: fnSource(target) };
        _fnIds.set(target, f);
      }
      key = f.id;
      src = f.src;
      label = target.name || "(anonymous function)";
      const capture = options.capture;
      if (capture !== undefined) {
        if (typeof capture !== "object" || capture === null) {
          throw new TypeError("Cannot run the function: capture must be an object of values");
        }
        const names = Object.keys(capture);
        if (names.length > 0) {
          for (const n of names) {
            if (!/^[A-Za-z_$][\w$]*$/.test(n)) {
              throw new TypeError(`Cannot run the function: '${n}' is not a valid capture name`);
            }
          }
          wire = { capN: names, capV: Object.values(capture) };
        }
      }
    } else if (typeof target === "string" || target instanceof URL) {
      if (options.capture !== undefined) {
        throw new TypeError("Cannot run a module with capture: capture is only for functions");
      }
      const k = this.#moduleKey(target);
      key = k.key;
      label = k.label;
    } else {
      throw new TypeError(
        `Cannot run the task: target must be a module URL or a function, got ${typeof target}`,
      );
    }
    const {
      transfer,
      signal,
      timeout,
      priority = 0,
      context,
      onEvent,
      captureConsole,
      outputFiles,
      cwd,
      env,
    } = options;
    let tr: Transferable[];
    if (transfer === undefined) tr = [];
    else if (transfer === "auto") tr = findTransferables(args);
    else if (Array.isArray(transfer)) tr = transfer.slice();
    else throw new TypeError('Cannot run the task: transfer must be an array or "auto"');
    if (timeout !== undefined && (typeof timeout !== "number" || !(timeout > 0))) {
      throw new RangeError(`Cannot run the task: timeout must be > 0 ms, got ${timeout}`);
    }
    if (typeof priority !== "number" || Number.isNaN(priority)) {
      throw new TypeError(`Cannot run the task: priority must be a number, got ${priority}`);
    }
    const graceMs = options.graceMs ?? this.#graceMs;
    if (typeof graceMs !== "number" || !(graceMs >= 0)) {
      throw new RangeError(`Cannot run the task: graceMs must be ≥ 0, got ${graceMs}`);
    }
    if (onEvent !== undefined && typeof onEvent !== "function") {
      throw new TypeError("Cannot run the task: onEvent must be a function");
    }
    if (context !== undefined) {
      if (typeof context !== "object" || context === null || typeof context.id !== "number") {
        throw new TypeError("Cannot run the task: context must be an object with a numeric id");
      }
      wire = {
        ...wire,
        ctx: {
          id: context.id,
          attempt: context.attempt,
          meta: context.meta,
          checkpoint: context.checkpoint,
        },
      };
    }
    if (captureConsole === true) wire = { ...wire, cc: true };
    if (outputFiles !== undefined) wire = { ...wire, out: outputFiles };
    if (cwd !== undefined || env !== undefined) wire = { ...wire, cwd, env };
    if (options.queue !== undefined) wire = { ...wire, q: options.queue._id };
    if (this.#closed) return Promise.reject(new PoolClosedError());
    if (signal?.aborted) return Promise.reject(new AbortError(undefined, { cause: signal.reason }));

    return new Promise<T>((resolve, reject) => {
      const job: _Job = {
        id: _nextJobId++,
        key,
        label,
        src,
        args: args as unknown[],
        transfer: tr,
        wire,
        priority,
        exclusive: context !== undefined || captureConsole === true || outputFiles !== undefined ||
          cwd !== undefined || env !== undefined ||
          options.queue !== undefined ||
          timeout !== undefined ||
          // Running beside others, these would lose track of which task an event or an abort
          // is for; `ready()`'s pings must each start a worker of their own.
          (this.#perWorker > 1 &&
            (signal !== undefined || onEvent !== undefined || target === _ping)),
        resolve,
        reject,
        signal,
        onAbort: undefined,
        timeout,
        timer: undefined,
        graceMs,
        onEvent,
        slot: undefined,
        state: 0,
        stopError: undefined,
      };
      if (signal !== undefined) {
        job.onAbort = () => this.#stop(job, new AbortError(undefined, { cause: signal.reason }));
        signal.addEventListener("abort", job.onAbort, { once: true });
      }
      this.#jobs.set(job.id, job);
      this.#queue.push(job, priority);
      this.#schedule();
    });
  }

  /**
   * Starts every worker now (up to `size`) and resolves once each has answered, so that the first
   * tasks do not pay for worker start-up.
   *
   * @example
   * ```ts
   * import { Pool } from "./pool.ts";
   * const pool = new Pool({ size: 110 });
   * await pool.ready(); // 110 workers are up
   * await pool.close();
   * ```
   */
  async ready(): Promise<void> {
    const missing = this.#size - this.#live + this.#slots.filter((s) => s.inflight.length > 0)
      .length;
    const runs: Promise<unknown>[] = [];
    for (let i = 0; i < missing; i++) runs.push(this.run(_ping));
    await Promise.all(runs);
  }

  /**
   * Stops taking tasks, waits for queued and running ones to finish, then stops the workers.
   *
   * @example
   * ```ts
   * import { Pool } from "./pool.ts";
   * const pool = new Pool();
   * const p = pool.run(() => 1);
   * await pool.close(); // p has settled
   * ```
   */
  close(): Promise<void> {
    this.#closed = true;
    if (this.#jobs.size === 0) {
      this.#stopAll();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const prev = this.#drained;
      this.#drained = () => {
        prev?.();
        resolve();
      };
    });
  }

  /**
   * Stops every worker now; queued and running tasks reject with a `PoolClosedError`.
   *
   * @example
   * ```ts
   * import { Pool } from "./pool.ts";
   * const pool = new Pool();
   * pool.run(() => { while (true); }).catch(() => {});
   * await pool.terminate();
   * ```
   */
  terminate(): Promise<void> {
    this.#closed = true;
    const err = new PoolClosedError("Cannot finish the task: the pool was terminated");
    for (const job of [...this.#jobs.values()]) this.#settle(job, false, err);
    this.#queue.drain();
    this.#stopAll();
    const d = this.#drained;
    this.#drained = undefined;
    d?.();
    return Promise.resolve();
  }

  /** Closes the pool (`await using pool = new Pool()`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** @internal Connects a work queue to this pool's workers. */
  _attachQueue(id: number, handler: _QueueHandler | undefined): void {
    if (handler === undefined) this.#queues.delete(id);
    else this.#queues.set(id, handler);
  }

  // ---------------------------------------------------------------- internals

  #moduleKey(target: string | URL): { key: string; label: string } {
    const s = typeof target === "string" ? target : target.href;
    let k = this.#keys.get(s);
    if (k !== undefined) return k;
    let href: string;
    if (typeof target !== "string" || /^[a-zA-Z][a-zA-Z\d+.-]+:/.test(target)) {
      href = s;
    } else {
      const i = s.indexOf("#");
      const path = i < 0 ? s : s.slice(0, i);
      if (path === "") throw new TypeError("Cannot run the task: the module path is empty");
      href = pathToFileURL(resolvePath(path)).href + (i < 0 ? "" : s.slice(i));
    }
    let u: URL;
    try {
      u = new URL(href);
    } catch {
      throw new TypeError(`Cannot run ${s}: not a valid module URL`);
    }
    const exp = u.hash.length > 1 ? decodeURIComponent(u.hash.slice(1)) : "default";
    u.hash = "";
    k = { key: `${u.href}#${exp}`, label: s };
    if (this.#keys.size > 10_000) this.#keys.clear();
    this.#keys.set(s, k);
    return k;
  }

  #schedule(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    queueMicrotask(() => this.#pump());
  }

  #spawn(): _Slot {
    const worker = new Worker(this.#workerURL, { type: "module" });
    const slot: _Slot = {
      worker,
      inflight: new _Deque<_Job>(),
      out: [],
      sentFns: new Set(),
      exclusive: false,
      retiring: false,
      dead: false,
      refd: true,
    };
    worker.addEventListener("message", (e: MessageEvent) => this.#onMessage(slot, e.data));
    worker.addEventListener("error", (e: Event) => {
      e.preventDefault();
      const ee = e as ErrorEvent;
      const msg = ee.message || String(ee.error ?? "unknown error");
      this.#crash(slot, msg, ee.error);
    });
    worker.addEventListener("messageerror", (e: Event) => {
      e.preventDefault?.();
      this.#crash(slot, "a message could not be read", undefined);
    });
    worker.addEventListener("close", () => this.#crash(slot, "the worker exited", undefined));
    this.#slots.push(slot);
    this.#live++;
    return slot;
  }

  #pump(): void {
    this.#pumpScheduled = false;
    const q = this.#queue;
    const slots = this.#slots;
    const perWorker = this.#perWorker;
    while (q.size > 0) {
      const job = q.peek()!;
      let slot: _Slot | undefined;
      if (perWorker > 1 && !job.exclusive) {
        // A free place on a started worker first (the least busy), a new worker only if none.
        let best = perWorker;
        for (let i = 0; i < slots.length; i++) {
          const s = slots[i];
          if (!s.retiring && !s.exclusive && s.inflight.length < best) {
            best = s.inflight.length;
            slot = s;
          }
        }
        if (slot === undefined && this.#live < this.#size) slot = this.#spawn();
        if (slot === undefined) break;
        q.shift();
        this.#assign(slot, job);
        continue;
      }
      for (let i = 0; i < slots.length; i++) {
        const s = slots[i];
        if (s.inflight.length === 0 && !s.retiring) {
          slot = s;
          break;
        }
      }
      if (slot === undefined && this.#live < this.#size) slot = this.#spawn();
      if (slot === undefined) {
        if (job.exclusive || perWorker > 1) break;
        let best = this.#maxInFlight;
        for (let i = 0; i < slots.length; i++) {
          const s = slots[i];
          if (!s.retiring && !s.exclusive && s.inflight.length < best) {
            best = s.inflight.length;
            slot = s;
          }
        }
        if (slot === undefined) break;
      }
      q.shift();
      this.#assign(slot, job);
    }
    for (let i = 0; i < slots.length; i++) if (slots[i].out.length > 0) this.#flush(slots[i]);
  }

  #assign(slot: _Slot, job: _Job): void {
    job.slot = slot;
    job.state = 1;
    slot.inflight.push(job);
    slot.out.push(job);
    if (job.exclusive) slot.exclusive = true;
    // Above one task per worker, a worker starts every task it is sent at once.
    if (slot.inflight.length === 1 || this.#perWorker > 1) this.#becameHead(job);
    _ref(slot, true);
  }

  #becameHead(job: _Job): void {
    job.state = 2;
    if (job.timeout !== undefined) {
      const t = job.timeout;
      job.timer = setTimeout(() => {
        job.timer = undefined;
        this.#stop(job, new TimeoutError(`Cannot finish the task: it timed out after ${t} ms`));
      }, t);
    }
  }

  #wire(slot: _Slot, job: _Job, sent: Set<number> | undefined): _WireTask {
    let opts: _WireOptions | 0 = job.wire ?? 0;
    if (typeof job.key === "number" && !slot.sentFns.has(job.key) && !sent?.has(job.key)) {
      opts = { ...job.wire, src: job.src };
      sent?.add(job.key);
    }
    return [job.id, job.key, job.args, opts];
  }

  #flush(slot: _Slot): void {
    const jobs = slot.out;
    slot.out = [];
    const sent = new Set<number>();
    const b: _WireTask[] = new Array(jobs.length);
    let transfer: Transferable[] | undefined;
    for (let i = 0; i < jobs.length; i++) {
      const j = jobs[i];
      b[i] = this.#wire(slot, j, sent);
      if (j.transfer.length > 0) (transfer ??= []).push(...j.transfer);
    }
    try {
      slot.worker.postMessage(
        this.#perWorker > 1 && !slot.exclusive ? { t: MSG_RUN, b, c: 1 } : { t: MSG_RUN, b },
        transfer ?? [],
      );
      for (const id of sent) slot.sentFns.add(id);
      return;
    } catch {
      // Some task's args cannot be sent: send one by one so that only those fail.
    }
    for (const j of jobs) {
      if (j.state >= 3 || j.slot !== slot) continue;
      const fresh = new Set<number>();
      try {
        const b = [this.#wire(slot, j, fresh)];
        slot.worker.postMessage(
          this.#perWorker > 1 && !slot.exclusive ? { t: MSG_RUN, b, c: 1 } : { t: MSG_RUN, b },
          j.transfer,
        );
        for (const id of fresh) slot.sentFns.add(id);
      } catch (e) {
        this.#detach(slot, j);
        this.#settle(
          j,
          false,
          new TypeError(`Cannot send the task's arguments: ${(e as Error).message}`, { cause: e }),
        );
        this.#slotChanged(slot);
      }
    }
  }

  #onMessage(slot: _Slot, m: any): void {
    if (slot.dead) return;
    switch (m.t) {
      case MSG_RESULTS: {
        const r = m.r as unknown[];
        const jobs = this.#jobs;
        for (let i = 0; i < r.length; i += 3) {
          const job = jobs.get(r[i] as number);
          if (job === undefined || job.slot !== slot) continue;
          if (slot.inflight.peek() === job) slot.inflight.shift();
          else slot.inflight.remove(job);
          if (job.state === 3) this.#settle(job, false, job.stopError!);
          else if (r[i + 1] === 1) this.#settle(job, true, r[i + 2]);
          else this.#settle(job, false, this.#error(job, r[i + 2] as _SerializedError));
        }
        this.#slotChanged(slot);
        this.#pump();
        break;
      }
      case MSG_EVENT: {
        const job = this.#jobs.get(m.id);
        if (job?.onEvent !== undefined) {
          try {
            job.onEvent(m.e);
          } catch (e) {
            queueMicrotask(() => {
              throw e;
            });
          }
        }
        break;
      }
      case MSG_QUEUE_READ: {
        const h = this.#queues.get(m.q);
        const reply = (v: unknown, d: boolean): boolean => {
          if (slot.dead) return false;
          const tr = d ? [] : findTransferables(v);
          slot.worker.postMessage({ t: MSG_QUEUE_ITEM, r: m.r, v, d }, tr);
          return true;
        };
        if (h === undefined) reply(undefined, true);
        else h.read(reply);
        break;
      }
      case MSG_QUEUE_WRITE: {
        this.#queues.get(m.q)?.write(m.items);
        break;
      }
    }
  }

  #error(job: _Job, s: _SerializedError): Error {
    const e = _deserializeError(s);
    if (s.code === "MODULE_LOAD" && typeof job.key === "string") {
      e.message = e.message.replace(job.key, job.label);
      if (e.stack) e.stack = e.stack.replace(job.key, job.label);
    }
    return e;
  }

  /** After a slot's in-flight list changed: arm the new head, retire or unref when idle. */
  #slotChanged(slot: _Slot): void {
    if (slot.dead) return;
    const head = slot.inflight.peek();
    if (head === undefined) {
      slot.exclusive = false;
      if (slot.retiring) this.#retire(slot);
      else _ref(slot, false);
      this.#maybeDrained();
    } else if (head.state === 1) {
      this.#becameHead(head);
    }
  }

  #settle(job: _Job, ok: boolean, value: unknown): void {
    if (job.state === 4) return;
    job.state = 4;
    this.#jobs.delete(job.id);
    if (job.timer !== undefined) clearTimeout(job.timer);
    if (job.onAbort !== undefined) job.signal!.removeEventListener("abort", job.onAbort);
    job.slot = undefined;
    job.args = job.transfer = undefined as never;
    if (ok) job.resolve(value);
    else job.reject(value);
  }

  /** Removes a job that was sent but did not start from its slot. */
  #detach(slot: _Slot, job: _Job): void {
    const i = slot.out.indexOf(job);
    if (i >= 0) slot.out.splice(i, 1);
    else slot.worker.postMessage({ t: MSG_ABORT, id: job.id });
    slot.inflight.remove(job);
  }

  /** Cancels or times out a job, in steps: drop it if it has not started, else abort, wait, kill. */
  #stop(job: _Job, err: Error): void {
    switch (job.state) {
      case 0:
        this.#queue.remove(job, job.priority);
        this.#settle(job, false, err);
        this.#maybeDrained();
        return;
      case 1: {
        const slot = job.slot!;
        this.#detach(slot, job);
        this.#settle(job, false, err);
        this.#slotChanged(slot);
        return;
      }
      case 2: {
        const slot = job.slot!;
        if (slot.out.includes(job)) {
          // Not sent yet: nothing runs.
          this.#detach(slot, job);
          this.#settle(job, false, err);
          this.#slotChanged(slot);
          this.#schedule();
          return;
        }
        job.state = 3;
        job.stopError = err;
        if (job.timer !== undefined) clearTimeout(job.timer);
        slot.worker.postMessage({ t: MSG_ABORT, id: job.id });
        job.timer = setTimeout(() => {
          job.timer = undefined;
          if (job.state === 3 && job.slot === slot) this.#kill(slot, job, err);
        }, job.graceMs);
        return;
      }
    }
  }

  #crash(slot: _Slot, message: string, cause: unknown): void {
    if (slot.dead) return;
    const head = slot.inflight.peek();
    const err = head?.state === 3 ? head.stopError! : new WorkerCrashedError(
      `Cannot finish the task: its worker crashed: ${message}`,
      cause === undefined ? undefined : { cause },
    );
    this.#kill(slot, head, err);
  }

  /** Terminates a slot's worker: `failed` rejects, its other tasks go back to the queue. */
  #kill(slot: _Slot, failed: _Job | undefined, err: Error): void {
    this.#remove(slot);
    const rest = slot.inflight.toArray();
    const unsent = slot.out;
    slot.out = [];
    for (let i = rest.length - 1; i >= 0; i--) {
      const j = rest[i];
      if (j === failed) continue;
      if (this.#perWorker > 1 && !unsent.includes(j)) {
        // It ran beside the failed one (a worker starts all it is sent): it may have done part
        // of its work, so it is not run again.
        this.#settle(
          j,
          false,
          new WorkerCrashedError(err.message, err.cause === undefined ? {} : { cause: err.cause }),
        );
        continue;
      }
      if (j.timer !== undefined) clearTimeout(j.timer);
      j.timer = undefined;
      j.slot = undefined;
      j.state = 0;
      this.#queue.unshift(j, j.priority);
    }
    if (failed !== undefined) this.#settle(failed, false, err);
    this.#maybeDrained();
    this.#schedule();
  }

  #retire(slot: _Slot): void {
    this.#remove(slot);
  }

  #remove(slot: _Slot): void {
    if (slot.dead) return;
    slot.dead = true;
    if (!slot.retiring) this.#live--;
    const i = this.#slots.indexOf(slot);
    if (i >= 0) this.#slots.splice(i, 1);
    slot.worker.terminate();
  }

  #stopAll(): void {
    for (const s of [...this.#slots]) this.#remove(s);
  }

  #maybeDrained(): void {
    if (this.#closed && this.#jobs.size === 0) {
      this.#stopAll();
      const d = this.#drained;
      this.#drained = undefined;
      d?.();
    }
  }
}
