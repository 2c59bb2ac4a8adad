/**
 * The supervisor's side of the worker hosts (see `worker_host.ts`): a set of `bgt __host`
 * processes, each running one module task at a time. A task takes an idle host or starts a new
 * one; a host idle for `idleMs` is ended. When a host dies under its task (out of memory, a
 * crash, SIGKILL), that task alone fails, with the signal and a reason.
 *
 * @example
 * ```ts
 * const hosts = new WorkerHosts({ homeDir: home.dir });
 * const run = hosts.start(task, files, { onProgress: (f, m) => store.setProgress(task.id, f, m) });
 * await run.done; // { status: "succeeded", result: 42 }
 * await hosts.close();
 * ```
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import type { Readable, Writable } from "node:stream";
import { pidsWithArgvTail, selfCommand } from "../runtime/process.ts";
import type { TaskFiles } from "../store/task_files.ts";
import { storableSpec } from "../task/stored_spec.ts";
import { encodeFrame, FrameDecoder } from "../task/frames.ts";
import type { Task, TaskOutcome } from "../task/types.ts";
import { appendTaskStderr, type ModuleRunOptions } from "./module_runner.ts";
import type { RunningTask } from "./running_task.ts";
import {
  HOST_CHANNEL_FD,
  HOST_FRAME_BYTES,
  type HostCommand,
  type HostEvent,
} from "./worker_host.ts";

/** Options for {@linkcode WorkerHosts}. */
export interface WorkerHostsOptions {
  /** The home the hosts open. */
  homeDir: string;
  /** How long a host may stay idle before it is ended. @default 10000 */
  idleMs?: number;
  /** The argv prefix that starts bgt. @default selfCommand() */
  command?: string[];
}

/** What the supervisor hears from a task's host. */
type HostedRunOptions = Pick<ModuleRunOptions, "onProgress" | "onMeta" | "onCheckpoint">;

/** A host process and the task it runs, if any. */
interface Host {
  child: ChildProcess;
  /** The task it runs now. */
  task?: {
    files: TaskFiles;
    options: HostedRunOptions;
    /** Its report writes not yet stored: its end waits for them. */
    reports: Set<Promise<void>>;
    finish: (outcome: TaskOutcome) => void;
  };
  idleTimer?: ReturnType<typeof setTimeout>;
  /** Set while stopped by a pause: a host whose task ended meanwhile is continued before reuse. */
  stopped?: boolean;
  /** Why bgt itself ended the host, when it did: what its task is told. */
  endedBecause?: string;
  /** Set once its task was signalled: the host is ended (with its group) when the task ends. */
  signalled?: boolean;
  /** Resolves once the host has gone and its task (if any) has been told. */
  gone: Promise<void>;
  markGone: () => void;
}

/** Runs module tasks in worker host processes. */
export class WorkerHosts {
  #options: WorkerHostsOptions;
  #idle: Host[] = [];
  #all = new Set<Host>();
  #closed = false;

  constructor(options: WorkerHostsOptions) {
    this.#options = options;
  }

  /** How many host processes live now (busy or idle). */
  get size(): number {
    return this.#all.size;
  }

  /** Starts task `task` (a claimed module task) on a host. */
  start(task: Task, files: TaskFiles, options: HostedRunOptions = {}): RunningTask {
    if (this.#closed) throw new Error("Cannot start a module task: the worker hosts are closed");
    const host = this.#takeIdle() ?? this.#spawn();
    let ended = false;
    const done = new Promise<TaskOutcome>((resolve) => {
      const reports = new Set<Promise<void>>();
      host.task = {
        files,
        options,
        reports,
        finish: (outcome) => {
          ended = true;
          host.task = undefined;
          // Its last reports are stored before its end is: on a store with several connections
          // (PostgreSQL) a checkpoint still in flight could land after the next attempt read it.
          void Promise.allSettled([...reports]).then(() => resolve(outcome));
        },
      };
    });
    // The task itself, so that hosts need no store (N hosts would hold N connections).
    // MessagePack strings cannot carry bytes that are not UTF-8: the spec goes as it is stored.
    this.#send(host, {
      type: "run",
      task: { ...task, spec: storableSpec(task.spec) as Task["spec"] },
    });
    const pid = host.child.pid ?? null;
    return {
      pid,
      started: Promise.resolve(pid),
      kill: (signal) => {
        if (ended) return; // the host has moved on to another task, or is gone
        // Stopping, continuing and killing act on the host's process group (the processes the
        // task started with it); any other signal aborts the task's context.signal, and its
        // worker is terminated after the grace.
        if (signal !== "SIGSTOP" && signal !== "SIGCONT") host.signalled = true;
        if (signal === "SIGSTOP" || signal === "SIGCONT") {
          host.stopped = signal === "SIGSTOP";
          _signal(host.child, signal);
        } else if (signal === "SIGKILL") {
          host.endedBecause = "was killed with SIGKILL by bgt (a kill, or the end of the grace)";
          _signal(host.child, signal);
        } else this.#send(host, { type: "abort", signal });
      },
      done,
    };
  }

  /**
   * Ends every host (their tasks with them) and resolves when they have exited; a host still
   * there after `killAfterMs` is SIGKILLed. Later starts throw.
   */
  async close(killAfterMs = 2000): Promise<void> {
    this.#closed = true;
    const exits = [...this.#all].map((host) => {
      host.endedBecause = "was ended: the supervisor stopped before the task did";
      host.child.stdin?.end();
      if (host.stopped) _signal(host.child, "SIGCONT"); // a stopped host cannot read the end
      const kill = setTimeout(() => _signal(host.child, "SIGKILL"), killAfterMs);
      return host.gone.finally(() => clearTimeout(kill));
    });
    await Promise.all(exits);
  }

  /**
   * Ends the hosts of `homeDir` that a dead supervisor left behind: a host stopped by a pause
   * cannot see its supervisor go. Call it while holding the supervisor role, before starting any
   * host. Returns how many it ended.
   */
  static endLeftovers(homeDir: string): number {
    const pids = pidsWithArgvTail(["__host", homeDir]);
    for (const pid of pids) {
      for (const target of [-pid, pid]) { // its group (what its task started), else itself
        try {
          process.kill(target, "SIGKILL");
          break;
        } catch { /* gone meanwhile */ }
      }
    }
    return pids.length;
  }

  /** An idle host still alive, if any. */
  #takeIdle(): Host | undefined {
    for (let host = this.#idle.pop(); host; host = this.#idle.pop()) {
      clearTimeout(host.idleTimer);
      if (!_hasExited(host.child)) return host;
    }
    return undefined;
  }

  #spawn(): Host {
    const [command, ...args] = this.#options.command ?? selfCommand();
    const devNull = openSync("/dev/null", "w");
    let child: ChildProcess;
    try {
      child = spawn(command, [...args, "__host", this.#options.homeDir], {
        // stdout and stderr go where the supervisor's go (its log), fd 3 (where a command
        // writes progress records) nowhere; frames come back on HOST_CHANNEL_FD.
        stdio: ["pipe", "inherit", "inherit", devNull, "pipe"],
        // Its own process group: a Ctrl-C meant for a foreground supervisor is not the host's.
        detached: true,
      });
    } finally {
      closeSync(devNull);
    }
    let markGone!: () => void;
    const gone = new Promise<void>((resolve) => (markGone = resolve));
    const host: Host = { child, gone, markGone };
    child.on("error", (error) => this.#gone(host, null, `could not start: ${error.message}`));
    const channel = child.stdio[HOST_CHANNEL_FD] as Readable | null;
    if (child.pid === undefined || !channel || !child.stdin) {
      // Bun reports a failed spawn (no such file, no permission, no memory) this way.
      _signal(child, "SIGKILL");
      throw new Error(`Cannot start a worker host: ${command} did not start`);
    }
    this.#all.add(host);
    const decoder = new FrameDecoder({ maxFrameBytes: HOST_FRAME_BYTES });
    channel.on("data", (chunk: Uint8Array) => {
      let events: unknown[];
      try {
        events = decoder.push(chunk);
      } catch (error) {
        host.endedBecause = `broke its channel (${(error as Error).message})`;
        _signal(child, "SIGKILL"); // the close below fails its task
        return;
      }
      for (const event of events) this.#receive(host, event as HostEvent);
    });
    channel.on("error", () => {});
    (child.stdin as Writable).on("error", () => {});
    // A host has gone once it has exited and every frame it wrote has been read: its channel
    // has ended (or, held open by a process the task left behind, a second has passed).
    let exit: [NodeJS.Signals | null, string] | undefined;
    let read = false;
    const settle = () => {
      if (exit && read) this.#gone(host, ...exit);
    };
    channel.on("close", () => {
      read = true;
      settle();
    });
    child.on("exit", (code, signal) => {
      exit = [signal, `exited with code ${code}`];
      settle();
      setTimeout(() => {
        read = true;
        settle();
      }, 1000).unref?.();
    });
    return host;
  }

  #receive(host: Host, event: HostEvent): void {
    const task = host.task;
    if (!task) return;
    if (event.type !== "done") {
      const refused = (error: unknown) =>
        // The store refused it (a full disk, say): the report is lost, the task goes on.
        appendTaskStderr(
          task.files,
          `bgt: Cannot store the task's ${event.type}: ${(error as Error).message}\n`,
        );
      try {
        const stored = event.type === "progress"
          ? task.options.onProgress?.(event.fraction, event.message)
          : event.type === "meta"
          ? task.options.onMeta?.(event.patch)
          : task.options.onCheckpoint?.(event.value);
        const settled: Promise<void> = Promise.resolve(stored).then(() => {}, refused).finally(
          () => task.reports.delete(settled),
        );
        task.reports.add(settled);
      } catch (error) {
        refused(error);
      }
    } else {
      task.finish(event.outcome);
      if (host.stopped) {
        // Paused as its task ended: continue it, or the next task would wait for ever.
        host.stopped = false;
        _signal(host.child, "SIGCONT");
      }
      // A host that bgt is ending (a SIGKILL after the grace crossed its "done") takes no task;
      // nor does one whose task was killed: it ends, and the processes its task left in its
      // group end with it (see #gone).
      if (host.signalled) host.child.stdin?.end();
      else if (host.endedBecause === undefined) this.#park(host);
    }
  }

  /** Keeps a host that finished its task for the next one, for `idleMs`. */
  #park(host: Host): void {
    if (this.#closed || !this.#all.has(host)) return;
    this.#idle.push(host);
    host.idleTimer = setTimeout(() => {
      this.#idle = this.#idle.filter((idle) => idle !== host);
      host.child.stdin?.end();
    }, this.#options.idleMs ?? 10_000);
    host.idleTimer.unref?.();
  }

  /** A host ended: its task, if any, fails with the reason. */
  #gone(host: Host, signal: NodeJS.Signals | null, how: string): void {
    if (!this.#all.delete(host)) return;
    // What its tasks started and left in its process group would outlive it, reparented to init.
    _signal(host.child, "SIGKILL");
    clearTimeout(host.idleTimer);
    this.#idle = this.#idle.filter((idle) => idle !== host);
    if (!host.task) return host.markGone();
    const reason = host.endedBecause ??
      (signal === "SIGKILL"
        ? "was killed by SIGKILL (out of memory, or killed from outside)"
        : signal
        ? `was killed by ${signal}`
        : how);
    const message = `The worker process running this task ${reason}`;
    appendTaskStderr(host.task.files, `bgt: ${message}\n`);
    host.task.finish({
      // Ended by a stop, the task is retried per its policy by the next supervisor.
      status: this.#closed ? "lost" : "failed",
      exitCode: null,
      signal,
      error: { name: "Error", message },
    });
    host.markGone();
  }

  #send(host: Host, command: HostCommand): void {
    host.child.stdin?.write(encodeFrame(command, HOST_FRAME_BYTES));
  }
}

function _hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/**
 * Signals a host's process group (it leads one: spawned detached), so that the processes its
 * task started get the signal too; the host alone where there is no group to signal.
 */
function _signal(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) {
      process.kill(-child.pid, signal);
      return;
    }
  } catch { /* no such group: fall back to the host alone */ }
  try {
    child.kill(signal);
  } catch { /* already gone */ }
}
