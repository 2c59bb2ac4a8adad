/**
 * The groups page: each group with a setting or a task, its parallel limit, running count and
 * state, and its actions (set parallel, pause, resume).
 *
 * @example
 * ```ts
 * const body = await groupsPage(context);
 * ```
 */
import { type Html, html } from "../html.ts";
import type { PageContext } from "../page_context.ts";
import { actionButton, csrfField } from "./layout.ts";

/** One group as the page and `/api/groups` show it (the shape of `bgt group ls --json`). */
export interface GroupRow {
  name: string;
  parallel: number | null;
  paused: boolean;
  running: number;
}

/**
 * The groups with settings or running tasks, by name (`bgt group ls --json`).
 *
 * @example
 * ```ts
 * await groupRows({ store }); // [{ name: "io", parallel: 2, paused: false, running: 1 }]
 * ```
 */
export async function groupRows(context: Pick<PageContext, "store">): Promise<GroupRow[]> {
  const [settings, running] = await Promise.all([
    context.store.groups(),
    context.store.runningByGroup(),
  ]);
  const byName = new Map(settings.map((group) => [group.name, group]));
  const names = new Set([...byName.keys(), ...Object.keys(running)]);
  return [...names].sort().map((name) => ({
    name,
    parallel: byName.get(name)?.parallel ?? null,
    paused: byName.get(name)?.paused ?? false,
    running: running[name] ?? 0,
  }));
}

/** The groups page's live region. */
export async function groupsPage(context: PageContext): Promise<Html> {
  const rows = await groupRows(context);
  const { csrf, readOnly } = context;
  if (!rows.length) {
    return html`
      <h1>Groups</h1>
      <section class="card">
        <p
          class="empty-note">No group has a setting or a running task. Tasks join one with <code>bgt run --group NAME</code>.</p>
      </section>
    `;
  }
  return html`
    <h1>Groups</h1>
    <section class="card">
      <table>
        <thead>
          <tr><th>group</th><th class="num">parallel</th><th class="num">running</th><th>state</th>${readOnly
            ? ""
            : html`<th></th>`}</tr>
        </thead>
        <tbody>${rows.map((row) => {
          const base = `/groups/${encodeURIComponent(row.name)}`;
          return html`
            <tr
              data-group="${row.name}"><td><a href="/tasks?group=${encodeURIComponent(
                row.name,
              )}">${row.name}</a></td><td class="num">${row.parallel ??
                html`<span class="muted">global</span>`}</td><td class="num">${row
                .running}</td><td>${row.paused
                ? html`<span class="pill s-paused">paused</span>`
                : html`<span class="pill s-running">active</span>`}</td>${readOnly ? "" : html`
                <td
                  class="actions"><form method="post" action="${base}/parallel" class="inline">${csrfField(
                    csrf,
                  )}<input name="parallel" size="4" inputmode="numeric" placeholder="${row
                    .parallel ??
                    "global"}" aria-label="parallel"> <button type="submit">Set</button></form>${row
                      .paused
                    ? actionButton(`${base}/resume`, "Resume", csrf)
                    : actionButton(`${base}/pause`, "Pause", csrf)}</td>
              `}</tr>
          `;
        })}</tbody>
      </table>
    </section>
  `;
}
