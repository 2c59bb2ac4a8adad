/**
 * What a process tree uses, read from Linux's /proc: the CPU share and the resident memory of a
 * process and everything it started (its descendants, and what stays in its process group after
 * its parent left it). The CPU share is each process's CPU time over its lifetime, summed over
 * the tree, as `ps` computes %CPU (100 = one core busy the whole time). Elsewhere than Linux, or
 * for a process that has gone, it is undefined.
 *
 * @example
 * ```ts
 * const use = processTreeUsage(process.pid); // { cpuPercent: 3.1, rssBytes: 52428800, processes: 1 }
 * ```
 */
import { readdirSync, readFileSync } from "node:fs";

/** The use of one process tree. */
export interface ProcessTreeUsage {
  /** CPU time over lifetime, in percent of one core, summed over the tree. */
  cpuPercent: number;
  /** Resident memory of every process of the tree, in bytes. */
  rssBytes: number;
  /** How many processes the tree has. */
  processes: number;
}

/** Clock ticks per second of /proc's times (USER_HZ: 100 on every Linux ABI in use). */
const TICKS_PER_SECOND = 100;

interface _Stat {
  pid: number;
  ppid: number;
  pgid: number;
  cpuTicks: number;
  startTicks: number;
  rssPages: number;
}

/** A snapshot of every process, to measure several trees with one pass over /proc. */
export class ProcessTable {
  #stats: _Stat[];
  #uptimeTicks: number;
  #pageSize: number;

  private constructor(stats: _Stat[], uptimeTicks: number, pageSize: number) {
    this.#stats = stats;
    this.#uptimeTicks = uptimeTicks;
    this.#pageSize = pageSize;
  }

  /** Reads /proc once; undefined where there is no /proc. */
  static read(): ProcessTable | undefined {
    let names: string[];
    let uptime: number;
    try {
      names = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
      uptime = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
    } catch {
      return undefined;
    }
    const stats: _Stat[] = [];
    for (const name of names) {
      const stat = _readStat(name);
      if (stat) stats.push(stat);
    }
    return new ProcessTable(stats, uptime * TICKS_PER_SECOND, _pageSize());
  }

  /** The use of the tree under `rootPid` (its descendants and its process group). */
  usage(rootPid: number): ProcessTreeUsage | undefined {
    if (!this.#stats.some((stat) => stat.pid === rootPid)) return undefined;
    const children = new Map<number, _Stat[]>();
    for (const stat of this.#stats) {
      const list = children.get(stat.ppid) ?? [];
      list.push(stat);
      children.set(stat.ppid, list);
    }
    const members = new Map<number, _Stat>();
    const visit = (stat: _Stat) => {
      if (members.has(stat.pid)) return;
      members.set(stat.pid, stat);
      for (const child of children.get(stat.pid) ?? []) visit(child);
    };
    for (const stat of this.#stats) {
      if (stat.pid === rootPid || stat.pgid === rootPid) visit(stat);
    }
    let cpuPercent = 0;
    let rssPages = 0;
    for (const stat of members.values()) {
      const lifetime = this.#uptimeTicks - stat.startTicks;
      if (lifetime > 0) cpuPercent += (100 * stat.cpuTicks) / lifetime;
      rssPages += stat.rssPages;
    }
    return {
      cpuPercent: Math.round(cpuPercent * 10) / 10,
      rssBytes: rssPages * this.#pageSize,
      processes: members.size,
    };
  }
}

/**
 * The use of one process tree (reads all of /proc: to measure several, read a
 * {@linkcode ProcessTable} once).
 */
export function processTreeUsage(rootPid: number): ProcessTreeUsage | undefined {
  return ProcessTable.read()?.usage(rootPid);
}

function _readStat(pid: string): _Stat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: fields follow the last ')'.
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    // fields[0] is field 3 (state); field n is fields[n - 3].
    if (fields[0] === "Z") return undefined;
    return {
      pid: Number(pid),
      ppid: Number(fields[1]),
      pgid: Number(fields[2]),
      cpuTicks: Number(fields[11]) + Number(fields[12]),
      startTicks: Number(fields[19]),
      rssPages: Number(fields[21]),
    };
  } catch {
    return undefined; // gone meanwhile
  }
}

/** The memory page size, from the kernel's own accounting of this process. */
function _pageSize(): number {
  try {
    // statm's resident pages against status's VmRSS in kB give the page size.
    const pages = Number(readFileSync("/proc/self/statm", "utf8").split(" ")[1]);
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1]);
    const size = Math.round((kb * 1024) / pages / 1024) * 1024;
    return size > 0 ? size : 4096;
  } catch {
    return 4096;
  }
}
