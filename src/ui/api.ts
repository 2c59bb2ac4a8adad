/**
 * The dashboard's JSON API, in the shapes of the CLI's `--json`: `/api/tasks` (the tasks page's
 * filter parameters; `ls --json`), `/api/tasks/:id` (`show --json` with its attempts),
 * `/api/tasks/:id/logs?stream=&from=` (a piece of a stream from a byte offset; `raw=1` gives the
 * bytes themselves), `/api/schedules` (`schedules --json`), `/api/groups` (`group ls --json`),
 * `/api/hosts` (`hosts --json`). `/api/tasks?host=b` lists the tasks host `b` ran.
 *
 * @example
 * ```ts
 * const answer = await apiAnswer(context, "/api/tasks/4");
 * // { status: 200, body: { id: 4, status: "running", … } }
 * ```
 */
import { hostJson } from "../store/host_json.ts";
import { STREAM_NAMES, streamInfo, type StreamName } from "../store/task_files.ts";
import { attemptJson, scheduleJson, taskJson } from "../task/task_json.ts";
import { isTerminal } from "../task/types.ts";
import { readLogChunk } from "./log_chunk.ts";
import type { PageContext } from "./page_context.ts";
import { groupRows } from "./pages/groups.ts";
import { FilterError, filterFromUrl } from "./pages/task_filter.ts";
import { readPage } from "./pages/tasks.ts";
import { readStream } from "../store/task_files.ts";

/** An API answer: JSON (`body`) or raw bytes (`bytes`), with its HTTP status. */
export type ApiAnswer =
  | { status: number; body: unknown }
  | { status: number; bytes: Uint8Array; type: string };

/** The answer to a GET of an `/api/…` path. */
export async function apiAnswer(context: PageContext, path: string): Promise<ApiAnswer> {
  const { store, url } = context;
  if (path === "/api/tasks") {
    try {
      const tasks = await readPage(context, filterFromUrl(url));
      return { status: 200, body: tasks.map((task) => taskJson(task, { result: false })) };
    } catch (error) {
      if (error instanceof FilterError) return _error(400, error.message);
      throw error;
    }
  }
  if (path === "/api/schedules") {
    return { status: 200, body: (await store.schedules.list()).map(scheduleJson) };
  }
  if (path === "/api/groups") return { status: 200, body: await groupRows(context) };
  if (path === "/api/hosts") return { status: 200, body: (await store.hosts()).map(hostJson) };
  const logs = /^\/api\/tasks\/(\d+)\/logs$/.exec(path);
  if (logs) return await _logs(context, Number(logs[1]));
  const one = /^\/api\/tasks\/(\d+)$/.exec(path);
  if (one) {
    const id = Number(one[1]);
    const task = await store.get(id);
    if (!task) return _error(404, `no task ${id}`);
    const files = await context.client.files(id); // elsewhere: its shipped output, copied here
    const streams = Object.fromEntries(
      STREAM_NAMES.map((stream) => [stream, streamInfo(files, stream)]),
    );
    const [waiting, attempts] = await Promise.all([
      context.client.whyWaiting(task),
      store.attempts(id),
    ]);
    return {
      status: 200,
      body: {
        ...taskJson(task),
        waiting: waiting ?? null,
        streams,
        attempts: attempts.map(attemptJson),
      },
    };
  }
  return _error(404, `no such API path: ${path}`);
}

async function _logs(context: PageContext, id: number): Promise<ApiAnswer> {
  const query = context.url.searchParams;
  const stream = (query.get("stream") ?? "stdout") as StreamName;
  if (!STREAM_NAMES.includes(stream)) {
    return _error(400, `stream: expected one of ${STREAM_NAMES.join(", ")}, got '${stream}'`);
  }
  const fromText = query.get("from") ?? "0";
  if (!/^\d+$/.test(fromText)) {
    return _error(400, `from: expected a byte offset, got '${fromText}'`);
  }
  const task = await context.store.get(id);
  if (!task) return _error(404, `no task ${id}`);
  const files = await context.client.files(id); // elsewhere: its shipped output, copied here
  if (query.get("raw") === "1") {
    const { bytes } = readStream(files, stream, { from: Number(fromText) });
    return {
      status: 200,
      bytes,
      type: stream === "data" ? "application/x-ndjson" : "text/plain; charset=utf-8",
    };
  }
  const ended = isTerminal(task.status);
  return { status: 200, body: readLogChunk(files, stream, Number(fromText), { ended }) };
}

function _error(status: number, message: string): ApiAnswer {
  return { status, body: { error: message } };
}
