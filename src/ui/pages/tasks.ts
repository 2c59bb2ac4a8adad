/**
 * The tasks page: the filter form (state, group, host, name, meta, schedule, free text; all in
 * the URL), one page of tasks newest first with keyset paging (`before`/`after` an id: as fast on
 * page 20,000 as on page 1), and bulk kill / restart / rm of the selected rows.
 *
 * @example
 * ```ts
 * const body = await tasksPage(context);
 * ```
 */
import type { HostInfo, ListFilter } from "../../store/task_store.ts";
import { describeTask, type Task } from "../../task/types.ts";
import { type Html, html } from "../html.ts";
import type { PageContext } from "../page_context.ts";
import { ALL_STATUSES } from "./overview.ts";
import { csrfField, span, statusPill, when } from "./layout.ts";
import { FilterError, filterFromUrl, filterQuery } from "./task_filter.ts";

/** The tasks page's live region. */
export async function tasksPage(context: PageContext): Promise<Html> {
  const { url } = context;
  let filter: ListFilter;
  try {
    filter = filterFromUrl(url);
  } catch (error) {
    if (!(error instanceof FilterError)) throw error;
    const hosts = await context.store.hosts();
    return html`<h1>Tasks</h1>${
      filterForm(url, hosts)
    }<div class="flash error">${error.message}</div>`;
  }
  const [tasks, hosts] = await Promise.all([readPage(context, filter), context.store.hosts()]);
  return html`<h1>Tasks</h1>${filterForm(url, hosts)}${tasksTable(tasks, context, filter, hosts)}`;
}

/**
 * One page of tasks for a filter, newest first (an `after` page is read upwards, then turned).
 *
 * @example
 * ```ts
 * await readPage(context, { afterId: 812, newestFirst: false, limit: 50 }); // newest first
 * ```
 */
export async function readPage(context: PageContext, filter: ListFilter): Promise<Task[]> {
  const tasks = await context.store.list(filter);
  return filter.newestFirst === false ? tasks.reverse() : tasks;
}

/** The filter form; the host field offers the running supervisors' names. */
function filterForm(url: URL, hosts: readonly HostInfo[]): Html {
  const query = url.searchParams;
  const states = new Set(query.getAll("state"));
  const value = (name: string) => query.get(name) ?? "";
  return html`<form class="filters" method="get" action="/tasks">
<label>search<input type="search" name="q" value="${
    value("q")
  }" placeholder="id, name or command"></label>
<label>state<select name="state"><option value="">any</option>${
    ALL_STATUSES.map((status) =>
      html`<option${
        states.has(status)
          ? html`
            selected
          `
          : ""
      }>${status}</option>`
    )
  }</select></label>
<label>group<input name="group" value="${value("group")}" size="10"></label>
<label>host<input name="host" value="${value("host")}" size="10" list="known-hosts"></label>
<datalist id="known-hosts">${
    [...new Set(hosts.map((host) => host.name))].map((name) => html`<option value="${name}">`)
  }</datalist>
<label>name<input name="name" value="${
    value("name")
  }" placeholder="glob: build-*" size="12"></label>
<label>meta<input name="meta" value="${value("meta")}" placeholder="key=value" size="12"></label>
<label>schedule<input name="schedule" value="${
    value("schedule")
  }" size="4" inputmode="numeric"></label>
<button type="submit" class="primary">Filter</button>${
    filterQuery(url).size
      ? html`
        <a href="/tasks">clear</a>
      `
      : ""
  }
</form>`;
}

/**
 * The page's rows with their checkboxes and bulk actions. A host column (each host a link to
 * its tasks) when the tasks or the running supervisors name more than one host.
 */
function tasksTable(
  tasks: readonly Task[],
  context: PageContext,
  filter: ListFilter,
  hosts: readonly HostInfo[],
): Html {
  const { url, readOnly, now, csrf } = context;
  const names = new Set(hosts.map((host) => host.name));
  for (const task of tasks) if (task.host) names.add(task.host);
  const showHost = names.size > 1;
  if (!tasks.length) {
    return html`<section class="card"><p class="empty-note">No tasks match.</p>${
      pager(tasks, url, filter)
    }</section>`;
  }
  const rows = tasks.map((task) =>
    html`
      <tr data-id="${task.id}"
        data-state="${task.status}">${readOnly
          ? ""
          : html`<td><input type="checkbox" name="id" value="${task.id}" aria-label="select #${task.id}"></td>`}<td class="num"><a href="/tasks/${task
          .id}">#${task.id}</a></td><td>${statusPill(
            task.status,
          )}${task.progress !== null && task.status === "running"
          ? html`
            <progress max="1" value="${task.progress}"></progress>
          `
          : ""}</td><td class="cmd" title="${describeTask(task)}"><a href="/tasks/${task
          .id}">${describeTask(task)}</a></td><td>${task.group}</td><td>${created(
            task,
            now,
          )}</td><td class="num">${task.startedAt
          ? span((task.finishedAt ?? now) - task.startedAt)
          : html`<span class="muted">–</span>`}</td><td class="num">${task.attempt}/${task
          .maxAttempts}</td>${showHost ? hostCell(task) : ""}</tr>
    `
  );
  const table = html`
    <table>
      <thead>
        <tr>${readOnly
          ? ""
          : html`<th><input type="checkbox" data-select-all aria-label="select all"></th>`}<th class="num">id</th><th>state</th><th>task</th><th>group</th><th>created</th><th class="num">duration</th><th class="num">attempt</th>${showHost
          ? html`
            <th>host</th>
          `
          : ""}</tr>
      </thead>
      <tbody>${rows}</tbody>
    </table>
  `;
  if (readOnly) return html`<section class="card">${table}${pager(tasks, url, filter)}</section>`;
  return html`<section class="card"><form method="post" action="/tasks/bulk">${csrfField(csrf)}
<input type="hidden" name="back" value="${url.pathname + url.search}">${table}
<div class="bulk"><span class="muted">selected:</span>
<button type="submit" name="action" value="kill" class="danger">Kill</button>
<button type="submit" name="action" value="restart">Restart</button>
<button type="submit" name="action" value="rm" class="danger">Remove</button></div></form>${
    pager(tasks, url, filter)
  }</section>`;
}

/** The host a task runs or ran on, a link to that host's tasks. */
function hostCell(task: Task): Html {
  return task.host
    ? html`<td><a href="/tasks?host=${encodeURIComponent(task.host)}">${task.host}</a></td>`
    : html`<td><span class="muted">–</span></td>`;
}

/** When it was created; for one waiting for its time, when it runs. */
function created(task: Task, now: number): Html {
  return task.runAt > now && (task.status === "scheduled" || task.status === "queued")
    ? html`runs ${when(task.runAt, now)}`
    : when(task.createdAt, now);
}

function pager(tasks: readonly Task[], url: URL, filter: ListFilter): Html {
  const base = filterQuery(url);
  const link = (name: string, id: number) => {
    const query = new URLSearchParams(base);
    query.set(name, String(id));
    return `/tasks?${query}`;
  };
  const paged = filter.beforeId !== undefined || filter.afterId !== undefined;
  const full = tasks.length >= (filter.limit ?? 50);
  const newer = tasks.length && paged && (filter.afterId === undefined || full)
    ? html`<a href="${link("after", tasks[0].id)}">← newer</a>`
    : html`<span></span>`;
  const older = tasks.length && (full || filter.afterId !== undefined)
    ? html`<a href="${link("before", tasks[tasks.length - 1].id)}">older →</a>`
    : html`<span></span>`;
  return html`<div class="pager">${newer}${older}</div>`;
}
