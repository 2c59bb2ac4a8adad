/**
 * Wakes the supervisor after a submit without a round trip: a SIGUSR2 to the live holder of
 * the supervisor role (the table names it; pid and start time tell it from a reused pid). When
 * none lives, one is started. The signal only says "look at the table": the table is the queue.
 *
 * @example
 * ```ts
 * store.submit([task]);
 * await wakeSupervisor(home, store);
 * ```
 */
import { isSameProcessAlive } from "../runtime/process.ts";
import type { BgtHome } from "../store/home.ts";
import type { TaskStore } from "../store/task_store.ts";

/** Signals the running supervisor, or starts one. */
export async function wakeSupervisor(home: BgtHome, store: TaskStore): Promise<void> {
  if (_signalSupervisor(store)) return;
  const { ensureSupervisor } = await import("./ensure_supervisor.ts");
  await ensureSupervisor(home);
}

/** Signals the supervisor if one lives (none is started); false when none does. */
function _signalSupervisor(store: TaskStore): boolean {
  const holder = store.supervisor();
  if (!holder || !isSameProcessAlive(holder.pid, holder.startTime)) return false;
  try {
    process.kill(holder.pid, "SIGUSR2");
    return true;
  } catch {
    return false; // it ended just now
  }
}
