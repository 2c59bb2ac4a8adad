/**
 * The supervisor's lifecycle: take the supervisor role for a home (one per home: a row in the
 * database taken in a transaction, with a liveness check of its holder), serve the socket,
 * re-adopt or record the tasks of a dead predecessor, dispatch, and drain on SIGTERM.
 *
 * @example
 * ```ts
 * const supervisor = await startSupervisor({ home: bgtHome(process.env) });
 * await supervisor.stopped; // after `bgt daemon stop` or SIGTERM
 * ```
 */
import { hostname } from "node:os";
import { type BgtConfig, configPath, loadConfig } from "../config/config_file.ts";
import { DEFAULT_DRAIN_MS } from "../ipc/protocol.ts";
import { serveSocket, type SocketServer } from "../ipc/socket_server.ts";
import { isSameProcessAlive, processStartTime } from "../runtime/process.ts";
import { storeReports } from "../runner/module_runner.ts";
import { WorkerHosts } from "../runner/worker_hosts.ts";
import { type BgtHome, ensureHome } from "../store/home.ts";
import { homeSettingKey, homeSettings, PARALLEL_KEY } from "../store/home_settings.ts";
import { openStore, storeConfig } from "../store/open_store.ts";
import { DEFAULT_LEASE_MS } from "../store/store_rows.ts";
import { runsInWorker, type Task } from "../task/types.ts";
import { VERSION } from "../task/version.ts";
import { Dispatcher } from "./dispatcher.ts";
import { pruneFinished } from "./retention.ts";
import { resolveSettings, type SettingSource } from "./settings.ts";
import { handleRequest } from "./handle_request.ts";
import { HostLease } from "./host_lease.ts";
import type { SupervisorContext } from "./supervisor_context.ts";
import { TaskWaiters } from "./task_waiters.ts";
import { EventBell } from "./event_bell.ts";
import { HookLoop } from "../hooks/hook_loop.ts";
import type { GlobalHook } from "../hooks/global_hooks.ts";
import { serveControlRequests } from "./control_requests.ts";
import { OutputShipper } from "./output_shipper.ts";

/** Longest wait for the recovery to be stored before the socket opens anyway. */
const RECOVERY_WAIT_MS = 5_000;
/** How often the supervisor renews its heartbeat and prunes old events. */
const HOUSEKEEPING_MS = 60_000;

/** Options for {@linkcode startSupervisor}. */
export interface SupervisorOptions {
  home: BgtHome;
  /**
   * Most tasks running at once, as a flag sets it (wins over everything). Else: the value
   * `bgt parallel N` stored, BGT_PARALLEL (`env`), the config file, the available cores.
   */
  parallel?: number;
  /**
   * Time between SIGTERM and SIGKILL when a task is killed or times out, as a flag sets it.
   * Else: BGT_KILL_GRACE (`env`), the config file's kill_grace, 5000.
   */
  killGraceMs?: number;
  /** BGT_PARALLEL and BGT_KILL_GRACE, parsed by the caller. @default none */
  env?: { parallel?: number; killGraceMs?: number };
  /** The config file's settings. @default loadConfig(process.env) */
  config?: BgtConfig;
  /**
   * Longest wait for running module tasks when stopping gracefully; then their worker hosts
   * are ended and the tasks recorded `lost`. @default 30000
   */
  drainMs?: number;
  /** Where to report what happens. @default console.error with a timestamp */
  log?: (line: string) => void;
  /** The config file's `[[hooks]]`, checked (see parseGlobalHooks). @default none */
  globalHooks?: readonly GlobalHook[];
  /** The config file's `webhook_secret`. @default the home's own */
  webhookSecret?: string;
  /**
   * This host's name in the registry and on its tasks. @default BGT_HOST, the config file's
   * host, the hostname
   */
  host?: string;
  /**
   * Labels that `--need LABEL` tasks look for. @default BGT_LABELS (comma-separated), the config
   * file's labels, none
   */
  labels?: string[];
  /**
   * On a shared store: without a heartbeat for this long, the others declare this supervisor
   * dead and rescue its tasks; cut off for 60 % of it, it ends its own tasks first.
   * @default BGT_DEAD_AFTER, else 10000
   */
  leaseMs?: number;
}

/** A running supervisor. */
export interface Supervisor {
  pid: number;
  /** Resolves when the supervisor has stopped. */
  stopped: Promise<void>;
  /** Begins a graceful stop (`drainMs`: longest wait for module tasks; see SupervisorOptions). */
  stop(options?: { drainMs?: number }): void;
  /** Set when it stopped because the other hosts declared it dead (it lost its lease). */
  readonly declaredDead: boolean;
}

/** Thrown when another live supervisor holds the home. */
export class SupervisorRunningError extends Error {
  override name = "SupervisorRunningError";
  readonly code = "SUPERVISOR_RUNNING";
}

/** Starts a supervisor on `home`; rejects with SupervisorRunningError if one already runs. */
export async function startSupervisor(options: SupervisorOptions): Promise<Supervisor> {
  const { home } = options;
  const log = options.log ??
    ((line: string) => console.error(`${new Date().toISOString()} ${line}`));
  ensureHome(home);
  // A broken config file stops the start before anything is taken (one line, exit 2).
  const config = options.config ?? loadConfig(process.env);
  const store = await openStore(storeConfig(process.env, home), { role: "supervisor" });
  const startTime = processStartTime(process.pid);
  const host = options.host ?? (process.env.BGT_HOST?.trim() || config.host || hostname());
  const labels = options.labels ??
    (process.env.BGT_LABELS !== undefined
      ? parseLabels(process.env.BGT_LABELS)
      : [...new Set(config.labels ?? [])]);
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  // Unique per start, also across hosts that reuse a name and a pid.
  const owner = `${host}/${process.pid}/${startTime ?? Date.now()}/${
    Math.random().toString(36).slice(2, 8)
  }`;
  const settings = resolveSettings({
    flags: { parallel: options.parallel, killGraceMs: options.killGraceMs },
    env: options.env ?? {},
    config,
    stored: homeSettings(store, home.dir, await store.settings()),
  });
  const sources: Record<string, SettingSource> = {
    parallel: settings.parallel.source,
    killGraceMs: settings.killGraceMs.source,
  };
  const parallel = settings.parallel.value;
  const startedAt = await store.now();
  // Clients wake us with SIGUSR2 (see client/wake_supervisor.ts). Listen before taking the
  // role, so that no wake-up can find us without a handler (its default action would kill us).
  let wake = () => {};
  const onWake = () => wake();
  process.on("SIGUSR2", onWake);
  const holder = await store.takeSupervisor(
    {
      owner,
      home: home.dir,
      host,
      pid: process.pid,
      startTime,
      startedAt,
      heartbeatAt: startedAt,
      labels,
      slots: parallel,
      version: VERSION,
      leaseMs,
    },
    (other) => isSameProcessAlive(other.pid, other.startTime) && other.pid !== process.pid,
  );
  if (holder.owner !== owner) {
    process.off("SIGUSR2", onWake);
    await store.close();
    throw new SupervisorRunningError(
      `Cannot start supervisor: one already runs for ${home.dir} (pid ${holder.pid})`,
    );
  }

  // Before anything can claim a task (a wake-up while the socket opens): no host is ours yet.
  const leftovers = WorkerHosts.endLeftovers(home.dir);
  // Module tasks run in worker host processes, not in this one: a task that exhausts memory
  // or crashes its runtime takes its host down, never the supervisor.
  const hosts = new WorkerHosts({ homeDir: home.dir });
  const waiters = await TaskWaiters.open(store);
  const bell = new EventBell();
  // Hooks run beside the claim loop, never in it: they follow the outbox on their own.
  const hookLoop = await HookLoop.start({
    store,
    home,
    host,
    globalHooks: options.globalHooks ?? [],
    webhookSecret: options.webhookSecret,
    log,
  });
  bell.onRing(() => hookLoop.wake());
  // On a store shared by several hosts, the output goes there too (read from any host).
  const shipper = store.output &&
    new OutputShipper({ output: store.output, homeDir: home.dir, logsDir: home.logs, log });
  const dispatcher = new Dispatcher({
    store,
    owner,
    logsDir: home.logs,
    homeDir: home.dir,
    parallel,
    killGraceMs: settings.killGraceMs.value,
    runModule: (task, files) =>
      hosts.start(task, files, storeReports(store, task.id, { owner, attempt: task.attempt })),
    onEvents: (events) => {
      waiters.seen(events);
      bell.ring();
    },
    log,
    host,
    shipper,
  });

  wake = () => {
    dispatcher.wake();
    bell.ring();
  };
  // A store shared by several hosts says when work or events come from elsewhere (PostgreSQL:
  // its NOTIFYs and a poll); SQLite's one host wakes us by signal and socket (a no-op here).
  const unlisten = await Promise.all([
    store.listen("work", () => dispatcher.wake()),
    store.listen("events", () => {
      bell.ring();
      waiters.catchUp().catch((error) => log(`cannot read events: ${(error as Error).message}`));
    }),
    // Requests from other hosts for the tasks this supervisor runs (a shared store only).
    ...(store.control
      ? [serveControlRequests({
        control: store.control,
        owner,
        dispatcher,
        logsDir: home.logs,
        onForget: (id) => shipper?.forget(id),
        log,
      })]
      : []),
  ]);
  // The heartbeat says this supervisor lives (on a shared store its lease renews it far more
  // often); the outbox keeps 7 days and 100,000 events; the config file's [retention] says which
  // finished tasks to keep.
  const shared = store.kind === "postgres";
  const prune = async () => {
    if (!config.retention) return;
    const { removed, events } = await pruneFinished(store, home.logs, config.retention);
    waiters.seen(events);
    if (removed.length) log(`removed ${removed.length} finished task(s) past [retention]`);
  };
  const housekeeping = setInterval(() => {
    (shared ? Promise.resolve() : store.heartbeat(owner).then(() => {}))
      .then(() => store.pruneEvents()).then(prune).catch((error) =>
        log(`cannot keep house: ${(error as Error).message}`)
      );
  }, HOUSEKEEPING_MS);
  housekeeping.unref?.();
  // On a shared store: the lease (heartbeat every tenth of it), self-fencing when cut off,
  // and the rescue of dead supervisors' tasks.
  let declaredDead = false;
  const lease = shared
    ? new HostLease({
      store,
      owner,
      leaseMs,
      log,
      onFence: (reason) =>
        dispatcher.fence(reason, Math.min(settings.killGraceMs.value, leaseMs / 5)),
      onUnfence: () => dispatcher.unfence(),
      onDead: () => {
        declaredDead = true;
        log(
          `the other hosts declared this supervisor dead (no heartbeat for ${leaseMs} ms): ` +
            "stopping; its tasks were rescued elsewhere",
        );
        dispatcher.fence("this supervisor was declared dead", 0);
        stop({ drainMs: 0 });
      },
      onRescued: (events, deadHosts) => {
        if (deadHosts.length) log(`found dead: host(s) ${deadHosts.join(", ")}`);
        const lost = events.filter((event) => event.kind === "lost").length;
        const retrying = events.filter((event) => event.kind === "retrying").length;
        if (events.length) {
          log(`rescued the tasks of dead hosts: ${lost} lost, ${retrying} to retry`);
        }
        waiters.seen(events);
        dispatcher.wake();
      },
    })
    : undefined;
  lease?.start();

  let resolveStopped!: () => void;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
  const servers: SocketServer[] = [];
  let serversClosed = false;
  // A graceful stop waits for the module tasks in worker hosts (they end with their hosts);
  // command and --isolate'd tasks keep running under their waiters for the next supervisor.
  const awaited = (task: Task) => runsInWorker(task.spec);
  let drainDeadline: number | undefined;
  let giveUp = () => {};
  let giveUpTimer: ReturnType<typeof setTimeout> | undefined;
  const armGiveUp = () => {
    clearTimeout(giveUpTimer);
    giveUpTimer = setTimeout(() => giveUp(), Math.max(0, (drainDeadline ?? 0) - Date.now()));
  };
  const waitingFor = () => dispatcher.runningTasks.filter(awaited).map((task) => task.id);
  const stop = (request: { drainMs?: number } = {}) => {
    const drainMs = request.drainMs ?? options.drainMs ?? DEFAULT_DRAIN_MS;
    const deadline = Date.now() + drainMs;
    if (drainDeadline !== undefined) {
      // Stopping already: a second stop (`daemon stop --now`) can only make the wait shorter.
      if (deadline < drainDeadline) {
        drainDeadline = deadline;
        log(`stopping sooner: waiting at most ${drainMs} ms more`);
        armGiveUp();
      }
      return;
    }
    drainDeadline = deadline;
    store.setDraining(owner, true).catch(() => {});
    log(
      `stopping: ${dispatcher.running} running task(s); waiting up to ${drainMs} ms for the ` +
        `module task(s) ${waitingFor().join(", ") || "(none)"}`,
    );
    const timeUp = new Promise<void>((resolve) => (giveUp = resolve));
    armGiveUp();
    // The socket stays open meanwhile: `daemon status` says what the stop waits for.
    void Promise.race([dispatcher.drain(awaited), timeUp]).then(
      async () => {
        clearTimeout(giveUpTimer);
        const left = waitingFor();
        if (left.length) {
          log(`ending the worker hosts of task(s) ${left.join(", ")}: recorded lost`);
        }
        await hosts.close();
        await dispatcher.drain(() => false); // stores the ends of tasks the close ended
        await hookLoop.stop();
        serversClosed = true;
        for (const server of servers) server.close();
        clearInterval(housekeeping);
        lease?.stop();
        await Promise.all(unlisten.map((stop) => stop().catch(() => {})));
        await shipper?.stop();
        // A store gone meanwhile (its schema dropped, the server away) must not keep the
        // process from stopping: the row is a dead host's to others, as after a crash.
        await store.releaseSupervisor(owner).catch((error) =>
          log(`cannot release this supervisor's row: ${(error as Error).message}`)
        );
        await store.close().catch(() => {});
        log("stopped");
        resolveStopped();
      },
    );
  };
  const draining = () =>
    drainDeadline === undefined ? undefined : { waitingFor: waitingFor(), deadline: drainDeadline };
  const context: SupervisorContext = {
    home,
    store,
    dispatcher,
    waiters,
    bell,
    startedAt,
    get parallel() {
      return dispatcher.parallel;
    },
    async setParallel(value: number) {
      await store.setSetting(homeSettingKey(store, home.dir, PARALLEL_KEY), String(value));
      dispatcher.setParallel(value);
      await store.heartbeat(owner, value); // `bgt hosts` shows the new total

      sources.parallel = "store";
      log(`parallel ${value} (bgt parallel)`);
    },
    sources,
    killGraceMs: settings.killGraceMs.value,
    configPath: configPath(process.env),
    version: VERSION,
    stop,
    draining,
    log,
  };

  // The socket opens once the recovery is stored: a client that started this supervisor waits
  // for the socket, so what it reads next shows how the tasks that ended meanwhile ended. (A
  // database that refuses writes delays that at most RECOVERY_WAIT_MS; the ends stay queued.)
  const recovery = dispatcher.recover(home.dir).then(({ adopted, lost }) => {
    shipper?.resume(); // the output a dead predecessor had not shipped yet
    log(
      `started pid ${process.pid} on ${home.dir} (parallel ${parallel} from ${settings.parallel.source}); re-adopted ${adopted}, lost ${lost}` +
        (leftovers ? `; ended ${leftovers} worker host(s) a dead supervisor left` : ""),
    );
  });
  await Promise.race([recovery, _delay(RECOVERY_WAIT_MS)]);
  void recovery.then(prune).catch((error) =>
    log(`cannot remove finished tasks past [retention]: ${(error as Error).message}`)
  );
  const server = await serveSocket(
    home.socket,
    (request, signal) => handleRequest(context, request, signal),
  );
  if (serversClosed) server.close(); // stopped while it recovered
  else servers.push(server);
  dispatcher.wake();
  return {
    pid: process.pid,
    stopped,
    stop,
    get declaredDead() {
      return declaredDead;
    },
  };
}

/**
 * Labels from `a,b` (BGT_LABELS, `--labels`): trimmed, without empties or repeats.
 *
 * @example
 * ```ts
 * parseLabels("gpu, big,gpu"); // ["gpu", "big"]
 * ```
 */
export function parseLabels(text: string): string[] {
  return [...new Set(text.split(",").map((label) => label.trim()).filter(Boolean))];
}

function _delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref?.());
}
