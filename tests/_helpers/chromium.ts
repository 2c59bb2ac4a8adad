/**
 * How the browser tests and the dashboard benchmark start Debian's Chromium (playwright-core,
 * under Node): its path and the flags for a quiet headless run.
 *
 * @example
 * ```ts
 * const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
 * ```
 */

/** Chromium's path: BGT_CHROMIUM, else Debian's. */
export const CHROMIUM = process.env.BGT_CHROMIUM ?? "/usr/bin/chromium";

/**
 * Headless, no sandbox (containers), and nothing that talks to the network on its own. Playwright
 * refuses a --user-data-dir argument: it gives each launch a fresh profile of its own in the
 * temporary folder (and deletes it on close).
 */
export const CHROMIUM_ARGS: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
