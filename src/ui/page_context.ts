/**
 * What a page or an action is given: the store to read, the client to act with, the request's
 * URL, the session's CSRF token and whether the dashboard is read-only.
 *
 * @example
 * ```ts
 * const body = await renderTasksPage(context);
 * ```
 */
import type { Client } from "../client/client.ts";
import type { TaskStore } from "../store/task_store.ts";

/** One request's view of the dashboard. */
export interface PageContext {
  store: TaskStore;
  client: Client;
  url: URL;
  /** The token every form of this session carries (`_csrf`). */
  csrf: string;
  readOnly: boolean;
  /** The clock at the request, epoch ms. */
  now: number;
  /** The newest event id before the page's data was read (its event stream resumes there). */
  eventId?: number;
}
