/**
 * The frame of every page: the navigation, the live region (`#live`, which the script swaps in
 * place when events arrive) and the one script and stylesheet, versioned for caching.
 *
 * @example
 * ```ts
 * layout({ title: "Tasks", path: "/tasks", body: html`<p>…</p>` });
 * ```
 */
import { VERSION } from "../../task/version.ts";
import { type Html, html, type HtmlValue } from "../html.ts";
import { ASSET_VERSION } from "../assets.ts";

/** What {@linkcode layout} puts in the frame. */
export interface LayoutParts {
  title: string;
  /** The page's path, to mark its link in the navigation. */
  path: string;
  /** Re-rendered and swapped on each event. */
  body: HtmlValue;
  /** Outside the live region (kept across swaps: the log tails). */
  after?: HtmlValue;
  readOnly?: boolean;
  store?: string;
  /** The newest event id when the page's data was read: its event stream starts after it. */
  eventId?: number;
}

const NAV: [string, string][] = [
  ["/", "Overview"],
  ["/tasks", "Tasks"],
  ["/schedules", "Schedules"],
  ["/groups", "Groups"],
  ["/hosts", "Hosts"],
];

/**
 * The whole HTML document.
 *
 * @example
 * ```ts
 * layout({ title: "Tasks", path: "/tasks", body: html`<h1>Tasks</h1>` });
 * ```
 */
export function layout(parts: LayoutParts): Html {
  const current = (href: string) => href === "/" ? parts.path === "/" : parts.path.startsWith(href);
  return html`
    <!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>${parts.title} · bgt</title>
        <link rel="stylesheet" href="/assets/ui.css?v=${ASSET_VERSION}">
        <link rel="icon" href="data:,">
        <script src="/assets/ui.js?v=${ASSET_VERSION}" defer></script>
      </head>
      <body>
        <header class="top">
          <a class="brand" href="/">bgt</a>
          <nav>${NAV.map(([href, label]) =>
            html`
              <a href="${href}" ${current(href)
                ? html`
                  aria-current="page"
                `
                : ""}>${label}</a>
            `
          )}</nav>
          <span class="meta">${parts.readOnly ? html`<span class="badge">read-only</span>` : ""}
        <span class="live-dot" id="live-dot" title="live updates"></span>
        <span class="muted">${parts.store ?? ""} · v${VERSION}</span></span>
        </header>
        <main>
    <div id="live" data-event-id="${parts.eventId ?? ""}">${parts.body}</div>
    ${parts.after ?? ""}
        </main>
      </body>
    </html>
  `;
}

/**
 * The hidden CSRF field every form carries.
 *
 * @example
 * ```ts
 * html`<form method="post">${csrfField(context.csrf)}…</form>`;
 * ```
 */
export function csrfField(token: string): Html {
  return html`<input type="hidden" name="_csrf" value="${token}">`;
}

/**
 * A one-button form posting an action (a plain form post: it works without JavaScript).
 *
 * @example
 * ```ts
 * actionButton("/tasks/4/kill", "Kill", csrf, { danger: true });
 * ```
 */
export function actionButton(
  action: string,
  label: string,
  csrf: string,
  options: { danger?: boolean; back?: string } = {},
): Html {
  return html`
    <form method="post" action="${action}"
      class="inline">${csrfField(csrf)}${options.back
        ? html`<input type="hidden" name="back" value="${options.back}">`
        : ""}<button type="submit"${options.danger
        ? html`
          class="danger"
        `
        : ""}>${label}</button></form>
  `;
}

/**
 * A task state as a coloured pill.
 *
 * @example
 * ```ts
 * String(statusPill("timed_out")); // '<span class="pill s-timed_out">timed out</span>'
 * ```
 */
export function statusPill(status: string): Html {
  return html`<span class="pill s-${status}">${status.replace("_", " ")}</span>`;
}

/**
 * "3m ago", "in 5s" — a short time relative to now, with the exact time as its title.
 *
 * @example
 * ```ts
 * String(when(Date.now() - 180_000, Date.now())); // '<time …>3m ago</time>'
 * ```
 */
export function when(ms: number | null, now: number): Html {
  if (ms === null) return html`<span class="muted">–</span>`;
  const seconds = Math.round((ms - now) / 1000);
  const abs = Math.abs(seconds);
  const text = abs < 60
    ? `${abs}s`
    : abs < 3600
    ? `${Math.floor(abs / 60)}m`
    : abs < 86400
    ? `${Math.floor(abs / 3600)}h`
    : `${Math.floor(abs / 86400)}d`;
  return html`<time datetime="${new Date(ms).toISOString()}" title="${
    new Date(ms).toISOString()
  }">${seconds > 0 ? `in ${text}` : `${text} ago`}</time>`;
}

/**
 * A duration in ms as "1.2s", "3m05s", "2h01m".
 *
 * @example
 * ```ts
 * span(185_000); // "3m05s"
 * ```
 */
export function span(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, "0")}m`;
}
