/**
 * `npm run test:ui`: the dashboard's browser tests (tests/browser/), bundled for Node and run
 * with `node --test` (Playwright's pipe to Chromium breaks under Bun). Without Chromium at
 * /usr/bin/chromium (or BGT_CHROMIUM) it prints how to get it and exits 0, unless
 * BGT_REQUIRE_BROWSER=1 (CI) makes that a failure.
 *
 * @example
 * ```sh
 * npm run compile && npm run test:ui
 * ```
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { bundleForNode } from "./bundle_for_node.ts";
import { CHROMIUM } from "../tests/_helpers/chromium.ts";

const root = resolve(import.meta.dirname ?? ".", "..");
const chromium = CHROMIUM;
if (!existsSync(chromium)) {
  const how = `no Chromium at ${chromium}: 'apt-get install chromium', then 'npm run test:ui'`;
  if (process.env.BGT_REQUIRE_BROWSER === "1") {
    console.error(`test:ui: ${how} (BGT_REQUIRE_BROWSER=1)`);
    process.exit(1);
  }
  console.log(`test:ui: skipped the browser tests, ${how}`);
  process.exit(0);
}
if (!existsSync(join(root, "dist", "bgt"))) {
  console.error("test:ui: dist/bgt is missing: run 'npm run compile' first");
  process.exit(1);
}
// Inside node_modules, so that Node's ESM resolution finds playwright-core from the bundle.
const out = join(root, "node_modules", ".cache", `bgt-test-ui-${process.pid}`);
mkdirSync(out, { recursive: true });
try {
  const failed = bundleForNode(
    join(root, "tests", "browser", "ui_browser.ts"),
    join(out, "ui_browser.mjs"),
  );
  if (failed) {
    console.error(`test:ui: ${failed}`);
    process.exit(1);
  }
  // Extra words go to node (`npm run test:ui -- --test-name-pattern=kill`).
  const words = ["--test", "--test-concurrency=1", ...process.argv.slice(2)];
  const run = spawnSync("node", [...words, join(out, "ui_browser.mjs")], {
    stdio: "inherit",
    cwd: root,
    env: { ...process.env, BGT_ROOT: root },
  });
  process.exitCode = run.status ?? 1;
} finally {
  rmSync(out, { recursive: true, force: true });
}
