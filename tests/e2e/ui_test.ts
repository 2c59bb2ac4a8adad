/**
 * `bgt ui` from the compiled binary, as the "done" reads: it prints the token URL; the
 * page lists the tasks; `/api/tasks` answers 401 without the cookie and lists them with it;
 * `/events` streams `id:`/`data:` lines when a task changes. And its refusals: a non-local
 * `--listen` without a token, a bad `--listen` (one line, exit 2). `[ui] listen` of the config
 * file is its default.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { after, before, describe, test } from "node:test";
import { BGT, TempHome } from "../_helpers/bgt_home.ts";

/** Starts `bgt ui` with these words; resolves with its sign-in URL. */
function startUi(home: TempHome, words: string[]): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(BGT, ["ui", ...words], {
    cwd: home.work,
    env: home.env(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    const timer = setTimeout(() => reject(new Error(`no URL within 20 s: ${err}`)), 20_000);
    child.stderr!.on("data", (chunk) => (err += chunk));
    child.stdout!.on("data", (chunk) => {
      out += chunk;
      const line = /^(http:\/\/\S+)\n/.exec(out);
      if (line) {
        clearTimeout(timer);
        resolve({ url: line[1], child });
      }
    });
    child.on("exit", (code) => reject(new Error(`bgt ui exited ${code}: ${err}`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("bgt ui (compiled)", () => {
  let home: TempHome;
  const children: ChildProcess[] = [];
  before(() => {
    home = TempHome.create();
  });
  after(async () => {
    for (const child of children) await stop(child);
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
      await stop(child);
    } finally {
      writeFileSync(home.configFile, "");
    }
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
