/**
 * Wakes the supervisor after a submit without a round trip: a SIGUSR2 to the live holder of
 * the supervisor role (the table names it; pid and start time tell it from a reused pid). When
 * none lives, one is started. The signal only says "look at the table": the table is the queue.
 *
 * @example
 * ```ts
 * await store.submit([task]);
 * await wakeSupervisor(home, store);
 * ```
 */
import { isSameProcessAlive } from "../runtime/process.ts";
import { autostartOff, tellNoSupervisor } from "./autostart.ts";
import type { BgtHome } from "../store/home.ts";
import type { SupervisorRecord, TaskStore } from "../store/task_store.ts";

/** Signals the running supervisor, or starts one. */
export async function wakeSupervisor(home: BgtHome, store: TaskStore): Promise<void> {
  if (await _signalSupervisor(home, store)) return;
  if (_autostartIsOff(home)) return; // the task waits, queued, for the supervisor to come
  const { ensureSupervisor } = await import("./ensure_supervisor.ts");
  await ensureSupervisor(home);
}

/**
 * Makes sure a supervisor serves the home before a read, so that the table is current: when no
 * live supervisor holds the role, one is started and this resolves once its socket answers —
 * which it opens only after re-adopting the running tasks of its dead predecessor and storing
 * the ends of those that finished meanwhile. When one lives, nothing is sent (no round trip).
 * Throws SupervisorUnavailableError when none can be started.
 *
 * @example
 * ```ts
 * await superviseBeforeRead(home, store);
 * store.get(7); // a task that ended while no supervisor ran shows how it ended
 * ```
 */
export async function superviseBeforeRead(home: BgtHome, store: TaskStore): Promise<void> {
  if (await liveSupervisor(home, store)) return;
  if (_autostartIsOff(home)) return; // the table as stored
  const { ensureSupervisor } = await import("./ensure_supervisor.ts");
  await ensureSupervisor(home);
}

/** The supervisor holding the home's role, if it lives (pid and start time both match). */
export async function liveSupervisor(
  home: Pick<BgtHome, "dir">,
  store: TaskStore,
): Promise<SupervisorRecord | undefined> {
  const holder = await store.supervisorOf(home.dir);
  return holder && isSameProcessAlive(holder.pid, holder.startTime) ? holder : undefined;
}

/** True (having said so, once) when commands may not start a supervisor. */
function _autostartIsOff(home: BgtHome): boolean {
  const off = autostartOff(process.env);
  if (off) tellNoSupervisor(home, off);
  return off !== undefined;
}

/** Signals the supervisor if one lives (none is started); false when none does. */
async function _signalSupervisor(home: BgtHome, store: TaskStore): Promise<boolean> {
  const holder = await liveSupervisor(home, store);
  if (!holder) return false;
  try {
    process.kill(holder.pid, "SIGUSR2");
    return true;
  } catch {
    return false; // it ended just now
  }
}
