/**
 * `GET /events`: one Server-Sent Events stream per page. Each event of the store's outbox is an
 * `id:` line (its id) and a `data:` line (the event as JSON); a reconnect with `Last-Event-ID`
 * (or `?after=`, which a page sends with the event id its data is as of) gets exactly what came
 * after it. A comment every few seconds keeps an idle stream open through proxies and
 * servers that drop quiet connections (Bun.serve does at 10 s).
 *
 * @example
 * ```ts
 * if (path === "/events") return await openEventStream(request, response, url, { hub, streams });
 * ```
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { toJson } from "../task/task_json.ts";
import type { EventHub } from "./event_hub.ts";
import { setHeaders } from "./http_answers.ts";

/** What a stream needs of its server. */
export interface EventStreamOptions {
  hub: EventHub;
  /** The open streams (the server ends them when it closes). */
  streams: Set<ServerResponse>;
  /** Ms between keep-alive comments. @default 5000 */
  keepAliveMs?: number;
}

/** Answers with the stream; it lasts until the browser (or the server) closes it. */
export async function openEventStream(
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
  options: EventStreamOptions,
): Promise<void> {
  const resume = (request.headers["last-event-id"] as string | undefined) ??
    url.searchParams.get("after");
  const after = resume && /^\d+$/.test(resume) ? Number(resume) : undefined;
  response.statusCode = 200;
  setHeaders(response, "text/event-stream; charset=utf-8");
  response.setHeader("connection", "keep-alive");
  response.setHeader("x-accel-buffering", "no");
  request.socket.setTimeout(0);
  request.socket.setNoDelay?.(true);
  response.flushHeaders?.();
  response.write("retry: 2000\n\n");
  options.streams.add(response);
  // A browser gone mid-write is only a closed stream: the close handler below tidies up.
  response.on("error", () => {});
  const write = (text: string) => {
    if (!response.destroyed && !response.writableEnded) response.write(text);
  };
  const keepAlive = setInterval(() => write(": keep-alive\n\n"), options.keepAliveMs ?? 5000);
  const subscription: { stop?: () => void } = {};
  const end = () => {
    clearInterval(keepAlive);
    subscription.stop?.();
    options.streams.delete(response);
  };
  request.on("close", end);
  response.on("close", end);
  subscription.stop = await options.hub.subscribe(after, (events) => {
    write(events.map((event) => `id: ${event.id}\ndata: ${toJson(event)}\n\n`).join(""));
  });
  if (response.destroyed || response.writableEnded) end();
}
