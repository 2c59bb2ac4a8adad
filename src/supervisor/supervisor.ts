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
import { availableParallelism } from "node:os";
import type { Server } from "node:net";
import { serveSocket } from "../ipc/socket_server.ts";
import { isSameProcessAlive, processStartTime } from "../runtime/process.ts";
import { storeReports } from "../runner/module_runner.ts";
import { WorkerHosts } from "../runner/worker_hosts.ts";
import { type BgtHome, ensureHome } from "../store/home.ts";
import { SqliteTaskStore } from "../store/sqlite_task_store.ts";
import { runsInWorker } from "../task/types.ts";
import { VERSION } from "../task/version.ts";
import { Dispatcher } from "./dispatcher.ts";
import { handleRequest } from "./handle_request.ts";
import type { SupervisorContext } from "./supervisor_context.ts";
import { TaskWaiters } from "./task_waiters.ts";

/** Longest wait for the recovery to be stored before the socket opens anyway. */
const RECOVERY_WAIT_MS = 5_000;

/** Options for {@linkcode startSupervisor}. */
export interface SupervisorOptions {
  home: BgtHome;
  /** Most tasks running at once. @default the available cores (BGT_PARALLEL overrides) */
  parallel?: number;
  /** Time between SIGTERM and SIGKILL when a task is killed or times out. @default 5000 */
  killGraceMs?: number;
  /** Longest wait for module tasks when stopping. @default 30000 */
  drainMs?: number;
  /** Where to report what happens. @default console.error with a timestamp */
  log?: (line: string) => void;
}

/** A running supervisor. */
export interface Supervisor {
  pid: number;
  /** Resolves when the supervisor has stopped. */
  stopped: Promise<void>;
  /** Begins a graceful stop. */
  stop(): void;
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
  const store = await SqliteTaskStore.open(home.db);
  const startTime = processStartTime(process.pid);
  const owner = `${process.pid}@${startTime ?? Date.now()}`;
  const startedAt = Date.now();
  // Clients wake us with SIGUSR2 (see client/wake_supervisor.ts). Listen before taking the
  // role, so that no wake-up can find us without a handler (its default action would kill us).
  let wake = () => {};
  const onWake = () => wake();
  process.on("SIGUSR2", onWake);
  const holder = store.takeSupervisor(
    { owner, pid: process.pid, startTime, startedAt },
    (other) => isSameProcessAlive(other.pid, other.startTime) && other.pid !== process.pid,
  );
  if (holder.owner !== owner) {
    process.off("SIGUSR2", onWake);
    store.close();
    throw new SupervisorRunningError(
      `Cannot start supervisor: one already runs for ${home.dir} (pid ${holder.pid})`,
    );
  }

  // Before anything can claim a task (a wake-up while the socket opens): no host is ours yet.
  const leftovers = WorkerHosts.endLeftovers(home.dir);
  const parallel = options.parallel ?? availableParallelism();
  // Module tasks run in worker host processes, not in this one: a task that exhausts memory
  // or crashes its runtime takes its host down, never the supervisor.
  const hosts = new WorkerHosts({ homeDir: home.dir });
  const waiters = new TaskWaiters(store);
  const dispatcher = new Dispatcher({
    store,
    owner,
    logsDir: home.logs,
    homeDir: home.dir,
    parallel,
    killGraceMs: options.killGraceMs,
    runModule: (task, files) => hosts.start(task, files, storeReports(store, task.id)),
    onFinished: (task) => waiters.finished(task),
    log,
  });

  wake = () => dispatcher.wake();

  let resolveStopped!: () => void;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
  const servers: Server[] = [];
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    log(`stopping: ${dispatcher.running} running task(s)`);
    for (const server of servers) server.close();
    const timeout = new Promise<void>((resolve) =>
      setTimeout(resolve, options.drainMs ?? 30_000).unref?.()
    );
    // Command tasks keep running under their waiters; the next supervisor re-adopts them.
    void Promise.race([
      dispatcher.drain((task) => runsInWorker(task.spec)),
      timeout,
    ]).then(
      async () => {
        await hosts.close();
        await dispatcher.drain(() => false); // stores the ends of tasks the close ended
        store.releaseSupervisor(owner);
        store.close();
        log("stopped");
        resolveStopped();
      },
    );
  };
  const context: SupervisorContext = {
    home,
    store,
    dispatcher,
    waiters,
    startedAt,
    parallel,
    version: VERSION,
    stop,
  };

  // The socket opens once the recovery is stored: a client that started this supervisor waits
  // for the socket, so what it reads next shows how the tasks that ended meanwhile ended. (A
  // database that refuses writes delays that at most RECOVERY_WAIT_MS; the ends stay queued.)
  const recovery = dispatcher.recover().then(({ adopted, lost }) =>
    log(
      `started pid ${process.pid} on ${home.dir} (parallel ${parallel}); re-adopted ${adopted}, lost ${lost}` +
        (leftovers ? `; ended ${leftovers} worker host(s) a dead supervisor left` : ""),
    )
  );
  await Promise.race([recovery, _delay(RECOVERY_WAIT_MS)]);
  const server = await serveSocket(
    home.socket,
    (request, signal) => handleRequest(context, request, signal),
  );
  if (stopping) server.close(); // stopped while it recovered
  else servers.push(server);
  dispatcher.wake();
  return { pid: process.pid, stopped, stop };
}

function _delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref?.());
}
