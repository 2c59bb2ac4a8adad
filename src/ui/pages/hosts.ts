/**
 * The hosts page: each running supervisor as `bgt hosts` lists it — its heartbeat age (stale ones
 * marked), slots, labels, version and whether it drains — each a link to the tasks it ran.
 *
 * @example
 * ```ts
 * const body = await hostsPage(context);
 * ```
 */
import type { HostInfo } from "../../store/task_store.ts";
import { type Html, html } from "../html.ts";
import type { PageContext } from "../page_context.ts";
import { span, when } from "./layout.ts";

/** A heartbeat older than this marks a host as stale. */
export const STALE_HEARTBEAT_MS = 30_000;

/** The hosts page's live region. */
export async function hostsPage(context: PageContext): Promise<Html> {
  const hosts = await context.store.hosts();
  return html`
    <h1>Hosts</h1>
    <section class="card">${hostsTable(hosts, context.now)}</section>
  `;
}

/**
 * The table of hosts (also on the overview).
 *
 * @example
 * ```ts
 * hostsTable(await store.hosts(), Date.now());
 * ```
 */
export function hostsTable(hosts: readonly HostInfo[], now: number): Html {
  if (!hosts.length) {
    return html`
      <p
        class="empty-note">No supervisor is running: tasks wait until one starts (<code>bgt daemon start</code>).</p>
    `;
  }
  return html`
    <table>
      <thead>
        <tr>
          <th>host</th>
          <th class="num">pid</th>
          <th>heartbeat</th>
          <th class="num">slots</th>
          <th>labels</th>
          <th>version</th>
          <th>started</th>
        </tr>
      </thead>
      <tbody>${hosts.map((host) =>
        html`
          <tr>
            <td><a href="/tasks?host=${encodeURIComponent(host.name)}" title="its tasks">${host
              .name}</a>${host.draining
              ? html`
                <span class="pill s-paused">draining</span>
              `
              : ""}</td>
            <td class="num">${host.pid}</td>
            <td class="${host.heartbeatAgeMs > STALE_HEARTBEAT_MS ? "stale" : ""}">${span(
              host.heartbeatAgeMs,
            )} ago</td>
            <td class="num">${host.slotsUsed} / ${host.slotsTotal}</td>
            <td>${host.labels.join(", ") || html`<span class="muted">–</span>`}</td>
            <td>${host.version || html`<span class="muted">–</span>`}</td>
            <td>${when(host.startedAt, now)}</td>
          </tr>
        `
      )}</tbody>
    </table>
  `;
}
