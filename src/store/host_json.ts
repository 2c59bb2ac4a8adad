/**
 * The stable `--json` shape of a host (a running supervisor): what `bgt hosts --json` prints and
 * the dashboard's `/api/hosts` answers, with ISO times.
 *
 * @example
 * ```ts
 * const hosts = (await store.hosts()).map(hostJson);
 * // [{ name: "b", pid: 4242, startedAt: "2026-…Z", heartbeatAgeMs: 812, slotsUsed: 1, … }]
 * ```
 */
import { iso } from "../task/task_json.ts";
import type { HostInfo } from "./task_store.ts";

/**
 * One host as `hosts --json` prints it (times as ISO text).
 *
 * @example
 * ```ts
 * hostJson(host).heartbeatAt; // "2026-12-01T00:41:07.512Z"
 * ```
 */
export function hostJson(host: HostInfo): Record<string, unknown> {
  return {
    name: host.name,
    pid: host.pid,
    startedAt: iso(host.startedAt),
    heartbeatAt: iso(host.heartbeatAt),
    heartbeatAgeMs: host.heartbeatAgeMs,
    slotsUsed: host.slotsUsed,
    slotsTotal: host.slotsTotal,
    labels: host.labels,
    version: host.version,
    draining: host.draining,
    home: host.home,
  };
}
