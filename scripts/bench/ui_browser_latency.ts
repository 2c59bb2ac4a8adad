// Bundled for Node and run by scripts/bench/ui.ts (Playwright's pipe to Chromium breaks under Bun):
// `node ui_browser_latency.mjs <sign-in url> <bgt> <rounds>`, with BGT_HOME of the bench's home.
// Opens the tasks page in Debian's Chromium, then `rounds` times submits `bgt run -- true` and
// waits for its row to appear (no reload: the event stream, then the page's refresh). Prints one
// JSON line: the ms from just before each submit until the row was in the page.
import { spawnSync } from "node:child_process";
import { chromium } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS } from "../../tests/_helpers/chromium.ts";

const [url, bgt, roundsText] = process.argv.slice(2);
const rounds = Number(roundsText);
const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS] });
try {
  const page = await browser.newPage();
  await page.goto(url);
  await page.goto(new URL("/tasks", url).href);
  await page.waitForSelector("#live-dot.on");
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const before = Date.now();
    const run = spawnSync(bgt, ["run", "--", "true"], { encoding: "utf8" });
    if (run.status !== 0) throw new Error(`bgt run: ${run.stderr}`);
    const id = run.stdout.trim();
    await page.waitForSelector(`tr[data-id="${id}"]`, { timeout: 10_000 });
    samples.push(Date.now() - before);
    await new Promise((resolve) => setTimeout(resolve, 400 + Math.random() * 200));
  }
  console.log(JSON.stringify({ samples }));
} finally {
  await browser.close();
}
