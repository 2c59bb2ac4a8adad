/**
 * `bgt ui` in a real browser: Debian's Chromium driven by playwright-core, run under Node
 * (Playwright's pipe to Chromium breaks under Bun). `npm run test:ui` bundles this file for Node
 * and runs it with `node --test` (scripts/test_ui.ts); it drives the compiled dist/bgt in
 * temporary homes.
 *
 * @example
 * ```sh
 * npm run compile && npm run test:ui
 * ```
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { UiAuth } from "../../src/ui/auth.ts";
import { CHROMIUM, CHROMIUM_ARGS } from "../_helpers/chromium.ts";
import { freePort, startBgtUi, stopChild, taskProcessGroups } from "../_helpers/processes.ts";

const ROOT = process.env.BGT_ROOT ?? process.cwd();
const BGT = join(ROOT, "dist", "bgt");

/** A temporary home with bgt's CLI and its dashboard. */
class UiHome {
  readonly dir = mkdtempSync(join(tmpdir(), "bgt-ui-test-"));
  readonly uis: ChildProcess[] = [];

  constructor() {
    mkdirSync(join(this.dir, "work"));
  }

  env(): Record<string, string> {
    const env = { ...(process.env as Record<string, string>) };
    delete env.BGT_STORE;
    // Its own config file (absent): never the user's.
    return {
      ...env,
      BGT_HOME: join(this.dir, "home"),
      BGT_CONFIG: join(this.dir, "config.toml"),
      NO_COLOR: "1",
    };
  }

  /** Runs bgt; returns its trimmed stdout, or throws with its stderr. */
  bgt(words: string[]): string {
    const result = spawnSync(BGT, words, {
      cwd: join(this.dir, "work"),
      env: this.env(),
      encoding: "utf8",
      timeout: 60_000,
    });
    if (result.status !== 0) throw new Error(`bgt ${words.join(" ")}: ${result.stderr}`);
    return result.stdout.trim();
  }

  /** Submits a command; returns its id. */
  run(words: string[]): number {
    return Number(this.bgt(["run", ...words]));
  }

  task(id: number): Record<string, unknown> {
    return JSON.parse(this.bgt(["show", String(id), "--json"]));
  }

  /** Starts `bgt ui` with these options; resolves with the sign-in URL it prints. */
  async startUi(options: string[] = []): Promise<{ url: string; process: ChildProcess }> {
    const started = startBgtUi(BGT, ["--listen", "127.0.0.1:0", ...options], {
      env: this.env(),
      cwd: join(this.dir, "work"),
    });
    const { url, child } = await started;
    this.uis.push(child);
    return { url, process: child };
  }

  async stopUi(child: ChildProcess): Promise<void> {
    await stopChild(child);
  }

  /** The process group of a running task (its command and everything it started). */
  processGroup(id: number): number {
    return JSON.parse(readFileSync(join(this.dir, "home", "logs", String(id), "pid"), "utf8")).pid;
  }

  async cleanup(): Promise<void> {
    for (const child of this.uis) await this.stopUi(child);
    spawnSync(BGT, ["daemon", "stop"], { env: this.env(), timeout: 30_000 });
    // Commands go on through `daemon stop` (the next supervisor re-adopts them): end them.
    for (const group of taskProcessGroups(join(this.dir, "home"))) {
      try {
        process.kill(-group, "SIGKILL");
      } catch { /* already gone */ }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Polls until `check` is true; fails after `ms`. */
async function until(what: string, check: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Page errors and console errors of a page, to assert none happened. */
function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(`pageerror: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`console: ${message.text()}`);
  });
  return errors;
}

describe("bgt ui in Chromium", { timeout: 300_000 }, () => {
  let browser: Browser;
  const homes: UiHome[] = [];
  const contexts: BrowserContext[] = [];

  before(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS] });
  });

  after(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    for (const home of homes) await home.cleanup();
  });

  function newHome(): UiHome {
    const home = new UiHome();
    homes.push(home);
    return home;
  }

  async function signedIn(url: string, options: { javaScriptEnabled?: boolean } = {}) {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 860 },
      ...options,
    });
    contexts.push(context);
    const page = await context.newPage();
    const errors = collectErrors(page);
    const response = await page.goto(url);
    assert.equal(response?.status(), 200);
    assert.ok(!page.url().includes("token="), "the token leaves the address bar");
    return { context, page, errors };
  }

  test("the page lists the tasks; a row changes state without a reload when its task ends", async () => {
    const home = newHome();
    const done = home.run(["--", "true"]);
    const { url } = await home.startUi();
    const { page, errors } = await signedIn(url);
    await page.goto(new URL("/tasks", url).href);
    await page.waitForSelector(`tr[data-id="${done}"]`);
    await page.evaluate(() => ((globalThis as Record<string, unknown>).__sameDocument = true));
    const id = home.run(["--", "sleep", "2"]);
    await page.waitForSelector(`tr[data-id="${id}"][data-state="running"]`, { timeout: 15_000 });
    await page.waitForSelector(`tr[data-id="${id}"][data-state="succeeded"]`, { timeout: 15_000 });
    assert.equal(
      await page.evaluate(() => (globalThis as Record<string, unknown>).__sameDocument),
      true,
      "no reload happened",
    );
    assert.deepEqual(errors, []);
  });

  test("kill from the button ends the task's whole process tree", async () => {
    const home = newHome();
    const id = home.run(["--", "sh", "-c", "sleep 300 & sleep 300 & wait"]);
    await until(
      "the task to run",
      () =>
        home.task(id).status === "running" &&
        existsSync(join(home.dir, "home", "logs", String(id), "pid")),
    );
    const group = home.processGroup(id);
    assert.ok(groupAlive(group));
    const { url } = await home.startUi();
    const { page, errors } = await signedIn(url);
    await page.goto(new URL(`/tasks/${id}`, url).href);
    await page.click('form[action$="/kill"] button');
    await page.waitForSelector('[data-task-state="canceled"]', { timeout: 20_000 });
    await until("the process group to end", () => !groupAlive(group));
    assert.deepEqual(errors, []);
  });

  test("a form post works with JavaScript off (kill)", async () => {
    const home = newHome();
    const id = home.run(["--", "sleep", "300"]);
    await until("the task to run", () => home.task(id).status === "running");
    const { url } = await home.startUi();
    const { page } = await signedIn(url, { javaScriptEnabled: false });
    await page.goto(new URL(`/tasks/${id}`, url).href);
    await page.click('form[action$="/kill"] button');
    await until("the kill", () => home.task(id).status === "canceled");
    assert.match(await page.textContent(".flash") ?? "", new RegExp(`killed #${id}`));
    // Reading needs no script either: every page is whole as served.
    const pages: [string, string][] = [
      ["/", "Overview"],
      ["/tasks", "Tasks"],
      [`/tasks/${id}`, `#${id}`],
      ["/schedules", "Schedules"],
      ["/groups", "Groups"],
      ["/hosts", "Hosts"],
    ];
    for (const [path, heading] of pages) {
      const answer = await page.goto(new URL(path, url).href);
      assert.equal(answer?.status(), 200, path);
      assert.match(await page.textContent("h1") ?? "", new RegExp(heading), path);
    }
  });

  test("bulk kill ends the selected rows' tasks and leaves the others", async () => {
    const home = newHome();
    const ids = [home.run(["--", "sleep", "300"]), home.run(["--", "sleep", "300"])];
    const waiting = home.run(["--in", "1h", "--", "true"]);
    await until("the tasks to run", () => ids.every((id) => home.task(id).status === "running"));
    const { url } = await home.startUi();
    const { page, errors } = await signedIn(url);
    await page.goto(new URL("/tasks", url).href);
    for (const id of ids) await page.check(`tr[data-id="${id}"] input[name=id]`);
    await page.click('button[name=action][value="kill"]');
    for (const id of ids) {
      await page.waitForSelector(`tr[data-id="${id}"][data-state="canceled"]`, { timeout: 20_000 });
    }
    assert.match(await page.textContent(".flash") ?? "", /killed 2 of 2/);
    assert.equal(home.task(waiting).status, "scheduled", "an unselected row is left alone");
    assert.deepEqual(errors, []);
  });

  test("a stream ending in half a character is shown whole, and the tail stops asking", async () => {
    const home = newHome();
    const id = home.run(["--", "sh", "-c", "printf 'a\\303'"]);
    await until("the task to end", () => home.task(id).status === "succeeded");
    const { url } = await home.startUi();
    const { page, errors } = await signedIn(url);
    let requests = 0;
    page.on("request", (request) => {
      if (request.url().includes("/logs?")) requests++;
    });
    await page.goto(new URL(`/tasks/${id}`, url).href);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    assert.equal(await page.textContent("#log-stdout"), "a\ufffd");
    // Before the fix: about 120 a second, forever.
    assert.ok(requests <= 6, `${requests} log requests in 3 s`);
    assert.deepEqual(errors, []);
  });

  test("--read-only shows no action and a POST gets 403", async () => {
    const home = newHome();
    const id = home.run(["--", "sleep", "300"]);
    await until("the task to run", () => home.task(id).status === "running");
    // A fixed token: the session's real CSRF token is known, so the 403 below is the read-only
    // refusal, not a wrong token's.
    const token = "a-fixed-token-for-the-read-only-test";
    const { url } = await home.startUi(["--read-only", "--token", token]);
    const { context, page, errors } = await signedIn(url);
    for (const path of ["/tasks", `/tasks/${id}`, "/groups", "/schedules"]) {
      await page.goto(new URL(path, url).href);
      assert.equal(await page.locator('form[method="post"]').count(), 0, `no action on ${path}`);
      assert.equal(
        await page.locator("input[type=checkbox]").count(),
        0,
        `no selection on ${path}`,
      );
    }
    const answer = await page.request.post(new URL(`/tasks/${id}/kill`, url).href, {
      form: { _csrf: new UiAuth({ port: 0, token }).csrfToken((await context.cookies())[0].value) },
    });
    assert.equal(answer.status(), 403);
    assert.match(await answer.text(), /read-only/);
    assert.equal(home.task(id).status, "running");
    assert.deepEqual(errors, []);
  });

  test("the log tail resumes after a server restart with no gap and no duplicate", async () => {
    const home = newHome();
    const port = await freePort();
    const token = "a-fixed-token-for-this-test";
    const options = ["--listen", `127.0.0.1:${port}`, "--token", token];
    const id = home.run([
      "--",
      "sh",
      "-c",
      "for i in $(seq 1 80); do echo line $i; sleep 0.1; done",
    ]);
    let ui = await home.startUi(options);
    const { page } = await signedIn(ui.url);
    await page.goto(new URL(`/tasks/${id}`, ui.url).href);
    await page.waitForFunction(() =>
      document.querySelector("#log-stdout")?.textContent?.includes("line 5\n")
    );
    await home.stopUi(ui.process);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    ui = await home.startUi(options);
    await until("the task to end", () => home.task(id).status === "succeeded", 60_000);
    await page.waitForFunction(
      () => document.querySelector("#log-stdout")?.textContent?.includes("line 80\n"),
      null,
      { timeout: 30_000 },
    );
    const expected = Array.from({ length: 80 }, (_, i) => `line ${i + 1}\n`).join("");
    assert.equal(await page.textContent("#log-stdout"), expected);
  });

  test("an idle event stream survives 20 s (Bun drops idle connections at 10 s)", async () => {
    const home = newHome();
    const { url } = await home.startUi();
    const { page, errors } = await signedIn(url);
    const streams: string[] = [];
    page.on("request", (request) => {
      if (new URL(request.url()).pathname === "/events") streams.push(request.url());
    });

    await page.goto(new URL("/tasks", url).href);
    await page.waitForSelector("#live-dot.on");
    // (The page left behind may have opened one too, aborted by the navigation: count from here.)
    const opened = streams.length;
    assert.ok(opened >= 1);
    await new Promise((resolve) => setTimeout(resolve, 21_000));
    const id = home.run(["--", "true"]);
    await page.waitForSelector(`tr[data-id="${id}"][data-state="succeeded"]`, { timeout: 15_000 });
    assert.equal(streams.length, opened, "the one stream stayed open: no reconnect");
    assert.equal(await page.locator("#live-dot.on").count(), 1);
    assert.deepEqual(errors, []);
  });

  test("no console error on any page; screenshot for the README", async () => {
    const home = newHome();
    home.bgt(["group", "set", "io", "--parallel", "2"]);
    home.bgt(["every", "1h", "--name", "nightly-backup", "--", "true"]);
    const built = home.run([
      "--name",
      "build-frontend",
      "--",
      "sh",
      "-c",
      "echo building; sleep 0.3",
    ]);
    const synced = home.run([
      "--group",
      "io",
      "--name",
      "sync-s3",
      "--",
      "sh",
      "-c",
      "echo no route >&2; exit 3",
    ]);
    const thumbnails = Array.from(
      { length: 12 },
      (_, i) => home.run(["--name", `thumbnail-${i}`, "--", "true"]),
    );
    await until(
      "the first tasks to end",
      () =>
        home.task(synced).status === "failed" && home.task(built).status === "succeeded" &&
        home.task(thumbnails[11]).status === "succeeded",
    );
    const resizing = home.run([
      "--name",
      "resize-images",
      "--",
      "sh",
      "-c",
      "for i in $(seq 1 300); do echo resized image $i of 300; sleep 1; done",
    ]);
    home.run(["--group", "io", "--name", "upload", "--", "sleep", "300"]);
    home.run(["--name", "deploy", "--after", String(resizing), "--", "true"]);
    home.run(["--name", "send-report", "--in", "10m", "--", "true"]);
    home.run(["--name", "reindex", "--", "true"]);
    await until("resizing to run", () => home.task(resizing).status === "running");
    const ids = [built, synced, resizing];
    const { url } = await home.startUi();
    const { page, errors } = await signedIn(url);
    for (
      const path of [
        "/",
        "/tasks",
        `/tasks/${ids[0]}`,
        `/tasks/${ids[1]}`,
        "/schedules",
        "/groups",
        "/hosts",
        "/tasks?state=failed&q=sync",
      ]
    ) {
      await page.goto(new URL(path, url).href);
      await page.waitForSelector("#live-dot.on");
    }
    await page.goto(new URL("/", url).href);
    await page.waitForSelector("#live-dot.on");
    // docs/ only when asked (BGT_SCREENSHOTS=1), so that a test run leaves the tree as it was.
    const shots = process.env.BGT_SCREENSHOTS === "1"
      ? join(ROOT, "docs")
      : mkdtempSync(join(tmpdir(), "bgt-ui-shots-"));
    mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: join(shots, "ui.png"), fullPage: true });
    await page.goto(new URL(`/tasks/${ids[2]}`, url).href);
    await page.waitForSelector("#live-dot.on");
    await page.waitForFunction(() =>
      document.querySelector("#log-stdout")?.textContent?.includes("image 3 ")
    );
    await page.screenshot({ path: join(shots, "ui-task.png"), fullPage: true });
    await page.goto(new URL("/tasks", url).href);
    await page.waitForSelector("#live-dot.on");
    await page.screenshot({ path: join(shots, "ui-tasks.png") });
    for (const name of ["ui.png", "ui-task.png", "ui-tasks.png"]) {
      assert.ok(statSync(join(shots, name)).size > 10_000, `${name} was taken`);
    }
    if (shots !== join(ROOT, "docs")) rmSync(shots, { recursive: true, force: true });
    assert.deepEqual(errors, []);
  });
});
