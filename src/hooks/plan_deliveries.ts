/**
 * Which hooks one event sets off, and what each gets: the task's own hooks on its end, the
 * global hooks whose conditions hold. The data is fixed here, when the event is planned (a
 * retry after a crash sends the same): the BGT_* variables and the task's JSON as `bgt show
 * --json` gives it, plus `outputTail`, its last 10 lines of output.
 *
 * @example
 * ```ts
 * const deliveries = planDeliveries(event, task, { globalHooks, host: "box", outputTail: "…" });
 * ```
 */
import type { HookPayload, NewHookDelivery } from "../store/hook_store.ts";
import type { StreamWindow } from "../store/task_files.ts";
import { END_EVENT_KINDS, type TaskEvent } from "../task/events.ts";
import { taskJson } from "../task/task_json.ts";
import type { Task } from "../task/types.ts";
import { DEFAULT_HOOK_TIMEOUT_MS, type GlobalHook, globalHookFires } from "./global_hooks.ts";

/** A webhook's longest try (ms). */
export const WEBHOOK_TIMEOUT_MS = 10_000;

/** Options for {@linkcode planDeliveries}. */
export interface PlanOptions {
  globalHooks: readonly GlobalHook[];
  /** This host's name (BGT_HOST of a task that never ran). */
  host: string;
  /** The task's last lines of output. */
  outputTail: string;
  /** Its streams' kept windows, as `show --json` gives them. */
  streams?: Record<string, StreamWindow>;
}

/** The deliveries of one event of one task (none for most events). */
export function planDeliveries(
  event: TaskEvent,
  task: Task,
  options: PlanOptions,
): NewHookDelivery[] {
  const ended = END_EVENT_KINDS.includes(event.kind);
  const durationMs = task.startedAt === null
    ? null
    : Math.max(0, (ended ? task.finishedAt ?? event.at : event.at) - task.startedAt);
  // The host that ran it (a dead host's tasks have their hooks run elsewhere), else this one.
  const env = hookEnv(event, task, { host: task.host ?? options.host, durationMs });
  const body = {
    ...taskJson(task),
    // As show --json has them for a task that has ended: no CPU/memory, nothing waited for.
    usage: null,
    waiting: null,
    streams: options.streams ?? null,
    outputTail: options.outputTail,
  };
  const deliveries: NewHookDelivery[] = [];
  const add = (hook: string, payload: Omit<HookPayload, "cwd" | "env" | "body">) =>
    deliveries.push({
      taskId: task.id,
      eventId: event.id,
      kind: event.kind,
      hook,
      payload: { ...payload, cwd: task.cwd, env: { ...task.env, ...env }, body },
    });
  const own = task.hooks ?? {};
  if (ended) {
    const timeoutMs = DEFAULT_HOOK_TIMEOUT_MS;
    if (own.onSuccess && event.kind === "succeeded") {
      add("onSuccess", { action: "command", target: own.onSuccess, timeoutMs });
    }
    if (own.onFailure && event.kind !== "succeeded") {
      add("onFailure", { action: "command", target: own.onFailure, timeoutMs });
    }
    if (own.onFinish) add("onFinish", { action: "command", target: own.onFinish, timeoutMs });
    if (own.webhook) {
      add("webhook", { action: "webhook", target: own.webhook, timeoutMs: WEBHOOK_TIMEOUT_MS });
    }
  }
  for (const hook of options.globalHooks) {
    if (!globalHookFires(hook, { kind: event.kind, group: task.group, durationMs })) continue;
    const action = hook.action;
    add(
      `global:${hook.name}`,
      "run" in action
        ? { action: "command", target: action.run, timeoutMs: hook.timeoutMs }
        : "webhook" in action
        ? { action: "webhook", target: action.webhook, timeoutMs: WEBHOOK_TIMEOUT_MS }
        : { action: "notify", target: notifySummary(event, task), timeoutMs: hook.timeoutMs },
    );
  }
  return deliveries;
}

/** The BGT_* variables of a hook (exactly these; all strings, empty when unknown). */
export function hookEnv(
  event: TaskEvent,
  task: Task,
  facts: { host: string; durationMs: number | null },
): Record<string, string> {
  const data = event.data as { attempt?: number; exitCode?: number | null; signal?: string | null };
  const text = (value: unknown) => (value === null || value === undefined ? "" : String(value));
  return {
    BGT_TASK_ID: String(task.id),
    BGT_NAME: text(task.name),
    BGT_GROUP: task.group,
    BGT_STATUS: event.kind === "retrying"
      ? "retrying"
      : END_EVENT_KINDS.includes(event.kind)
      ? event.kind
      : task.status,
    BGT_EXIT_CODE: text(data.exitCode),
    BGT_SIGNAL: text(data.signal),
    BGT_ATTEMPT: text(data.attempt ?? task.attempt),
    BGT_FINAL: END_EVENT_KINDS.includes(event.kind) ? "1" : event.kind === "retrying" ? "0" : "",
    BGT_DURATION_MS: text(facts.durationMs),
    BGT_HOST: facts.host,
    BGT_EVENT_ID: String(event.id),
  };
}

/** The one line a desktop notification shows. */
export function notifySummary(event: TaskEvent, task: Task): string {
  const label = task.name ?? `task ${task.id}`;
  const code = (event.data as { exitCode?: number | null }).exitCode;
  return `bgt: ${label} ${event.kind.replace("_", " ")}${
    code !== null && code !== undefined && event.kind !== "succeeded" ? ` (exit ${code})` : ""
  }`;
}
