/**
 * The tasks page's filter, carried in the URL so that a view can be bookmarked and shared:
 * `?state=running&state=queued&group=io&host=b&name=build-*&meta=env=prod&schedule=3&q=backup&before=812`
 * (`host`: the tasks the supervisor of that host claimed, as `bgt ls --host`).
 * The same parameters filter `/api/tasks`.
 *
 * @example
 * ```ts
 * const filter = filterFromUrl(new URL("http://x/tasks?state=failed&q=backup"));
 * // { status: ["failed"], search: "backup", limit: 50, ... }
 * ```
 */
import type { ListFilter } from "../../store/task_store.ts";
import type { TaskStatus } from "../../task/types.ts";
import { ALL_STATUSES } from "./overview.ts";

/** Rows on one page. */
export const PAGE_SIZE = 50;

/** A filter the URL asks for, or the one-line reason it cannot be read. */
export class FilterError extends Error {}

/**
 * The ListFilter of a URL's query (newest first, keyset-paged by id). Throws FilterError.
 *
 * @example
 * ```ts
 * filterFromUrl(new URL("http://x/tasks?before=812")).beforeId; // 812
 * ```
 */
export function filterFromUrl(url: URL): ListFilter {
  const query = url.searchParams;
  const filter: ListFilter = { sort: "id", newestFirst: true, limit: PAGE_SIZE };
  const states = query.getAll("state").filter(Boolean);
  for (const state of states) {
    if (!ALL_STATUSES.includes(state as TaskStatus)) {
      throw new FilterError(`unknown state '${state}' (one of ${ALL_STATUSES.join(", ")})`);
    }
  }
  if (states.length) filter.status = states as TaskStatus[];
  const text = (name: string) => query.get(name)?.trim() || undefined;
  filter.group = text("group");
  filter.host = text("host");
  filter.name = text("name");
  filter.search = text("q");
  const schedule = text("schedule");
  if (schedule !== undefined) filter.scheduleId = _id(schedule, "schedule");
  const meta = query.getAll("meta").filter(Boolean);
  if (meta.length) {
    filter.meta = {};
    for (const pair of meta) {
      const at = pair.indexOf("=");
      if (at < 1) throw new FilterError(`meta: expected KEY=VALUE, got '${pair}'`);
      filter.meta[pair.slice(0, at)] = pair.slice(at + 1);
    }
  }
  const before = text("before");
  const after = text("after");
  if (before !== undefined) filter.beforeId = _id(before, "before");
  if (after !== undefined) {
    // The page just newer than `after`: read upwards, then show it newest first.
    filter.afterId = _id(after, "after");
    filter.newestFirst = false;
  }
  const limit = text("limit");
  if (limit !== undefined) {
    const n = _id(limit, "limit");
    filter.limit = Math.min(Math.max(n, 1), 1000);
  }
  return filter;
}

/**
 * The URL's query without its paging (and flash): the filter alone, for links and forms.
 *
 * @example
 * ```ts
 * String(filterQuery(new URL("http://x/tasks?state=failed&before=9&msg=hi"))); // "state=failed"
 * ```
 */
export function filterQuery(url: URL): URLSearchParams {
  const paging = ["before", "after", "msg", "err"];
  return new URLSearchParams(
    [...url.searchParams].filter(([name, value]) => value && !paging.includes(name)),
  );
}

function _id(text: string, what: string): number {
  if (!/^\d+$/.test(text)) throw new FilterError(`${what}: expected a number, got '${text}'`);
  return Number(text);
}
