/**
 * The task model of DESIGN §3: what a task is, in memory and on the wire.
 *
 * @example
 * ```ts
 * const spec: TaskSpec = { kind: "command", argv: ["echo", "hi"] };
 * ```
 */
import type { RestartPolicy } from "./restart_policy.ts";

import type { TaskHooks } from "./task_hooks.ts";

/** How a task runs: a module export in a worker, an argv, or a shell line. */
export type TaskKind = "module" | "command" | "shell";

/** Every state a task can be in. */
export type TaskStatus =
  | "scheduled"
  | "queued"
  | "blocked"
  | "running"
  | "paused"
  | "succeeded"
  | "failed"
  | "canceled"
  | "timed_out"
  | "lost";

/** The states a task never leaves (unless restarted). */
export const TERMINAL_STATUSES: readonly TaskStatus[] = [
  "succeeded",
  "failed",
  "canceled",
  "timed_out",
  "lost",
];

/** All states, in lifecycle order. */
export const ALL_STATUSES: readonly TaskStatus[] = [
  "scheduled",
  "blocked",
  "queued",
  "running",
  "paused",
  ...TERMINAL_STATUSES,
];

/** True when the task has finished for good. */
export function isTerminal(status: TaskStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/**
 * True for a module task that runs in a worker host (not `--isolate`d in a process of its own).
 *
 * @example
 * ```ts
 * runsInWorker({ kind: "module", module: "job.ts", export: "default", args: [] }); // true
 * ```
 */
export function runsInWorker(spec: TaskSpec): boolean {
  return spec.kind === "module" && !spec.isolate;
}

/** What to run. */
export type TaskSpec =
  | {
    kind: "module";
    module: string;
    export: string;
    args: unknown[];
    /** The module's code bundled at submission (`--pin`): this code runs, not the file. */
    pinned?: string;
    /**
     * The module's code bundled at submission on a shared store (without `--pin`): it runs only
     * on a host where the module's file does not exist; elsewhere the file runs.
     */
    carried?: string;
    /**
     * The SHA-256 of the carried code as a PostgreSQL store keeps it (once per bundle, in
     * `carried_code`); a claim fills `carried` from it.
     */
    carriedHash?: string;
    /** Run in a process of its own (`--isolate`) rather than in a worker host. */
    isolate?: boolean;
  }
  | { kind: "command"; argv: string[] }
  | {
    kind: "shell";
    line: string;
    /**
     * What runs the line: `"sh"`, POSIX `sh -c` (loops, `$(…)`, redirections, heredocs, `&`), or
     * `"dax"`, dax's cross-platform shell. A submission without it gets `"sh"`; a row stored
     * before there was a choice has none and runs under dax, as it did then.
     */
    shell?: ShellName;
  };

/** The shells a `shell` task's line can run in (see {@linkcode TaskSpec}). */
export type ShellName = "sh" | "dax";

/** Every {@linkcode ShellName}, the default first. */
export const SHELL_NAMES: readonly ShellName[] = ["sh", "dax"];

/**
 * The shell a shell spec's line runs in: its own, else dax (a row stored before `sh` existed).
 *
 * @example
 * ```ts
 * shellOf({ kind: "shell", line: "echo hi", shell: "sh" }); // "sh"
 * shellOf({ kind: "shell", line: "echo hi" }); // "dax"
 * ```
 */
export function shellOf(spec: Extract<TaskSpec, { kind: "shell" }>): ShellName {
  return spec.shell ?? "dax";
}

/** An error as recorded: plain data, so it survives the database and the socket. */
export interface TaskError {
  name: string;
  message: string;
  stack?: string;
}

/** What `--on-key` does when a task with the same key is waiting or running. */
export type KeyPolicy = "skip" | "replace" | "queue";

/** What a client asks for when it submits a task. */
export interface NewTask {
  spec: TaskSpec;
  name?: string;
  group?: string;
  priority?: number;
  /** Epoch milliseconds; default now. */
  runAt?: number;
  maxAttempts?: number;
  /** First retry delay (doubled per attempt, with jitter). @default 1000 */
  backoffMs?: number;
  /** A run longer than this ends as `timed_out`. @default none */
  timeoutMs?: number | null;
  /** Tasks that must end first (succeed, unless `afterAny`). */
  after?: number[];
  /** Run after the dependencies end, whatever their outcome. */
  afterAny?: boolean;
  /** More dependencies that may end any way, whatever `afterAny` says of `after`. */
  afterAnyOf?: number[];
  /** At most one waiting or running task per key (see `onKey`). */
  key?: string | null;
  /** @default "skip" */
  onKey?: KeyPolicy;
  /** The schedule that fired this task. */
  scheduleId?: number | null;
  /** Keep only the last this-many bytes of each output stream. @default all */
  retain?: number | null;
  /** Run it again when a run ends (`--restart`); a kill stops it. @default none */
  restart?: RestartPolicy | null;
  /** The first restart's delay, doubled per quick restart. @default 100 */
  restartDelayMs?: number;
  /** Most restarts (null: no limit). @default null */
  maxRestarts?: number | null;
  /** Give a command task a standard input that `bgt send` (or `run --stdin`) writes to. */
  stdin?: boolean;
  /** Variables set over the submitter's environment (the client captures the rest). */
  env?: Record<string, string>;
  /** The working directory; a relative one is the submitter's. @default the submitter's */
  cwd?: string;
  meta?: Record<string, unknown>;
  /** Run only on the supervisor started with this host name (`--on HOST`; a shared store). */
  onHost?: string | null;
  /** Run only on a supervisor started with all these labels (`--need LABEL`; a shared store). */
  needLabels?: string[];
  /** What runs or is told when the task ends (`--on-success`, `--webhook`, …). */
  hooks?: TaskHooks;
}

/** What {@linkcode NewTask.key} did to a submission. */
export interface SubmitResult {
  /** The new task's id, or the id of the task that holds the key when skipped. */
  id: number;
  /** Set when a task with the same key was waiting or running. */
  key?: { action: "skipped" | "replaced" | "queued"; holder: number; holderRunning: boolean };
}

/** A task row as stored and shown (DESIGN §3, camelCase). */
export interface Task {
  id: number;
  kind: TaskKind;
  spec: TaskSpec;
  name: string | null;
  group: string;
  priority: number;
  status: TaskStatus;
  runAt: number;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  attempt: number;
  maxAttempts: number;
  backoffMs: number;
  timeoutMs: number | null;
  after: number[];
  afterAny: boolean;
  key: string | null;
  scheduleId: number | null;
  /** Bytes kept of each output stream (null: all). */
  retain: number | null;
  /** True when the task reads a standard input fed by `bgt send`. */
  stdin: boolean;
  /** The last value a module task saved with `context.checkpoint()` (undefined: none). */
  checkpoint: unknown;
  env: Record<string, string>;
  cwd: string;
  meta: Record<string, unknown>;
  /** The task's own hooks (null: none). */
  hooks: TaskHooks | null;
  pid: number | null;
  exitCode: number | null;
  signal: string | null;
  /** The module's return value (decoded), or undefined. */
  result: unknown;
  error: TaskError | null;
  progress: number | null;
  progressMessage: string | null;
  owner: string | null;
  /** Until when the owner's claim holds unless renewed (epoch ms), while running. */
  leaseUntil: number | null;
  /** The home (`BGT_HOME`) of the supervisor that claimed it, while running. */
  home?: string | null;
  /** The host name of the supervisor that claimed it (where it runs or ran); null: never started. */
  host?: string | null;
  /** The host it must run on (`--on`), if any. */
  onHost?: string | null;
  /** The labels a supervisor needs to run it (`--need`). */
  needLabels?: string[];
  /** A stop asked of this run, stored before its signal (see TaskStore.setStop). */
  stopReason?: "kill" | "timeout" | null;
  stopSignal?: string | null;
  /** Since when it is paused (epoch ms), while paused. */
  pausedAt?: number | null;
  /** How long this run has been paused before, in all (ms). */
  pausedMs?: number;
  /** Its restart policy (`--restart`), null: none. */
  restart?: RestartPolicy | null;
  /** The first restart's delay (ms). */
  restartDelayMs?: number;
  /** Most restarts, null: no limit. */
  maxRestarts?: number | null;
  /** How many times the policy restarted it. */
  restarts?: number;
}

/** How a run ended, as the runner reports it. */
export interface TaskOutcome {
  status: "succeeded" | "failed" | "canceled" | "timed_out" | "lost";
  exitCode?: number | null;
  signal?: string | null;
  result?: unknown;
  error?: TaskError | null;
  /** The byte range [start, end) each stream got during this attempt, when known. */
  slices?: Partial<Record<"stdout" | "stderr" | "data", [number, number]>>;
  /**
   * When the run ended as its runner saw it (ms since the epoch; a command's waiter writes its
   * status then), which may be well before the supervisor noticed (it was stopped, say). The
   * store keeps it between the run's start and now. Absent: when the end is recorded.
   */
  endedAt?: number;
}

/** One attempt of a task, as kept in its history (`bgt show --attempts`). */
export interface Attempt {
  attempt: number;
  status: TaskStatus;
  startedAt: number | null;
  finishedAt: number | null;
  exitCode: number | null;
  signal: string | null;
  error: TaskError | null;
  pid: number | null;
  result: unknown;
  /** The byte range [start, end) of each stream this attempt wrote (null when unknown). */
  slices: Record<"stdout" | "stderr" | "data", [number, number] | null>;
}

/** A short human label for a task: its name, else its command line or module target. */
export function describeTask(task: Pick<Task, "name" | "spec">): string {
  if (task.name) return task.name;
  const spec = task.spec;
  switch (spec.kind) {
    case "command":
      return spec.argv.join(" ");
    case "shell":
      return spec.line;
    case "module":
      return spec.export === "default" ? spec.module : `${spec.module}#${spec.export}`;
  }
}
