/**
 * The supervisor's hook loop, apart from claiming and finishing: it follows the outbox from its
 * home's cursor, plans the deliveries each event sets off (in the transaction that moves the
 * cursor), and runs the due ones side by side, recording each try. A crash loses nothing: the
 * next supervisor plans from the cursor and runs what is still due (at least once). A hook
 * writes no event and touches no task, so it never changes an outcome nor sets off hooks; a
 * hanging one is killed at its timeout, and holds up nothing else meanwhile.
 *
 * @example
 * ```ts
 * const loop = await HookLoop.start({ store, home, host: "box", globalHooks: [], log });
 * loop.wake(); // events were written
 * await loop.stop();
 * ```
 */
import type { BgtHome } from "../store/home.ts";
import type { HookDelivery } from "../store/hook_store.ts";
import { readTail, streamInfo, taskFiles } from "../store/task_files.ts";
import type { TaskStore } from "../store/task_store.ts";
import { END_EVENT_KINDS, type TaskEvent, type TaskEventKind } from "../task/events.ts";
import type { Task } from "../task/types.ts";
import type { GlobalHook } from "./global_hooks.ts";
import { planDeliveries } from "./plan_deliveries.ts";
import { postWebhook, webhookRetryDelay } from "./post_webhook.ts";
import { runCommandHook, type TryOutcome } from "./run_command_hook.ts";
import { webhookSecret } from "./webhook_secret.ts";

/** Options for {@linkcode HookLoop.start}. */
export interface HookLoopOptions {
  store: TaskStore;
  home: BgtHome;
  /** This host's name (BGT_HOST). */
  host: string;
  globalHooks: readonly GlobalHook[];
  /** The config's webhook secret, if set (else the home's own). */
  webhookSecret?: string;
  log: (line: string) => void;
  /** Longest wait between looks at the outbox when nothing wakes the loop (ms). @default 2000 */
  pollMs?: number;
}

/** Most deliveries run at once. */
const MAX_RUNNING = 16;
/**
 * Least time between the starts of two looks at the outbox: wakes within it are coalesced into
 * one look (a busy drain rings on every stored batch, and each look costs a few reads and a
 * transaction). A hook starts at most this much later.
 */
export const COALESCE_MS = 20;
/** Events read per look. */
const BATCH = 500;
/** Lines of output a hook gets (`outputTail`). */
const TAIL_LINES = 10;
/** Settled deliveries are kept this long (as the events they came from), pruned hourly. */
export const DELIVERY_RETENTION_MS = 7 * 24 * 3600_000;
const PRUNE_EVERY_MS = 3600_000;
/** How often the loop looks for deliveries left by a supervisor that is gone. */
const ADOPT_EVERY_MS = 5_000;

/** The running loop of one supervisor. */
export class HookLoop {
  #options: HookLoopOptions;
  #running = new Map<number, Promise<void>>();
  /** Deliveries whose try has been recorded, still in #running until the loop's next turn. */
  #finished: number[] = [];
  #stopping = new AbortController();
  #wakeUp: (() => void) | undefined;
  #woken = false;
  #prunedAt = 0;
  #adoptedAt = 0;
  #done: Promise<void>;
  /** Kinds that may set off a delivery (ends, and what the global hooks listen for). */
  #kinds: Set<TaskEventKind>;

  private constructor(options: HookLoopOptions) {
    this.#options = options;
    this.#kinds = new Set([...END_EVENT_KINDS, ...options.globalHooks.flatMap((hook) => hook.on)]);
    this.#done = this.#loop();
  }

  /**
   * Starts the loop (its first look at once). Resolves once its cursor is stored: call it before
   * anything can end a task, so that a new home's first ends are not before its cursor.
   */
  static async start(options: HookLoopOptions): Promise<HookLoop> {
    const { store } = options;
    const deliverer = HookLoop.#delivererOf(options);
    if (await store.hooks.cursor(deliverer) === undefined) {
      // A new home plans from now on: the outbox's history set off nothing when it happened.
      await store.hooks.plan(deliverer, await store.lastEventId(), []);
    }
    return new HookLoop(options);
  }

  /** Says that events were written: the loop looks at once. */
  wake(): void {
    this.#woken = true;
    this.#wakeUp?.();
  }

  /**
   * Stops planning and ends the running hooks (their tries stay unrecorded: the next
   * supervisor runs them again).
   */
  async stop(): Promise<void> {
    this.#stopping.abort();
    this.#wakeUp?.();
    await this.#done;
    await Promise.allSettled(this.#running.values());
  }

  async #loop(): Promise<void> {
    const { store, log } = this.#options;
    const signal = this.#stopping.signal;
    while (!signal.aborted) {
      this.#woken = false;
      const lookedAt = Date.now();
      for (const id of this.#finished.splice(0)) this.#running.delete(id);
      let wait = this.#options.pollMs ?? 2000;
      try {
        if (Date.now() - this.#prunedAt > PRUNE_EVERY_MS) {
          this.#prunedAt = Date.now();
          await store.hooks.prune(Date.now() - DELIVERY_RETENTION_MS);
        }
        if (Date.now() - this.#adoptedAt > ADOPT_EVERY_MS) {
          this.#adoptedAt = Date.now();
          await this.#adoptOrphaned();
        }
        await this.#plan();
        await this.#runDue();
        if (this.#running.size < MAX_RUNNING) {
          // The soonest delivery not running now (a running one wakes the loop when it ends).
          const soonest = await store.hooks.due(
            this.#deliverer,
            Number.MAX_SAFE_INTEGER,
            MAX_RUNNING + 1,
          );
          const next = soonest.find((delivery) => !this.#running.has(delivery.id))?.nextAt;
          if (next != null) wait = Math.max(0, Math.min(wait, next - Date.now()));
        }
      } catch (error) {
        if (!signal.aborted) log(`cannot run hooks: ${(error as Error).message}`);
      }
      if (signal.aborted) continue;
      // A wake (before or during the wait) cuts the wait short, to the end of the coalescing
      // gap; a stop ends it at once.
      const gapLeft = () => Math.max(0, lookedAt + COALESCE_MS - Date.now());
      if (this.#woken && gapLeft() === 0) continue;
      await new Promise<void>((resolve) => {
        const woken = this.#woken;
        let timer = setTimeout(resolve, woken ? gapLeft() : Math.max(wait, 10));
        // The first wake moves the timer to the gap's end; later ones (a drain rings on every
        // batch) find it there already.
        let moved = woken;
        this.#wakeUp = () => {
          if (signal.aborted) {
            clearTimeout(timer);
            return resolve();
          }
          if (moved) return;
          moved = true;
          clearTimeout(timer);
          timer = setTimeout(resolve, gapLeft());
        };
      });
      this.#wakeUp = undefined;
    }
  }

  /** Plans the deliveries of the events after the cursor, a batch per transaction. */
  async #plan(): Promise<void> {
    const { store } = this.#options;
    let cursor = await store.hooks.cursor(this.#deliverer) ?? await store.lastEventId();
    for (;;) {
      const events = await store.events(cursor, { limit: BATCH });
      if (!events.length) return;
      const deliveries = [];
      const candidates = events.filter((e) => e.taskId !== null && this.#kinds.has(e.kind));
      // One read for the batch's tasks (without results) says which events set anything off;
      // only those read their task whole (most tasks have no hooks).
      const ids = [...new Set(candidates.map((event) => event.taskId!))];
      const listed = new Map(
        ids.length
          ? (await store.list({ ids, limit: ids.length })).map((task) => [task.id, task])
          : [],
      );
      let orphan: ((task: Task) => boolean) | undefined;
      const plans = async (task: Task) =>
        this.#mine(task) || (orphan ??= await this.#orphanTest())(task);
      for (const event of candidates) {
        const task = listed.get(event.taskId!);
        if (!task || !await plans(task)) continue;
        const probe = planDeliveries(event, task, {
          globalHooks: this.#options.globalHooks,
          host: this.#options.host,
          outputTail: "",
        });
        if (probe.length) deliveries.push(...await this.#deliveriesOf(event, plans));
      }
      cursor = events[events.length - 1].id;
      await store.hooks.plan(this.#deliverer, cursor, deliveries);
      if (events.length < BATCH) return;
    }
  }

  /**
   * Whether this supervisor delivers the task's hooks: it ran it. Another home's task (a shared
   * store) is that home's supervisor's; a task that never ran (canceled while waiting) has no
   * home: the first supervisor to look plans it (a delivery is unique per event and hook).
   */
  #mine(task: Task): boolean {
    // A task row that names its host (a shared store) must name this one: two hosts may use the
    // same home path.
    const host = (task as { host?: string | null }).host;
    if (host && host !== this.#options.host) return false;
    return !task.home || task.home === this.#options.home.dir;
  }

  /**
   * Which tasks no live supervisor of theirs will plan (a shared store): their host and home
   * have no supervisor row, as after a dead host's rescue. Those the first supervisor to look
   * plans, as a task that never ran (a delivery is unique per event and hook).
   */
  async #orphanTest(): Promise<(task: Task) => boolean> {
    const live = new Set(
      (await this.#options.store.hosts()).map((host) => `${host.name}\0${host.home}`),
    );
    return (task) => !!task.host && !!task.home && !live.has(`${task.host}\0${task.home}`);
  }

  /**
   * Takes over the deliveries still to run (a webhook's retry, a hook cut short) of deliverers
   * that no supervisor serves any more — a dead or stopped host of a shared store — so that none
   * waits for a host that may never come back. Two supervisors taking the same are one update
   * after the other: the second finds none left.
   */
  async #adoptOrphaned(): Promise<void> {
    const { store, log } = this.#options;
    const pending = (await store.hooks.pendingDeliverers()).filter((d) => d !== this.#deliverer);
    if (!pending.length) return;
    const live = new Set((await store.hosts()).map((host) => `${host.name}:${host.home}`));
    const orphaned = pending.filter((deliverer) => !live.has(deliverer));
    const adopted = await store.hooks.adopt(orphaned, this.#deliverer);
    if (adopted) {
      log(
        `took over ${adopted} hook delivery(ies) of ${
          orphaned.join(", ")
        }: no supervisor runs there`,
      );
    }
  }

  /** Who delivers, in the delivery records and the cursor: this host and home. */
  get #deliverer(): string {
    return HookLoop.#delivererOf(this.#options);
  }

  static #delivererOf(options: HookLoopOptions): string {
    return `${options.host}:${options.home.dir}`;
  }

  async #deliveriesOf(event: TaskEvent, plans: (task: Task) => Promise<boolean>) {
    const { store, home } = this.#options;
    const task = await store.get(event.taskId!);
    if (!task || !await plans(task)) return [];
    const files = taskFiles(home.logs, task.id);
    let outputTail = "";
    let streams;
    try {
      outputTail = new TextDecoder().decode(readTail(files, "stdout", { lines: TAIL_LINES }));
      streams = {
        stdout: streamInfo(files, "stdout"),
        stderr: streamInfo(files, "stderr"),
        data: streamInfo(files, "data"),
      };
    } catch { /* no output files (never ran): no tail */ }
    return planDeliveries(event, task, {
      globalHooks: this.#options.globalHooks,
      host: this.#options.host,
      outputTail,
      streams,
    });
  }

  /** Starts the due deliveries that are not running yet, up to the cap. */
  async #runDue(): Promise<void> {
    const { store } = this.#options;
    const room = MAX_RUNNING - this.#running.size;
    if (room <= 0) return;
    const due = await store.hooks.due(this.#deliverer, Date.now(), room + this.#running.size);
    for (const delivery of due) {
      if (this.#running.has(delivery.id) || this.#running.size >= MAX_RUNNING) continue;
      const run = this.#deliver(delivery).finally(() => {
        // Forgotten by the loop itself, before its next look: a look already under way may
        // have read the row before this try was recorded, and must not start it again.
        this.#finished.push(delivery.id);
        this.wake();
      });
      this.#running.set(delivery.id, run);
    }
  }

  /** One try of a delivery, recorded (unless the supervisor stops meanwhile). */
  async #deliver(delivery: HookDelivery): Promise<void> {
    const { store, home, log } = this.#options;
    const signal = this.#stopping.signal;
    let outcome: TryOutcome;
    try {
      outcome = delivery.payload.action === "webhook"
        ? await postWebhook(
          delivery.payload,
          delivery.eventId,
          webhookSecret(home.dir, this.#options.webhookSecret),
          { signal },
        )
        : await runCommandHook(delivery.payload, { signal });
    } catch (error) {
      outcome = { ok: false, result: `cannot run: ${(error as Error).message}` };
    }
    if (signal.aborted) return;
    const at = Date.now();
    const retryIn = outcome.ok || delivery.payload.action !== "webhook"
      ? undefined
      : webhookRetryDelay(delivery.tries + 1);
    try {
      await store.hooks.record(delivery.id, {
        ...outcome,
        at,
        nextAt: retryIn === undefined ? null : at + retryIn,
      });
    } catch (error) {
      log(
        `cannot record hook ${delivery.hook} of task ${delivery.taskId}: ${
          (error as Error).message
        }`,
      );
    }
    if (!outcome.ok) {
      log(`hook ${delivery.hook} of task ${delivery.taskId}: ${outcome.result}`);
    }
  }
}
