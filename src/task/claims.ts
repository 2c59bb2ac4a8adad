/**
 * The claim rule: which due tasks one claim takes, in due order (priority desc, run_at, id),
 * within each kind's budget (processes, worker modules), a total limit and the room of groups
 * with a limit.
 *
 * @example
 * ```ts
 * const { full, room } = groupRoom([{ name: "db", parallel: 2, paused: false }], { db: 1 });
 * pickClaims(candidates, { maxProcesses: 4, maxWorkers: 0, room }); // at most 1 task of "db"
 * ```
 */

/** A due task a claim may take. */
export interface ClaimCandidate {
  id: number;
  grp: string;
  /** A worker module (true, or 1 as SQLite returns it) or a process. */
  inWorker: boolean | number;
  priority: number;
  runAt: number;
}

/** The due order: higher priority first, then earlier run_at, then lower id. */
export function dueOrder(a: ClaimCandidate, b: ClaimCandidate): number {
  return b.priority - a.priority || a.runAt - b.runAt || a.id - b.id;
}

/** The groups with no room left, and the room of each limited group that has some. */
export function groupRoom(
  groups: readonly { name: string; parallel: number | null }[],
  running: Readonly<Record<string, number>>,
): { full: string[]; room: Record<string, number> } {
  const full: string[] = [];
  const room: Record<string, number> = {};
  for (const group of groups) {
    if (group.parallel === null) continue;
    const left = group.parallel - (running[group.name] ?? 0);
    if (left <= 0) full.push(group.name);
    else room[group.name] = left;
  }
  return { full, room };
}

/** The ids to claim, in due order. */
export function pickClaims(
  candidates: readonly ClaimCandidate[],
  budget: {
    maxProcesses: number;
    maxWorkers: number;
    limit?: number;
    room?: Readonly<Record<string, number>>;
  },
): number[] {
  let { maxProcesses, maxWorkers } = budget;
  const limit = budget.limit ?? Infinity;
  const room = { ...budget.room };
  const ids: number[] = [];
  for (const candidate of [...candidates].sort(dueOrder)) {
    if ((maxProcesses <= 0 && maxWorkers <= 0) || ids.length >= limit) break;
    if ((candidate.inWorker ? maxWorkers : maxProcesses) <= 0) continue;
    if (room[candidate.grp] !== undefined) {
      if (room[candidate.grp] <= 0) continue;
      room[candidate.grp]--;
    }
    if (candidate.inWorker) maxWorkers--;
    else maxProcesses--;
    ids.push(candidate.id);
  }
  return ids;
}
