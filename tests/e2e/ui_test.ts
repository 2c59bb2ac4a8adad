/**
 * `bgt ui` from the compiled binary, as the "done" reads: it prints the token URL; the
 * page lists the tasks; `/api/tasks` answers 401 without the cookie and lists them with it;
 * `/events` streams `id:`/`data:` lines when a task changes. And its refusals: a non-local
 * `--listen` without a token, a bad `--listen` (one line, exit 2). `[ui] listen` of the config
 * file is its default.
 */
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { BGT, TempHome } from "../_helpers/bgt_home.ts";
import { freePort, startBgtUi, type StartedUi, stopChild } from "../_helpers/processes.ts";

/** Starts `bgt ui` in the home with these words. */
function startUi(home: TempHome, words: string[]): Promise<StartedUi> {
  return startBgtUi(BGT, words, { env: home.env(), cwd: home.work });
}

/** Polls until `check` holds (20 s at most). */
async function waitUntil(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

describe("bgt ui (compiled)", () => {
  let home: TempHome;
  const children: ChildProcess[] = [];
  before(() => {
    home = TempHome.create();
  });
  after(async () => {
    for (const child of children) await stopChild(child);
    home.cleanup();
  });

  test("prints the token URL; 401 without the cookie; lists the tasks; streams events", async () => {
    const id = Number(home.ok(["run", "--name", "listed-task", "--", "true"]));
    const { url, child } = await startUi(home, ["--listen", "127.0.0.1:0"]);
    children.push(child);
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+$/);
    const origin = new URL(url).origin;
    assert.equal((await fetch(`${origin}/api/tasks`)).status, 401);
    assert.equal((await fetch(`${origin}/tasks`)).status, 401);
    const signIn = await fetch(url, { redirect: "manual" });
    assert.equal(signIn.status, 303);
    const cookie = signIn.headers.get("set-cookie")!.split(";")[0];
    const tasks = await (await fetch(`${origin}/api/tasks`, { headers: { cookie } })).json();
    assert.deepEqual(tasks.map((task: { id: number }) => task.id), [id]);
    const page = await (await fetch(`${origin}/tasks`, { headers: { cookie } })).text();
    assert.match(page, /listed-task/);

    const events = await fetch(`${origin}/events`, { headers: { cookie } });
    assert.equal(events.headers.get("content-type"), "text/event-stream; charset=utf-8");
    const reader = events.body!.getReader();
    const next = Number(home.ok(["run", "--", "true"]));
    let text = "";
    const decoder = new TextDecoder();
    const deadline = Date.now() + 10_000;
    while (!text.includes(`"taskId":${next},"kind":"succeeded"`) && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    await reader.cancel();
    assert.match(
      text,
      new RegExp(`id: \\d+\\ndata: \\{"id":\\d+,"at":\\d+,"taskId":${next},"kind":"submitted"`),
    );
    assert.match(text, new RegExp(`"taskId":${next},"kind":"succeeded"`));
  });

  test("[ui] listen of the config file is the default address", async () => {
    const port = await freePort();
    writeFileSync(home.configFile, `[ui]\nlisten = "127.0.0.1:${port}"\n`);
    try {
      const { url, child } = await startUi(home, []);
      children.push(child);
      assert.equal(new URL(url).port, String(port));
      await stopChild(child);
    } finally {
      writeFileSync(home.configFile, "");
    }
  });

  test("--token warns that ps shows it; BGT_UI_TOKEN does not", async () => {
    const token = "a-fixed-token-of-this-test";
    const flag = await startUi(home, ["--listen", "127.0.0.1:0", "--token", token]);
    children.push(flag.child);
    await waitUntil(() => flag.stderr().includes("serving"));
    assert.match(
      flag.stderr(),
      /^bgt ui: warning: --token shows in ps .* set BGT_UI_TOKEN instead$/m,
    );
    await stopChild(flag.child);
    const quiet = await startBgtUi(BGT, ["--listen", "127.0.0.1:0"], {
      env: home.env({ BGT_UI_TOKEN: token }),
      cwd: home.work,
    });
    children.push(quiet.child);
    assert.equal(new URL(quiet.url).searchParams.get("token"), token);
    await waitUntil(() => quiet.stderr().includes("serving"));
    assert.doesNotMatch(quiet.stderr(), /warning/);
    await stopChild(quiet.child);
  });

  test("a non-local --listen without a token, or a bad --listen: one line, exit 2", () => {
    const open = home.bgt(["ui", "--listen", "0.0.0.0:0"]);
    assert.equal(open.code, 2);
    assert.match(
      open.stderr,
      /^bgt: --listen 0\.0\.0\.0: an address other hosts can reach needs --token/,
    );
    assert.equal(open.stderr.trim().split("\n").length, 1);
    assert.equal(open.stdout, "");
    const bad = home.bgt(["ui", "--listen", "localhost"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^bgt: --listen: expected HOST:PORT/);
  });
});
