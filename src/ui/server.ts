/**
 * `bgt ui`'s HTTP server (node:http, so it runs on Bun and Deno alike): sign-in by token link,
 * then pages, the JSON API, form-post actions and one Server-Sent Events stream per page, over
 * whichever store the home is configured with.
 *
 * Security, on every request: the Host header must name this server (no DNS rebinding); without
 * the session cookie every page, asset and API path answers 401; a POST needs the session's CSRF
 * token (and a same-origin Origin when the browser sends one) and answers 403 when read-only;
 * every answer carries a Content-Security-Policy that allows only this server's own script and
 * stylesheet, and `Referrer-Policy: no-referrer` so the token never leaks in a Referer.
 *
 * @example
 * ```ts
 * const server = await startUiServer({ client, store, listen: parseListen("127.0.0.1:0") });
 * console.log(server.signInUrl); // http://127.0.0.1:40123/?token=…
 * await server.close();
 * ```
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Client } from "../client/client.ts";
import type { TaskStore } from "../store/task_store.ts";
import { toJson } from "../task/task_json.ts";
import { type ActionOutcome, runAction, safeBack, UnknownActionError } from "./actions.ts";
import { apiAnswer } from "./api.ts";
import { UI_SCRIPT, UI_STYLE } from "./assets.ts";
import { UiAuth } from "./auth.ts";
import { EventHub } from "./event_hub.ts";
import { openEventStream } from "./event_stream.ts";
import {
  deniedPage,
  hostOf,
  readForm,
  redirect,
  sendAsset,
  sendText,
  setHeaders,
} from "./http_answers.ts";
import { type Html, html } from "./html.ts";
import { allowedHosts, type ListenAddress } from "./listen_address.ts";
import type { PageContext } from "./page_context.ts";
import { groupsPage } from "./pages/groups.ts";
import { hostsPage } from "./pages/hosts.ts";
import { layout } from "./pages/layout.ts";
import { overviewPage } from "./pages/overview.ts";
import { schedulesPage } from "./pages/schedules.ts";
import { taskPage } from "./pages/task.ts";
import { tasksPage } from "./pages/tasks.ts";

/** Options for {@linkcode startUiServer}. */
export interface UiServerOptions {
  client: Client;
  /** The store to read (the client's; a second connection keeps reads off its pool). */
  store: TaskStore;
  listen: ListenAddress;
  /** A fixed token (a password); required for a listen address that is not local. */
  token?: string;
  /** No actions: no buttons, and every POST answers 403. */
  readOnly?: boolean;
  /** More names the Host header may carry (`--host-name`): a DNS name, or `name:port` behind a proxy. */
  hostNames?: string[];
  /** Ms between keep-alive comments on an idle event stream. @default 5000 (Bun drops idle ones at 10 s) */
  keepAliveMs?: number;
}

/** A running dashboard. */
export interface UiServer {
  /** `http://HOST:PORT` */
  readonly origin: string;
  readonly port: number;
  /** The URL that signs a browser in (`/?token=…`). */
  readonly signInUrl: string;
  close(): Promise<void>;
}

/** Refused to start: a one-line reason (the CLI exits 2). */
export class UiConfigError extends Error {}

/** Starts the server; resolves once it listens. Throws UiConfigError for a refused setup. */
export async function startUiServer(options: UiServerOptions): Promise<UiServer> {
  if (!options.listen.local && !options.token) {
    throw new UiConfigError(
      `--listen ${options.listen.host}: an address other hosts can reach needs --token (or BGT_UI_TOKEN)`,
    );
  }
  if (options.token !== undefined && options.token.length < 16) {
    throw new UiConfigError("--token: use at least 16 characters");
  }
  const hub = new EventHub(options.store);
  const streams = new Set<ServerResponse>();
  // Known once listening (the cookie's name and the Host check need the port).
  const bound: { auth?: UiAuth; hosts?: string[] } = {};
  const server: Server = createServer((request, response) => {
    _handle(request, response).catch((error) => {
      console.error(
        `bgt ui: ${request.method} ${request.url}: ${(error as Error)?.message ?? error}`,
      );
      if (!response.headersSent) {
        sendText(response, 500, "text/plain; charset=utf-8", "internal error\n");
      } else response.end();
    });
  });

  async function _handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const host = request.headers.host ?? "";
    if (!bound.hosts!.includes(host.toLowerCase())) {
      sendText(response, 421, "text/plain; charset=utf-8", `bgt ui: wrong Host header '${host}'\n`);
      return;
    }
    const url = new URL(request.url ?? "/", `http://${host || "localhost"}`);
    const a = bound.auth!;
    const token = url.searchParams.get("token");
    if (token !== null && request.method === "GET") {
      const session = a.signIn(token);
      if (!session && a.isSession(a.sessionOf(request.headers.cookie))) {
        // A spent link opened again by a browser that is signed in already: just go on.
        url.searchParams.delete("token");
        redirect(response, url.pathname + (url.search === "?" ? "" : url.search));
        return;
      }
      if (!session) {
        sendText(
          response,
          401,
          "text/html; charset=utf-8",
          deniedPage(
            "This sign-in link was used already or is wrong. Run bgt ui again for a new one.",
          ),
        );
        return;
      }
      url.searchParams.delete("token");
      response.setHeader("set-cookie", a.cookieHeader(session));
      redirect(response, url.pathname + (url.search === "?" ? "" : url.search));
      return;
    }
    const session = a.sessionOf(request.headers.cookie);
    if (!a.isSession(session)) {
      if (url.pathname.startsWith("/api/") || url.pathname === "/events") {
        sendText(
          response,
          401,
          "application/json",
          `${toJson({ error: "sign in first: open the URL bgt ui printed" })}\n`,
        );
      } else {
        sendText(
          response,
          401,
          "text/html; charset=utf-8",
          deniedPage("Open the sign-in URL that bgt ui printed."),
        );
      }
      return;
    }
    const began = performance.now();
    // The time the page or answer took here (reads and rendering), for the browser's devtools
    // and the benchmark.
    const timing = () => `app;dur=${(performance.now() - began).toFixed(2)}`;
    const context: PageContext = {
      store: options.store,
      client: options.client,
      url,
      csrf: a.csrfToken(session!),
      readOnly: options.readOnly ?? false,
      now: Date.now(),
    };
    if (request.method === "POST") return await _post(request, response, context, session!);
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.setHeader("allow", "GET, HEAD, POST");
      sendText(response, 405, "text/plain; charset=utf-8", "method not allowed\n");
      return;
    }
    const path = url.pathname;
    if (path === "/assets/ui.js") {
      return sendAsset(response, "text/javascript; charset=utf-8", UI_SCRIPT);
    }
    if (path === "/assets/ui.css") return sendAsset(response, "text/css; charset=utf-8", UI_STYLE);
    if (path === "/events") {
      return await openEventStream(request, response, url, {
        hub,
        streams,
        keepAliveMs: options.keepAliveMs,
      });
    }
    if (path.startsWith("/api/")) {
      const answer = await apiAnswer(context, path);
      if ("bytes" in answer) {
        response.statusCode = answer.status;
        setHeaders(response, answer.type);
        response.end(answer.bytes);
      } else {
        const body = `${toJson(answer.body, 2)}\n`;
        response.setHeader("server-timing", timing());
        sendText(response, answer.status, "application/json", body);
      }
      return;
    }
    const page = await _page(context, path);
    if (!page) {
      sendText(
        response,
        404,
        "text/html; charset=utf-8",
        String(_frame(
          context,
          "Not found",
          path,
          html`
            <h1>Not found</h1>
            <p>No page at <code>${path}</code>.</p>
          `,
        )),
      );
      return;
    }
    const text = String(page);
    response.setHeader("server-timing", timing());
    sendText(response, 200, "text/html; charset=utf-8", text);
  }

  async function _page(context: PageContext, path: string): Promise<Html | undefined> {
    // Read first: an event written while the page renders is then still sent to it.
    context.eventId = await options.store.lastEventId();
    const task = /^\/tasks\/(\d+)$/.exec(path);
    if (task) {
      const page = await taskPage(context, Number(task[1]));
      if (!page) return undefined;
      return _frame(context, page.title, path, page.body, page.logs);
    }
    const pages: Record<string, [string, (context: PageContext) => Promise<Html>]> = {
      "/": ["Overview", overviewPage],
      "/tasks": ["Tasks", tasksPage],
      "/schedules": ["Schedules", schedulesPage],
      "/groups": ["Groups", groupsPage],
      "/hosts": ["Hosts", hostsPage],
    };
    const found = pages[path];
    if (!found) return undefined;
    return _frame(context, found[0], path, await found[1](context));
  }

  function _frame(
    context: PageContext,
    title: string,
    path: string,
    body: Html,
    after?: Html,
  ): Html {
    const query = context.url.searchParams;
    const message = query.get("msg");
    const error = query.get("err");
    const flash = html`${message ? html`<div class="flash">${message}</div>` : ""}${
      error ? html`<div class="flash error">${error}</div>` : ""
    }`;
    return layout({
      title,
      path,
      body: html`${flash}${body}`,
      after,
      readOnly: context.readOnly,
      store: options.store.kind,
      eventId: context.eventId,
    });
  }

  async function _post(
    request: IncomingMessage,
    response: ServerResponse,
    context: PageContext,
    session: string,
  ): Promise<void> {
    if (context.readOnly) {
      sendText(response, 403, "text/plain; charset=utf-8", "bgt ui is read-only\n");
      return;
    }
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== "null" && hostOf(origin) !== request.headers.host) {
      sendText(response, 403, "text/plain; charset=utf-8", "cross-origin post refused\n");
      return;
    }
    let form: URLSearchParams;
    try {
      form = new URLSearchParams(await readForm(request));
    } catch (error) {
      sendText(response, 413, "text/plain; charset=utf-8", `${(error as Error).message}\n`);
      return;
    }
    if (!bound.auth!.isCsrf(session, form.get("_csrf") ?? undefined)) {
      sendText(
        response,
        403,
        "text/plain; charset=utf-8",
        "missing or wrong CSRF token: reload the page\n",
      );
      return;
    }
    let outcome: ActionOutcome;
    try {
      outcome = await runAction(context, context.url.pathname, form);
    } catch (error) {
      if (error instanceof UnknownActionError) {
        sendText(response, 404, "text/plain; charset=utf-8", `${error.message}\n`);
        return;
      }
      outcome = {
        back: safeBack(form.get("back")) ??
          (context.url.pathname.replace(/\/[^/]+$/, "") || "/"),
        message: (error as Error)?.message ?? String(error),
        error: true,
      };
    }
    const target = new URL(outcome.back, "http://x");
    target.searchParams.delete("msg");
    target.searchParams.delete("err");
    target.searchParams.set(outcome.error ? "err" : "msg", outcome.message);
    redirect(response, target.pathname + target.search);
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.listen.port, options.listen.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.listen.port;
  const auth = new UiAuth({ port, token: options.token });
  bound.auth = auth;
  bound.hosts = allowedHosts(options.listen, port, options.hostNames);
  const name = options.listen.host.includes(":") ? `[${options.listen.host}]` : options.listen.host;
  const origin = `http://${name === "0.0.0.0" || name === "[::]" ? "127.0.0.1" : name}:${port}`;
  return {
    origin,
    port,
    signInUrl: `${origin}/?token=${encodeURIComponent(auth.urlToken)}`,
    async close() {
      for (const stream of streams) stream.end();
      await hub.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      });
    },
  };
}
