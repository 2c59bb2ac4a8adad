/**
 * The schedules page: each schedule's recurrence, its next and last run, runs and skips, and its
 * actions (pause, resume, run now, rm).
 *
 * @example
 * ```ts
 * const body = await schedulesPage(context);
 * ```
 */
import { describeTask } from "../../task/types.ts";
import { type Html, html } from "../html.ts";
import type { PageContext } from "../page_context.ts";
import { actionButton, statusPill, when } from "./layout.ts";

/** The schedules page's live region. */
export async function schedulesPage(context: PageContext): Promise<Html> {
  const schedules = await context.store.schedules.list();
  const { now, csrf, readOnly } = context;
  if (!schedules.length) {
    return html`
      <h1>Schedules</h1>
      <section class="card">
        <p class="empty-note">No schedules. Make one: <code>bgt every 5m -- ./backup.sh</code></p>
      </section>
    `;
  }
  return html`
    <h1>Schedules</h1>
    <section class="card">
      <table>
        <thead>
          <tr><th class="num">id</th><th>every</th><th>task</th><th>next</th><th>last run</th><th class="num">runs</th><th class="num">skipped</th><th>state</th>${readOnly
            ? ""
            : html`<th></th>`}</tr>
        </thead>
        <tbody>${schedules.map((schedule) => {
          const base = `/schedules/${schedule.id}`;
          return html`
            <tr
              data-schedule="${schedule.id}"><td class="num">${schedule.id}</td><td>${schedule
                .every}${schedule.timeZone
                ? html`
                  <span class="muted">${schedule.timeZone}</span>
                `
                : ""}</td><td class="cmd">${describeTask({
                  name: schedule.template.name ?? null,
                  spec: schedule.template.spec,
                })}</td><td>${schedule.paused
                ? html`<span class="muted">paused</span>`
                : when(schedule.nextAt, now)}</td><td>${schedule.lastTaskId !== null
                ? html`<a href="/tasks/${schedule.lastTaskId}">#${schedule.lastTaskId}</a> ${
                  schedule.lastStatus ? statusPill(schedule.lastStatus) : ""
                }`
                : html`<span class="muted">–</span>`}</td><td class="num"><a href="/tasks?schedule=${schedule
                .id}">${schedule.runs}</a></td><td class="num">${schedule
                .skipped}</td><td>${schedule.paused
                ? statusPill("paused")
                : html`<span class="pill s-running">active</span>`}</td>${readOnly
                ? ""
                : html`<td class="actions">${
                  schedule.paused
                    ? actionButton(`${base}/resume`, "Resume", csrf)
                    : actionButton(`${base}/pause`, "Pause", csrf)
                }${actionButton(`${base}/run`, "Run now", csrf)}${
                  actionButton(`${base}/rm`, "Remove", csrf, { danger: true })
                }</td>`}</tr>
          `;
        })}</tbody>
      </table>
    </section>
  `;
}
