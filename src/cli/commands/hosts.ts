/**
 * `bgt hosts`: the supervisors that share this store — where each runs, since when, how long
 * ago it last gave a heartbeat, its slots in use out of its total, its labels, its version and
 * whether it is stopping. On the one-host default store it lists this home's supervisor.
 *
 * @example
 * ```sh
 * bgt hosts
 * bgt hosts --json
 * ```
 */
import { Command } from "@commander-js/extra-typings";
import { hostJson } from "../../store/host_json.ts";
import type { HostInfo } from "../../store/task_store.ts";
import { duration, relativeTime, table, toJson } from "../format.ts";
import { withClient } from "../with_client.ts";
import { stdout } from "../../runtime/std_output.ts";

/** The `hosts` command. */
export function hostsCommand() {
  return new Command("hosts")
    .description("list the supervisors sharing this store: heartbeat, slots, labels")
    .option("--json", "print a JSON array")
    .action(async (options) => {
      await withClient(async (client) => {
        const hosts = await client.hosts();
        if (options.json) {
          stdout.write(`${toJson(hosts.map(hostJson), 2)}\n`);
        } else if (!hosts.length) {
          stdout.write("no supervisor runs ('bgt daemon start' starts one)\n");
        } else {
          stdout.write(`${renderHosts(hosts)}\n`);
        }
      });
    });
}

/** The hosts table. */
export function renderHosts(hosts: readonly HostInfo[], now = Date.now()): string {
  return table([
    ["HOST", "PID", "STARTED", "HEARTBEAT", "SLOTS", "LABELS", "VERSION", "STATE"],
    ...hosts.map((host) => [
      host.name,
      String(host.pid),
      relativeTime(now - (host.heartbeatAt + host.heartbeatAgeMs - host.startedAt), now),
      `${duration(host.heartbeatAgeMs)} ago`,
      `${host.slotsUsed}/${host.slotsTotal}`,
      host.labels.join(",") || "-",
      host.version || "-",
      host.draining ? "draining" : "running",
    ]),
  ]);
}
