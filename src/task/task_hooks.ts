/**
 * A task's own hooks (`--on-success`, `--on-failure`, `--on-finish`, `--webhook`): what runs or
 * is told when the task ends. Stored with the task; run by the supervisor that ran it (see
 * `src/hooks/`).
 *
 * @example
 * ```ts
 * const hooks: TaskHooks = { onFailure: "notify-send failed", webhook: "https://example.com/x" };
 * hookProblem(hooks); // undefined: fine; else what is wrong, in words
 * ```
 */
/** What to run or tell when a task ends. Commands are `sh -c` lines run in the task's cwd. */
export interface TaskHooks {
  /** Runs when the task succeeds. */
  onSuccess?: string;
  /** Runs when the task ends any other way (failed, timed out, canceled, lost) for good. */
  onFailure?: string;
  /** Runs whenever the task ends for good. */
  onFinish?: string;
  /** An http(s) URL that gets a signed POST of the task's JSON when it ends for good. */
  webhook?: string;
}

/** The command hooks, in the order they run. */
export const COMMAND_HOOKS = ["onSuccess", "onFailure", "onFinish"] as const;

/** What is wrong with hooks as a submission gives them, in words; undefined when nothing is. */
export function hookProblem(hooks: unknown): string | undefined {
  if (hooks === undefined || hooks === null) return undefined;
  if (typeof hooks !== "object" || Array.isArray(hooks)) return "its hooks must be an object";
  for (const [key, value] of Object.entries(hooks)) {
    if (value === undefined) continue;
    if (![...COMMAND_HOOKS, "webhook"].includes(key)) return `unknown hook '${key}'`;
    if (typeof value !== "string" || !value.trim() || value.includes("\0")) {
      return `hook ${key} must be a non-empty line without NUL bytes`;
    }
    if (key === "webhook" && !isWebhookUrl(value)) {
      return `webhook '${value}' is not an http:// or https:// URL`;
    }
  }
  return undefined;
}

/** True for an absolute http(s) URL. */
export function isWebhookUrl(url: string): boolean {
  try {
    const { protocol } = new URL(url);
    return protocol === "http:" || protocol === "https:";
  } catch {
    return false;
  }
}

/** The hooks with their unset fields dropped; null when none is left (as stored). */
export function storedHooks(hooks: TaskHooks | null | undefined): TaskHooks | null {
  if (!hooks) return null;
  const set = Object.entries(hooks).filter(([, value]) => typeof value === "string");
  return set.length ? Object.fromEntries(set) as TaskHooks : null;
}
