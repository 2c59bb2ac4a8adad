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
 * hosts.close();
 * ```
 */
import { type ChildProcess, spawn } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { selfCommand } from "../runtime/process.ts";
import type { TaskFiles } from "../store/task_files.ts";
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
  task?: { files: TaskFiles; options: HostedRunOptions; finish: (outcome: TaskOutcome) => void };
  idleTimer?: ReturnType<typeof setTimeout>;
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
    const host = this.#idle.pop() ?? this.#spawn();
    clearTimeout(host.idleTimer);
    let ended = false;
    const done = new Promise<TaskOutcome>((resolve) => {
      host.task = {
        files,
        options,
        finish: (outcome) => {
          ended = true;
          host.task = undefined;
          resolve(outcome);
        },
      };
    });
    this.#send(host, { type: "run", id: task.id, attempt: task.attempt });
    const pid = host.child.pid ?? null;
    return {
      pid,
      started: Promise.resolve(pid),
      kill: (signal) => {
        if (ended) return; // the host has moved on to another task, or is gone
        // Stopping, continuing and killing act on the host's process; any other signal aborts
        // the task's context.signal, and its worker is terminated after the grace.
        if (signal === "SIGSTOP" || signal === "SIGCONT" || signal === "SIGKILL") {
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
      if (host.child.exitCode !== null || host.child.signalCode !== null) return;
      const exited = new Promise((resolve) => host.child.once("exit", resolve));
      host.child.stdin?.end();
      const kill = setTimeout(() => _signal(host.child, "SIGKILL"), killAfterMs);
      return exited.finally(() => clearTimeout(kill));
    });
    await Promise.all(exits);
  }

  #spawn(): Host {
    const [command, ...args] = this.#options.command ?? selfCommand();
    const child = spawn(command, [...args, "__host", this.#options.homeDir], {
      // stdout and stderr go where the supervisor's go (its log); frames come back on fd 3.
      stdio: ["pipe", "inherit", "inherit", "pipe"],
      // Its own process group: a Ctrl-C meant for a foreground supervisor is not the host's.
      detached: true,
    });
    const host: Host = { child };
    this.#all.add(host);
    const decoder = new FrameDecoder({ maxFrameBytes: HOST_FRAME_BYTES });
    const channel = child.stdio[HOST_CHANNEL_FD] as Readable;
    channel.on("data", (chunk: Uint8Array) => {
      try {
        for (const event of decoder.push(chunk)) this.#receive(host, event as HostEvent);
      } catch {
        _signal(child, "SIGKILL"); // a garbled channel: the exit below fails its task
      }
    });
    channel.on("error", () => {});
    (child.stdin as Writable).on("error", () => {});
    child.on("error", (error) => this.#gone(host, null, `cannot start: ${error.message}`));
    child.on("exit", (code, signal) => this.#gone(host, signal, `exited with code ${code}`));
    return host;
  }

  #receive(host: Host, event: HostEvent): void {
    const task = host.task;
    if (!task) return;
    if (event.type === "progress") task.options.onProgress?.(event.fraction, event.message);
    else if (event.type === "meta") task.options.onMeta?.(event.patch);
    else if (event.type === "checkpoint") task.options.onCheckpoint?.(event.value);
    else if (event.type === "done") {
      task.finish(event.outcome);
      this.#park(host);
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
    clearTimeout(host.idleTimer);
    this.#idle = this.#idle.filter((idle) => idle !== host);
    const reason = signal === "SIGKILL"
      ? "was killed by SIGKILL (out of memory, or killed from outside)"
      : signal
      ? `was killed by ${signal}`
      : how;
    if (!host.task) return;
    const message = `The worker process running this task ${reason}`;
    appendTaskStderr(host.task.files, `bgt: ${message}\n`);
    host.task.finish({
      status: "failed",
      exitCode: null,
      signal,
      error: { name: "Error", message },
    });
  }

  #send(host: Host, command: HostCommand): void {
    host.child.stdin?.write(encodeFrame(command, HOST_FRAME_BYTES));
  }
}

function _signal(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    child.kill(signal);
  } catch { /* already gone */ }
}
