/**
 * The entry of every pool worker. The pool starts it with
 * `new Worker(new URL("./worker.ts", import.meta.url).href, { type: "module" })`; it is also the
 * second entrypoint of the compiled binary. It runs the tasks it is sent one at a time, in order,
 * and answers in batches.
 *
 * @module
 */
import {
  type _WireOptions,
  type _WireTask,
  MSG_ABORT,
  MSG_QUEUE_ITEM,
  MSG_RESULTS,
  MSG_RUN,
} from "./_protocol.ts";
import { type _CurrentTask, _state, _writeOutput } from "./_worker_state.ts";
import { _serializeError } from "./errors.ts";
import { compileFn, explainFreeVariable } from "./fn_source.ts";
import { findTransferables } from "./transfer.ts";
import { _abortReason, context } from "./context.ts";
import { workQueue } from "./worker_queue.ts";
import { _lazyBuiltin, _process as process } from "./_builtins.ts";
import { registerVirtualModule } from "../runtime/virtual_module.ts";

type _Fn = (...args: unknown[]) => unknown;

/** `util.format`, loaded when a task first logs through a captured console. */
function format(...args: unknown[]): string {
  return _lazyBuiltin<typeof import("node:util")>("node:util").format(...args);
}

const _scope = globalThis as unknown as {
  postMessage(msg: unknown, transfer?: Transferable[]): void;
  addEventListener(type: "message", cb: (e: MessageEvent) => void): void;
};

registerVirtualModule("bgt", { context, workQueue });

// ---- outgoing results, batched ----
let _out: unknown[] = [];
let _outTransfer: Transferable[] = [];
/** When the oldest unsent result was made; results older than 2 ms go out before the next task. */
let _outSince = 0;

function _flush(): void {
  if (_out.length === 0) return;
  const r = _out;
  const tr = _outTransfer;
  _out = [];
  _outTransfer = [];
  try {
    _scope.postMessage({ t: MSG_RESULTS, r }, tr);
  } catch {
    // One value is not clonable: send them one by one so that only that task fails.
    for (let i = 0; i < r.length; i += 3) {
      try {
        _scope.postMessage({ t: MSG_RESULTS, r: [r[i], r[i + 1], r[i + 2]] }, tr);
      } catch (e) {
        const err = new Error(`Cannot return the task's result: ${(e as Error).message}`);
        err.name = "DataCloneError";
        _scope.postMessage({ t: MSG_RESULTS, r: [r[i], 0, _serializeError(err)] });
      }
    }
  }
}

_state.post = (msg, transfer) => _scope.postMessage(msg, transfer ?? []);
_state.beforeEvent = _flush;

// ---- console capture ----
const _console = console as unknown as Record<string, (...a: unknown[]) => void>;
for (
  const [method, stream] of [
    ["log", "stdout"],
    ["info", "stdout"],
    ["debug", "stdout"],
    ["error", "stderr"],
    ["warn", "stderr"],
  ] as const
) {
  const original = _console[method].bind(console);
  _console[method] = (...args: unknown[]) => {
    const cur = _state.current;
    if (cur !== undefined && _writeOutput(cur, stream, format(...args) + "\n")) return;
    if (cur !== undefined && cur.opts && cur.opts.cc) {
      _flush();
      _scope.postMessage({
        t: 1,
        id: cur.id,
        e: { type: stream, text: format(...args) + "\n" },
      });
    } else {
      original(...args);
    }
  };
}

// ---- process.stdout / process.stderr capture ----
// A task that writes to the streams directly (no newline, bytes) keeps that output too: it goes
// to the task's files like console output, not to the host's own stdout. Only tasks with output
// files need it, so the streams are patched before the first such task: merely touching
// `process.stdout` makes Bun build the stream (~10 ms of a worker's start, most of it).
let _streamsPatched = false;

function _patchStreams(): void {
  _streamsPatched = true;
  for (const stream of ["stdout", "stderr"] as const) {
    const target = process[stream] as unknown as { write: (...a: unknown[]) => boolean };
    const original = target.write.bind(target);
    target.write = (chunk: unknown, encoding?: unknown, callback?: unknown) => {
      const cur = _state.current;
      const bytes = typeof chunk === "string" || chunk instanceof Uint8Array ? chunk : undefined;
      if (cur !== undefined && bytes !== undefined && _writeOutput(cur, stream, bytes)) {
        const done = typeof encoding === "function" ? encoding : callback;
        if (typeof done === "function") queueMicrotask(() => done());
        return true;
      }
      return original(chunk, encoding, callback);
    };
  }
}

// ---- caches ----
const _sources = new Map<number, string>();
const _factories = new Map<string, (...captured: unknown[]) => _Fn>();
const _plainFns = new Map<number, _Fn>();
const _modules = new Map<string, Record<string, unknown> | Promise<Record<string, unknown>>>();

/**
 * A module that cannot be loaded or lacks the export. When loading threw, the stack is the
 * cause's frames (where the module's own code failed), not the worker's.
 */
function _moduleError(key: string, message: string, cause?: unknown): Error {
  const e = new Error(`Cannot run ${key}: ${message}`, cause ? { cause } : undefined);
  e.name = "ModuleLoadError";
  (e as Error & { code: string }).code = "MODULE_LOAD";
  const causeStack = (cause as Error | undefined)?.stack;
  if (typeof causeStack === "string") {
    const frames = causeStack.split("\n").filter((line) => /^\s+at /.test(line));
    e.stack = [`${e.name}: ${e.message}`, ...frames].join("\n");
  }
  return e;
}

function _pickExport(key: string, mod: Record<string, unknown>, name: string): _Fn {
  if (!(name in mod)) {
    throw _moduleError(
      key,
      name === "default"
        ? "the module has no default export; name one with #export"
        : `the module has no export '${name}'`,
    );
  }
  const fn = mod[name];
  if (typeof fn !== "function") {
    throw _moduleError(key, `export '${name}' is not a function (it is ${typeof fn})`);
  }
  return fn as _Fn;
}

/** Resolves a module target; returns the function or a promise of it. */
function _moduleFn(key: string): _Fn | Promise<_Fn> {
  const hash = key.lastIndexOf("#");
  const url = key.slice(0, hash);
  const name = key.slice(hash + 1);
  const cached = _modules.get(url);
  if (cached !== undefined && !(cached instanceof Promise)) return _pickExport(key, cached, name);
  let p = cached as Promise<Record<string, unknown>> | undefined;
  if (p === undefined) {
    // A module file whose path is not UTF-8 is imported through its stand-in (Bun only); the
    // helper is loaded only then (it loads `node:fs` and `node:url`, a cost at every start).
    p = (url.includes(".bgt-raw-") ? _registerRawModules(url) : Promise.resolve()).then(() =>
      import(url)
    ).then(
      (m: Record<string, unknown>) => {
        _modules.set(url, m);
        return m;
      },
      (e: unknown) => {
        _modules.delete(url);
        throw _moduleError(key, `cannot load the module: ${(e as Error)?.message ?? e}`, e);
      },
    );
    _modules.set(url, p);
  }
  return p.then((m) => _pickExport(key, m, name));
}

async function _registerRawModules(url: string): Promise<void> {
  const raw = await import("../runtime/raw_path_modules.ts");
  if (raw.isRawModuleUrl(url)) raw.registerRawModules();
}

function _functionFn(id: number, opts: _WireOptions | undefined): _Fn {
  if (opts && opts.src !== undefined) _sources.set(id, opts.src);
  const names = opts && opts.capN;
  if (names === undefined || names.length === 0) {
    let fn = _plainFns.get(id);
    if (fn === undefined) {
      fn = _compile(id, [])();
      _plainFns.set(id, fn);
    }
    return fn;
  }
  const fkey = `${id}|${names.join(",")}`;
  let factory = _factories.get(fkey);
  if (factory === undefined) {
    factory = _compile(id, names);
    _factories.set(fkey, factory);
  }
  return factory(...opts!.capV!);
}

function _compile(id: number, names: string[]): (...captured: unknown[]) => _Fn {
  const src = _sources.get(id);
  if (src === undefined) throw new Error(`Cannot run function ${id}: its source was never sent`);
  try {
    return compileFn(src, names) as (...captured: unknown[]) => _Fn;
  } catch (e) {
    throw new SyntaxError(`Cannot compile the function sent by value: ${(e as Error).message}`);
  }
}

/**
 * The environment this worker had before a task replaced it (taken then: on Deno, listing the
 * environment needs a permission that a pool never using `env` must not require).
 */
let _initialEnv: Record<string, string | undefined> | undefined;
/** Whether a task's environment has replaced the initial one. */
let _envReplaced = false;

/**
 * Moves to the task's directory and environment, when it names them; a task that names no
 * environment after one that did gets the worker's initial one back. A directory that cannot be
 * entered fails the task (Deno, which refuses `chdir` in any worker, leaves it as it is).
 */
function _enterProcessState(opts: _WireOptions | undefined): void {
  if (opts === undefined) {
    if (_envReplaced) _replaceEnv(_initialEnv!, false);
    return;
  }
  if (opts.out !== undefined && !_streamsPatched) _patchStreams();
  if (opts.cwd !== undefined) {
    try {
      process.chdir(opts.cwd);
    } catch (error) {
      if ((error as { code?: string }).code !== "ERR_WORKER_UNSUPPORTED_OPERATION") {
        throw new Error(`Cannot run the task in ${opts.cwd}: ${(error as Error).message}`);
      }
    }
  }
  if (opts.env !== undefined) {
    _initialEnv ??= { ...process.env };
    _replaceEnv(opts.env, true);
  } else if (_envReplaced) _replaceEnv(_initialEnv!, false);
}

function _replaceEnv(env: Record<string, string | undefined>, replaced: boolean): void {
  for (const name of Object.keys(process.env)) delete process.env[name];
  Object.assign(process.env, env);
  _envReplaced = replaced;
}

// ---- the run loop ----
const _queue: _WireTask[] = [];
let _head = 0;
let _running = false;
const _skipped = new Set<number>();

function _ok(id: number, value: unknown): void {
  if (_out.length === 0) _outSince = performance.now();
  _out.push(id, 1, value);
  if (typeof value === "object" && value !== null) {
    const t = findTransferables(value);
    for (let i = 0; i < t.length; i++) _outTransfer.push(t[i]);
  }
}

function _fail(id: number, e: unknown, byValue: boolean): void {
  if (_out.length === 0) _outSince = performance.now();
  _out.push(id, 0, _serializeError(byValue ? explainFreeVariable(e) : e));
}

/**
 * Whether the owner sends this worker several tasks to run at once (its
 * `concurrentTasksPerWorker` > 1): an async task does not hold back the next one. The owner sends
 * only as many as may run, and only tasks that need no per-task state across an `await` (no
 * context, events, console capture, signal or timeout).
 */
let _concurrent = false;
let _flushQueued = false;

function _settleLater(id: number, value: PromiseLike<unknown>, byValue: boolean): void {
  value.then(
    (v) => _ok(id, v),
    (e) => _fail(id, e, byValue),
  ).then(() => {
    // Results that settle in the same turn go out in one message.
    if (_flushQueued) return;
    _flushQueued = true;
    queueMicrotask(() => {
      _flushQueued = false;
      _flush();
    });
  });
}

async function _pump(): Promise<void> {
  _running = true;
  while (_head < _queue.length) {
    const task = _queue[_head];
    (_queue as unknown[])[_head++] = undefined;
    if (_head === _queue.length) {
      _queue.length = 0;
      _head = 0;
    }
    const id = task[0];
    if (_skipped.size > 0 && _skipped.delete(id)) continue;
    if (_out.length > 0 && performance.now() - _outSince > 2) _flush();
    const key = task[1];
    const opts = task[3] === 0 ? undefined : task[3];
    const byValue = typeof key === "number";
    const cur: _CurrentTask = { id, opts, controller: undefined, aborted: false };
    _state.current = cur;
    try {
      _enterProcessState(opts);
      let fn = byValue ? _functionFn(key, opts) : _moduleFn(key);
      if (fn instanceof Promise) {
        _flush();
        fn = await fn;
      }
      let value = fn(...task[2]);
      if (
        value !== null && typeof value === "object" &&
        typeof (value as PromiseLike<unknown>).then === "function"
      ) {
        if (_concurrent) {
          // Runs beside the next tasks: its result is sent when it settles.
          _settleLater(id, value as PromiseLike<unknown>, byValue);
          _state.current = undefined;
          continue;
        }
        _flush();
        value = await value;
      }
      _ok(id, value);
    } catch (e) {
      _fail(id, e, byValue);
    }
    _state.current = undefined;
  }
  _skipped.clear();
  _flush();
  _running = false;
}

_scope.addEventListener("message", (e: MessageEvent) => {
  const m = e.data as {
    t: number;
    b?: _WireTask[];
    c?: number;
    id?: number;
    r?: number;
    v?: unknown;
    d?: boolean;
  };
  switch (m.t) {
    case MSG_RUN: {
      const b = m.b!;
      _concurrent = m.c === 1;
      for (let i = 0; i < b.length; i++) _queue.push(b[i]);
      if (!_running) void _pump();
      break;
    }
    case MSG_ABORT: {
      const cur = _state.current;
      if (cur !== undefined && cur.id === m.id) {
        cur.aborted = true;
        cur.controller?.abort(_abortReason());
      } else {
        _skipped.add(m.id!);
      }
      break;
    }
    case MSG_QUEUE_ITEM: {
      const cb = _state.reads.get(m.r!);
      if (cb !== undefined) {
        _state.reads.delete(m.r!);
        cb({ v: m.v, d: m.d === true });
      }
      break;
    }
  }
});
