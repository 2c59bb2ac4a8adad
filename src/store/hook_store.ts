/**
 * The hook deliveries of a store: one row per hook to run or webhook to call for one event,
 * planned from the outbox by the supervisor (host and home) that ran the task (its cursor moves in
 * the same transaction, so a crash plans nothing twice and misses nothing), then run at least
 * once, each try's outcome recorded (DESIGN §13).
 *
 * @example
 * ```ts
 * const after = (await store.hooks.cursor(home)) ?? (await store.lastEventId());
 * await store.hooks.plan(home, lastSeen, deliveries);
 * for (const delivery of await store.hooks.due(home, Date.now(), 16)) { … }
 * ```
 */
import type { TaskEventKind } from "../task/events.ts";

/** What a delivery runs: a shell line, a signed POST, or a desktop notification. */
export type HookAction = "command" | "webhook" | "notify";

/** What a delivery carries, fixed when it is planned (a retry after a crash sends the same). */
export interface HookPayload {
  action: HookAction;
  /** The line (`command`), URL (`webhook`) or summary (`notify`). */
  target: string;
  /** The directory a command runs in (the task's cwd). */
  cwd: string;
  /** Longest run of one try (ms). */
  timeoutMs: number;
  /** The BGT_* variables of a command. */
  env: Record<string, string>;
  /** The JSON a command reads on stdin and a webhook gets as its body. */
  body: Record<string, unknown>;
}

/** A delivery to plan. */
export interface NewHookDelivery {
  taskId: number;
  eventId: number;
  /** The event's kind. */
  kind: TaskEventKind;
  /** Which hook: `onFinish`, `onFailure`, `onSuccess`, `webhook`, or `global:<name>`. Unique per event. */
  hook: string;
  payload: HookPayload;
}

/** A delivery as stored, with its tries so far. */
export interface HookDelivery extends NewHookDelivery {
  id: number;
  /** Who delivers it: `<host>:<home>` of the supervisor that ran the task. */
  home: string;
  createdAt: number;
  tries: number;
  /** When the next try is due (epoch ms); null once it is settled. */
  nextAt: number | null;
  /** When it was settled: delivered, or given up on. */
  doneAt: number | null;
  /** Whether the last try succeeded (null: not tried yet). */
  ok: boolean | null;
  /** The last try's outcome in words: `exit 0`, `HTTP 200`, `timed out after 60s`, … */
  result: string | null;
  resultAt: number | null;
}

/** One try's outcome: `nextAt` null settles the delivery. */
export interface HookTry {
  ok: boolean;
  result: string;
  at: number;
  nextAt: number | null;
}

/** The deliveries of a store (`store.hooks`). */
export interface HookStore {
  /** The home's cursor into the outbox (undefined: it never planned). */
  cursor(home: string): Promise<number | undefined>;
  /**
   * In one transaction: adds the deliveries for `home` (one per event and hook: a second plan
   * of the same is ignored) and moves the home's cursor to `cursor`.
   */
  plan(home: string, cursor: number, deliveries: readonly NewHookDelivery[]): Promise<void>;
  /** The home's deliveries due by `now`, soonest first. */
  due(home: string, now: number, limit: number): Promise<HookDelivery[]>;
  /** Who (`host:home`) has deliveries still to run. */
  pendingDeliverers(): Promise<string[]>;
  /**
   * Hands the deliveries still to run of `from` (deliverers with no supervisor any more: a dead
   * or stopped host of a shared store) to `to`; returns how many.
   */
  adopt(from: readonly string[], to: string): Promise<number>;
  /** Records a try of a delivery. */
  record(id: number, outcome: HookTry): Promise<void>;
  /** A task's deliveries, oldest first. */
  ofTask(taskId: number): Promise<HookDelivery[]>;
  /** Deletes the deliveries settled before `before` (epoch ms); returns how many. */
  prune(before: number): Promise<number>;
}

/** Maps a delivery row of either store. */
// deno-lint-ignore no-explicit-any -- a row as either driver returns it
export function toHookDelivery(row: Record<string, any>): HookDelivery {
  const number = (value: unknown) => (value === null || value === undefined ? null : Number(value));
  return {
    id: Number(row.id),
    taskId: Number(row.task_id),
    eventId: Number(row.event_id),
    kind: row.kind,
    hook: row.hook,
    home: row.home,
    payload: typeof row.payload === "string" ? JSON.parse(row.payload) : row.payload,
    createdAt: Number(row.created_at),
    tries: Number(row.tries),
    nextAt: number(row.next_at),
    doneAt: number(row.done_at),
    ok: row.ok === null || row.ok === undefined ? null : row.ok === true || row.ok === 1,
    result: row.result ?? null,
    resultAt: number(row.result_at),
  };
}
