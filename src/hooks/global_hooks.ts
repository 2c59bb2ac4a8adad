/**
 * Global hooks: the config file's `[[hooks]]` tables, checked once (`parseGlobalHooks`), and
 * the conditions that say whether one fires for an event (`globalHookFires`).
 *
 * ```toml
 * [[hooks]]
 * name = "page-me"                      # optional; shown by `bgt show` (default: hooks[N])
 * on = ["failed", "timed_out", "lost"]  # event kinds (default: every end of a task)
 * final_only = true                     # never on a `retrying` (a failure with a retry left)
 * longer_than = "10m"                   # only runs that took longer
 * group = "nightly"                     # only tasks of this group
 * run = "~/bin/page-me"                 # or webhook = "https://…", or notify = true
 * timeout = "30s"                       # a command's or notification's longest run (default 60s)
 * ```
 *
 * @example
 * ```ts
 * const hooks = parseGlobalHooks([{ on: ["failed"], notify: true }]);
 * globalHookFires(hooks[0], { kind: "failed", group: "default", durationMs: 5000 }); // true
 * ```
 */
import { parseDuration } from "../task/duration.ts";
import { END_EVENT_KINDS, type TaskEventKind } from "../task/events.ts";
import { isWebhookUrl } from "../task/task_hooks.ts";

/** The task event kinds a global hook can fire on (schedule events have no task). */
export const HOOK_EVENT_KINDS: readonly TaskEventKind[] = [
  "submitted",
  "started",
  "retrying",
  ...END_EVENT_KINDS,
  "paused",
  "resumed",
];

/** How long a command hook or notification may run unless told. */
export const DEFAULT_HOOK_TIMEOUT_MS = 60_000;

/** One checked `[[hooks]]` table. */
export interface GlobalHook {
  /** `global:<name>` in the delivery records. */
  name: string;
  on: readonly TaskEventKind[];
  finalOnly: boolean;
  /** Only runs longer than this (ms); null: any. */
  longerThanMs: number | null;
  group: string | null;
  action: { run: string } | { webhook: string } | { notify: true };
  timeoutMs: number;
}

/** A broken `[[hooks]]` table: the message names the table and the problem. */
export class HookConfigError extends Error {
  override name = "HookConfigError";
  readonly code = "CONFIG_INVALID";
}

const KEYS = [
  "name",
  "on",
  "final_only",
  "longer_than",
  "group",
  "run",
  "webhook",
  "notify",
  "timeout",
];

/** Checks the raw `[[hooks]]` tables of the config; throws HookConfigError naming the first problem. */
export function parseGlobalHooks(raw: unknown): GlobalHook[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    throw new HookConfigError("Cannot read hooks: expected [[hooks]] tables");
  }
  const names = new Set<string>();
  return raw.map((table, index) => {
    const where = `[[hooks]] #${index + 1}`;
    const fail = (problem: string): never => {
      throw new HookConfigError(`Cannot read ${where}: ${problem}`);
    };
    if (typeof table !== "object" || table === null || Array.isArray(table)) fail("not a table");
    const t = table as Record<string, unknown>;
    for (const key of Object.keys(t)) {
      if (!KEYS.includes(key)) fail(`unknown key '${key}' (expected ${KEYS.join(", ")})`);
    }
    const text = (key: string): string | undefined => {
      const value = t[key];
      if (value === undefined) return undefined;
      if (typeof value !== "string" || !value.trim()) fail(`${key} must be a non-empty string`);
      return value as string;
    };
    const duration = (key: string): number | undefined => {
      const value = t[key];
      if (value === undefined) return undefined;
      if (typeof value === "number" && value >= 0) return value * 1000;
      try {
        return parseDuration(String(value));
      } catch (error) {
        return fail(`${key}: ${(error as Error).message}`);
      }
    };
    const name = text("name") ?? `hooks[${index + 1}]`;
    if (names.has(name)) fail(`the name '${name}' is used twice`);
    names.add(name);
    let on: TaskEventKind[] = [...END_EVENT_KINDS];
    if (t.on !== undefined) {
      const kinds = typeof t.on === "string" ? [t.on] : t.on;
      if (!Array.isArray(kinds) || !kinds.length) fail("on must be a kind or a list of kinds");
      for (const kind of kinds as unknown[]) {
        if (!HOOK_EVENT_KINDS.includes(kind as TaskEventKind)) {
          fail(
            `on: unknown kind ${JSON.stringify(kind)} (expected ${HOOK_EVENT_KINDS.join(", ")})`,
          );
        }
      }
      on = kinds as TaskEventKind[];
    }
    if (t.final_only !== undefined && typeof t.final_only !== "boolean") {
      fail("final_only must be true or false");
    }
    const run = text("run");
    const webhook = text("webhook");
    if (t.notify !== undefined && t.notify !== true && t.notify !== false) {
      fail("notify must be true or false");
    }
    const notify = t.notify === true;
    if ([run, webhook, notify || undefined].filter((a) => a !== undefined).length !== 1) {
      fail('needs exactly one of run = "…", webhook = "…" or notify = true');
    }
    if (webhook !== undefined && !isWebhookUrl(webhook)) {
      fail(`webhook '${webhook}' is not an http:// or https:// URL`);
    }
    return {
      name,
      on,
      finalOnly: t.final_only === true,
      longerThanMs: duration("longer_than") ?? null,
      group: text("group") ?? null,
      action: run !== undefined
        ? { run }
        : webhook !== undefined
        ? { webhook }
        : { notify: true as const },
      timeoutMs: duration("timeout") ?? DEFAULT_HOOK_TIMEOUT_MS,
    };
  });
}

/** What the conditions look at. */
export interface HookFacts {
  kind: TaskEventKind;
  group: string;
  /** How long the run took (ms); null when it never ran. */
  durationMs: number | null;
}

/** True when the hook's conditions hold for this event. */
export function globalHookFires(hook: GlobalHook, facts: HookFacts): boolean {
  if (!hook.on.includes(facts.kind)) return false;
  if (hook.finalOnly && facts.kind === "retrying") return false;
  if (hook.group !== null && hook.group !== facts.group) return false;
  if (hook.longerThanMs !== null && !((facts.durationMs ?? -1) > hook.longerThanMs)) return false;
  return true;
}
