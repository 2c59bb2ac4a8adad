/**
 * The overview page: counts by group × state (unfinished tasks of any age, finished ones of the
 * last 24 hours: both index ranges, so the page stays fast on a table of millions), the tasks
 * that ended per minute over the last hour as an inline SVG chart, and the hosts with their
 * heartbeat age.
 *
 * @example
 * ```ts
 * const body = await overviewPage(context);
 * ```
 */
import type { GroupStatusCount, MinuteTally } from "../../store/task_store.ts";
import type { TaskStatus } from "../../task/types.ts";
import { type Html, html } from "../html.ts";
import type { PageContext } from "../page_context.ts";
import { hostsTable } from "./hosts.ts";
import { statusPill } from "./layout.ts";

/** Finished tasks count on the overview for this long after they were created. */
const DAY_MS = 24 * 3600_000;

/** Every state, in the order a task moves through them. */
export const ALL_STATUSES: readonly TaskStatus[] = [
  "scheduled",
  "queued",
  "blocked",
  "running",
  "paused",
  "succeeded",
  "failed",
  "canceled",
  "timed_out",
  "lost",
];

/** The overview's live region. */
export async function overviewPage(context: PageContext): Promise<Html> {
  const { store, now } = context;
  const [byGroup, minutes, hosts] = await Promise.all([
    store.countsByGroup(now - DAY_MS),
    store.endsPerMinute(now - 3600_000),
    store.hosts(),
  ]);
  const totals = new Map<TaskStatus, number>();
  for (const row of byGroup) totals.set(row.status, (totals.get(row.status) ?? 0) + row.count);
  const shown: TaskStatus[] = ["queued", "running", "succeeded", "failed"];
  return html`
    <h1>Overview</h1>
    <div class="stats">${shown.map((status) =>
      html`
        <a class="stat s-${status}"
          href="/tasks?state=${status}"><b>${(totals.get(status) ?? 0).toLocaleString(
            "en",
          )}</b><span>${status}${status === "succeeded" || status === "failed"
            ? html`
              <small>· 24 h</small>
            `
            : ""}</span></a>
      `
    )}<div class="stat"><b>${hosts.length}</b><span>hosts</span></div></div>
    <div class="grid">
      <section class="card chart"><h2>Ended per minute, last hour</h2>${endsChart(minutes, now)}
    <div class="legend"><span><i class="ok"></i>succeeded</span><span><i class="bad"></i>failed, timed out, lost</span></div></section>
      <section class="card"><h2>Hosts</h2>${hostsTable(hosts, now)}</section>
    </div>
    <section class="card"><h2>Tasks by group and state</h2>${groupTable(byGroup)}
      <p class="muted note">Unfinished tasks of any age; finished ones created in the last 24 hours.</p></section>
  `;
}

/**
 * The group × state table; each count links to the tasks it counts.
 *
 * @example
 * ```ts
 * groupTable(await store.countsByGroup(Date.now() - 86_400_000));
 * ```
 */
export function groupTable(rows: readonly GroupStatusCount[]): Html {
  if (!rows.length) {
    return html`<p class="empty-note">No tasks yet. Start one: <code>bgt run -- sleep 5</code></p>`;
  }
  const groups = [...new Set(rows.map((row) => row.group))].sort();
  const present = ALL_STATUSES.filter((status) => rows.some((row) => row.status === status));
  const count = (group: string, status: TaskStatus) =>
    rows.find((row) => row.group === group && row.status === status)?.count ?? 0;
  return html`
    <table>
      <thead>
        <tr><th>group</th>${present.map((status) =>
          html`<th class="num">${statusPill(status)}</th>`
        )}<th class="num">total</th></tr>
      </thead>
      <tbody>${groups.map((group) => {
        const total = present.reduce((sum, status) => sum + count(group, status), 0);
        return html`<tr><td><a href="/tasks?group=${encodeURIComponent(group)}">${group}</a></td>${
          present.map((status) => {
            const n = count(group, status);
            return html`<td class="num">${
              n
                ? html`<a href="/tasks?group=${encodeURIComponent(group)}&amp;state=${status}">${
                  n.toLocaleString("en")
                }</a>`
                : html`<span class="muted">0</span>`
            }</td>`;
          })
        }<td class="num">${total.toLocaleString("en")}</td></tr>`;
      })}</tbody>
    </table>
  `;
}

/**
 * 60 stacked bars (one per minute, oldest left) as inline SVG; no script needed.
 *
 * @example
 * ```ts
 * endsChart(await store.endsPerMinute(now - 3_600_000), now); // <svg …>
 * ```
 */
export function endsChart(minutes: readonly MinuteTally[], now: number): Html {
  const width = 600, height = 150, left = 32, bottom = 18;
  const first = Math.floor(now / 60000) * 60000 - 59 * 60000;
  const byMinute = new Map(minutes.map((tally) => [tally.minute, tally]));
  const bars = Array.from({ length: 60 }, (_, i) => {
    const tally = byMinute.get(first + i * 60000);
    return { ok: tally?.succeeded ?? 0, bad: tally?.failed ?? 0 };
  });
  const max = Math.max(1, ...bars.map((bar) => bar.ok + bar.bad));
  const plot = height - bottom;
  const step = (width - left) / 60;
  const scale = (n: number) => (n / max) * (plot - 6);
  return html`<svg viewBox="0 0 ${width} ${height}" role="img" aria-label="tasks ended per minute">
<line class="axis" x1="${left}" y1="${plot}" x2="${width}" y2="${plot}"/>
<text x="0" y="10">${max}</text><text x="0" y="${plot}">0</text>
<text x="${left}" y="${height - 4}">-60m</text><text x="${width - 28}" y="${height - 4}">now</text>
${
    bars.map((bar, i) => {
      const x = (left + i * step + 1).toFixed(1);
      const w = Math.max(1, step - 2).toFixed(1);
      const okH = scale(bar.ok), badH = scale(bar.bad);
      return html`${
        bar.ok
          ? html`
            <rect class="ok" x="${x}" y="${(plot - okH).toFixed(1)}" width="${w}" height="${okH
              .toFixed(1)}">
              <title>${bar.ok} succeeded</title>
            </rect>
          `
          : ""
      }${
        bar.bad
          ? html`
            <rect class="bad" x="${x}" y="${(plot - okH - badH).toFixed(
              1,
            )}" width="${w}" height="${badH.toFixed(1)}">
              <title>${bar.bad} failed</title>
            </rect>
          `
          : ""
      }`;
    })
  }</svg>`;
}
