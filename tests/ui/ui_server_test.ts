/**
 * `bgt ui`'s server without a browser: sign-in and the session cookie, 401 without it, the Host
 * check, CSRF and read-only refusals, the CSP, the API in the CLI's `--json` shapes, the event
 * stream (ids, resume with Last-Event-ID, keep-alives) and the log pieces at byte offsets.
 * (tests/browser/ has the same in Chromium.)
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { hostname, networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Client } from "../../src/client/client.ts";
import { openStore, storeConfig } from "../../src/store/open_store.ts";
import type { TaskStore } from "../../src/store/task_store.ts";
import { taskJson } from "../../src/task/task_json.ts";
import { taskFiles } from "../../src/store/task_files.ts";
import { readLogChunk, wholeUtf8Length } from "../../src/ui/log_chunk.ts";
import { parseListen } from "../../src/ui/listen_address.ts";
import { UiAuth } from "../../src/ui/auth.ts";
import { startUiServer, UiConfigError, type UiServer } from "../../src/ui/server.ts";

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request with exactly these headers (fetch would not let a test set Host). */
function call(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: options.method ?? "GET", headers: options.headers },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** Reads an event stream until `done(text)` holds or `ms` pass; returns what came. */
function readEvents(
  url: string,
  headers: Record<string, string>,
  done: (text: string) => boolean,
  ms = 5000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    const req = httpRequest(url, { headers }, (res) => {
      res.setEncoding("utf8");
      const finish = () => {
        clearTimeout(timer);
        req.destroy();
        resolve(text);
      };
      const timer = setTimeout(finish, ms);
      res.on("data", (chunk) => {
        text += chunk;
        if (done(text)) finish();
      });
    });
    req.on("error", (error) => (text ? resolve(text) : reject(error)));
    req.end();
  });
}

describe("bgt ui server", () => {
  let dir: string;
  let client: Client;
  let store: TaskStore;
  const servers: UiServer[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "bgt-ui-server-"));
    const env = { BGT_HOME: join(dir, "home") };
    client = await Client.open({ env });
    store = await openStore(storeConfig(env, client.home), { role: "client" });
  });

  after(async () => {
    for (const server of servers) await server.close();
    // An action woke a supervisor for this home.
    await client.stop().catch(() => {});
    await store.close();
    await client.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(options: { readOnly?: boolean; token?: string; keepAliveMs?: number } = {}) {
    const server = await startUiServer({
      client,
      store,
      listen: parseListen("127.0.0.1:0"),
      ...options,
    });
    servers.push(server);
    return server;
  }

  /** Signs in with the printed URL; returns the Cookie header to send. */
  async function signIn(server: UiServer): Promise<string> {
    const answer = await call(server.signInUrl);
    assert.equal(answer.status, 303);
    const cookie = String(answer.headers["set-cookie"]);
    return cookie.split(";")[0];
  }

  test("the printed URL signs in once; without the cookie every path answers 401", async () => {
    const server = await start();
    assert.match(server.signInUrl, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}$/);
    for (const path of ["/", "/tasks", "/tasks/1", "/api/tasks", "/events", "/assets/ui.js"]) {
      const answer = await call(server.origin + path);
      assert.equal(answer.status, 401, path);
      assert.ok(answer.headers["content-security-policy"], `CSP on ${path}`);
    }
    const first = await call(server.signInUrl);
    assert.equal(first.status, 303);
    assert.equal(first.headers.location, "/");
    const cookie = String(first.headers["set-cookie"]);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    assert.equal((await call(server.signInUrl)).status, 401, "the token works once");
    const again = await call(server.signInUrl, { headers: { cookie: cookie.split(";")[0] } });
    assert.equal(again.status, 303, "a signed-in browser opening the spent link goes on");
    const page = await call(`${server.origin}/`, { headers: { cookie: cookie.split(";")[0] } });
    assert.equal(page.status, 200);
    assert.match(String(page.headers["content-security-policy"]), /default-src 'none'/);
    assert.match(String(page.headers["content-security-policy"]), /script-src 'self'/);
    assert.equal(page.headers["referrer-policy"], "no-referrer");
  });

  test("/api/tasks lists the tasks in the shape of ls --json; filters and search in the URL", async () => {
    const server = await start();
    const cookie = await signIn(server);
    const [id, other] = await client.submit([
      { spec: { kind: "command", argv: ["echo", "ui-api"] }, name: "api-task", group: "g1" },
      { spec: { kind: "command", argv: ["true"] } },
    ], { wake: false });
    const answer = await call(`${server.origin}/api/tasks?group=g1`, { headers: { cookie } });
    assert.equal(answer.status, 200);
    const tasks = JSON.parse(answer.body);
    const task = await client.get(id);
    assert.deepEqual(tasks, [JSON.parse(JSON.stringify(taskJson(task, { result: false })))]);
    const searched = JSON.parse(
      (await call(`${server.origin}/api/tasks?q=ui-api`, { headers: { cookie } })).body,
    );
    assert.deepEqual(searched.map((t: { id: number }) => t.id), [id]);
    const page = JSON.parse(
      (await call(`${server.origin}/api/tasks?before=${other}&limit=1`, { headers: { cookie } }))
        .body,
    );
    assert.deepEqual(page.map((t: { id: number }) => t.id), [id]);
    const one = JSON.parse(
      (await call(`${server.origin}/api/tasks/${id}`, { headers: { cookie } })).body,
    );
    assert.equal(one.id, id);
    assert.deepEqual(one.attempts, []);
    assert.deepEqual(Object.keys(one.streams), ["stdout", "stderr", "data"]);
    const bad = await call(`${server.origin}/api/tasks?state=nope`, { headers: { cookie } });
    assert.equal(bad.status, 400);
    assert.match(JSON.parse(bad.body).error, /unknown state 'nope'/);
    assert.equal(
      (await call(`${server.origin}/api/tasks/999999`, { headers: { cookie } })).status,
      404,
    );
  });

  test("a task's text is escaped in the pages", async () => {
    const server = await start();
    const cookie = await signIn(server);
    const [id] = await client.submit([
      { spec: { kind: "command", argv: ["true"] }, name: `<script>alert("x")</script>` },
    ], { wake: false });
    for (const path of ["/tasks", `/tasks/${id}`]) {
      const page = await call(server.origin + path, { headers: { cookie } });
      assert.equal(page.status, 200);
      assert.ok(!page.body.includes(`<script>alert`), path);
      assert.ok(page.body.includes("&lt;script&gt;alert(&quot;x&quot;)"), path);
    }
  });

  test("a wrong Host header is refused (DNS rebinding)", async () => {
    const server = await start();
    const cookie = await signIn(server);
    const answer = await call(`${server.origin}/api/tasks`, {
      headers: { cookie, host: `evil.example:${server.port}` },
    });
    assert.equal(answer.status, 421);
    const local = await call(`${server.origin}/api/tasks`, {
      headers: { cookie, host: `localhost:${server.port}` },
    });
    assert.equal(local.status, 200);
  });

  test("on a wildcard address the Host check takes this machine's names and --host-name's only", async () => {
    const server = await startUiServer({
      client,
      store,
      listen: parseListen("0.0.0.0:0"),
      token: "a-fixed-token-for-the-wildcard-test",
      hostNames: ["bgt.example", "proxy.example:443"],
    });
    servers.push(server);
    const cookie = await signIn(server);
    const status = async (host: string) =>
      (await call(`${server.origin}/api/tasks`, { headers: { cookie, host } })).status;
    const port = server.port;
    const address = Object.values(networkInterfaces()).flat().find((info) =>
      info && info.family === "IPv4" && !info.internal
    )?.address;
    const good = [
      `${hostname()}:${port}`,
      `localhost:${port}`,
      `127.0.0.1:${port}`,
      `bgt.example:${port}`,
      "proxy.example:443",
      ...(address ? [`${address}:${port}`] : []),
    ];
    for (const host of good) assert.equal(await status(host), 200, host);
    for (const host of [`evil.example:${port}`, `bgt.example:1`, "proxy.example:444"]) {
      assert.equal(await status(host), 421, host);
    }
  });

  test("a POST needs the session's CSRF token and this origin; read-only answers 403", async () => {
    const server = await start();
    const cookie = await signIn(server);
    const page = await call(`${server.origin}/groups`, { headers: { cookie } });
    const post = (body: string, headers: Record<string, string> = {}) =>
      call(`${server.origin}/groups/ui-g/pause`, {
        method: "POST",
        headers: { cookie, "content-type": "application/x-www-form-urlencoded", ...headers },
        body,
      });
    assert.equal(page.status, 200);
    assert.equal((await post("")).status, 403);
    assert.equal((await post("_csrf=wrong")).status, 403);
    // The token of a form this session was served (any page's forms carry the same one).
    await client.setGroup("ui-g", { parallel: 2 });
    const groups = await call(`${server.origin}/groups`, { headers: { cookie } });
    const csrf = /name="_csrf" value="([^"]+)"/.exec(groups.body)![1];
    assert.equal(
      (await post(`_csrf=${csrf}`, { origin: "http://evil.example" })).status,
      403,
      "a cross-origin post",
    );
    assert.equal((await post(`_csrf=${csrf}`, { origin: "not a url" })).status, 403);
    const done = await post(`_csrf=${csrf}`, { origin: server.origin });
    assert.equal(done.status, 303);
    assert.match(String(done.headers.location), /^\/groups\?msg=paused\+group\+ui-g/);
    assert.equal((await client.groups()).find((g) => g.name === "ui-g")?.paused, true);

    // A read-only server with a fixed token: its session's real CSRF token is known, so the 403
    // below is the read-only refusal, not a wrong token's.
    const token = "a-fixed-token-for-the-read-only-test";
    const readOnly = await start({ readOnly: true, token });
    const roCookie = await signIn(readOnly);
    const roPage = await call(`${readOnly.origin}/groups`, { headers: { cookie: roCookie } });
    assert.ok(!roPage.body.includes('method="post"'), "no form posts when read-only");
    const realCsrf = new UiAuth({ port: 0, token }).csrfToken(roCookie.split("=")[1]);
    const resume = (server: UiServer, cookie: string) =>
      call(`${server.origin}/groups/ui-g/resume`, {
        method: "POST",
        headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
        body: `_csrf=${encodeURIComponent(realCsrf)}`,
      });
    const refused = await resume(readOnly, roCookie);
    assert.equal(refused.status, 403);
    assert.match(refused.body, /read-only/);
    assert.equal((await client.groups()).find((g) => g.name === "ui-g")?.paused, true);
    // The same post to a writable twin (same token) is accepted: the token was the real one.
    const writable = await start({ token });
    assert.equal((await resume(writable, await signIn(writable))).status, 303);
    assert.equal((await client.groups()).find((g) => g.name === "ui-g")?.paused, false);
  });

  test("a failed action never sends the browser to another host (back=//x or /\\x)", async () => {
    const server = await start();
    const cookie = await signIn(server);
    const page = await call(`${server.origin}/groups`, { headers: { cookie } });
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1];
    // kill answers a refusal; send to a missing task throws (the server's own fallback).
    const cases = ["kill", "send"].flatMap((verb) =>
      ["//evil.example/", "/\\evil.example/"].map((back) => [verb, back])
    );
    for (const [verb, back] of cases) {
      const answer = await call(`${server.origin}/tasks/987654/${verb}`, {
        method: "POST",
        headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ _csrf: csrf, back, input: "x" }).toString(),
      });
      assert.equal(answer.status, 303, `${verb} ${back}`);
      assert.match(String(answer.headers.location), /^\/tasks\/987654\?err=/, `${verb} ${back}`);
    }
  });

  test("bulk rm removes the selected tasks and says how many", async () => {
    const server = await start();
    const cookie = await signIn(server);
    const later = Date.now() + 3600_000;
    const [a, b, kept] = await client.submit([
      { spec: { kind: "command", argv: ["true"] }, runAt: later },
      { spec: { kind: "command", argv: ["true"] }, runAt: later },
      { spec: { kind: "command", argv: ["true"] }, runAt: later },
    ], { wake: false });
    const page = await call(`${server.origin}/tasks`, { headers: { cookie } });
    assert.match(page.body, new RegExp(`<tr data-id="${a}"\\s+data-state="scheduled">`));
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1];
    const form = new URLSearchParams([
      ["_csrf", csrf],
      ["back", "/tasks?state=scheduled"],
      ["action", "rm"],
      ["id", String(a)],
      ["id", String(b)],
    ]);
    const done = await call(`${server.origin}/tasks/bulk`, {
      method: "POST",
      headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
      body: form.toString(),
    });
    assert.equal(done.status, 303);
    const location = new URL(String(done.headers.location), server.origin);
    assert.equal(location.pathname, "/tasks");
    assert.equal(location.searchParams.get("state"), "scheduled");
    assert.equal(location.searchParams.get("msg"), "removed 2 of 2");
    const left = (await client.list({ ids: [a, b, kept] })).map((task) => task.id);
    assert.deepEqual(left, [kept]);
  });

  test("a non-local --listen refuses to start without a token; a given token signs in each time", async () => {
    await assert.rejects(
      startUiServer({ client, store, listen: parseListen("0.0.0.0:0") }),
      (error: Error) => error instanceof UiConfigError && /needs --token/.test(error.message),
    );
    await assert.rejects(
      startUiServer({ client, store, listen: parseListen("0.0.0.0:0"), token: "short" }),
      UiConfigError,
    );
    const server = await start({ token: "a-long-enough-secret-token" });
    assert.equal((await call(server.signInUrl)).status, 303);
    assert.equal((await call(server.signInUrl)).status, 303, "a fixed token works again");
    assert.throws(() => parseListen("nonsense"), /--listen: expected HOST:PORT/);
  });

  test("/events streams id:/data: lines within a second of a change and resumes after Last-Event-ID", async () => {
    const server = await start({ keepAliveMs: 200 });
    const cookie = await signIn(server);
    const url = `${server.origin}/events`;
    const reading = readEvents(url, { cookie }, (text) => /data: .*"submitted"/.test(text));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const [id] = await client.submit([{ spec: { kind: "command", argv: ["true"] } }], {
      wake: false,
    });
    const text = await reading;
    assert.match(text, /^retry: 2000\n\n/);
    assert.match(text, /: keep-alive\n\n/, "a keep-alive comment while idle");
    // Every event is an `id:` line and a `data:` line; the task's submit is among them.
    const events = [...text.matchAll(/^id: (\d+)\ndata: (.*)\n\n/gm)].map((m) => {
      const event = JSON.parse(m[2]);
      assert.equal(event.id, Number(m[1]));
      return event;
    });
    assert.ok(
      events.some((event) => event.taskId === id && event.kind === "submitted"),
      text,
    );

    // A reconnect with Last-Event-ID gets exactly the events after it, once.
    const from = await store.lastEventId();
    const [a, b] = await client.submit([
      { spec: { kind: "command", argv: ["true"] } },
      { spec: { kind: "command", argv: ["true"] } },
    ], { wake: false });
    const resumed = await readEvents(
      url,
      { cookie, "last-event-id": String(from) },
      (text) => (text.match(/^id: /gm) ?? []).length >= 2,
    );
    const ids = [...resumed.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1]).taskId);
    assert.deepEqual(ids, [a, b]);
  });

  test("logs: a piece of a stream from a byte offset, never splitting a character", async () => {
    const server = await start();
    const cookie = await signIn(server);
    const [id] = await client.submit([{ spec: { kind: "command", argv: ["true"] } }], {
      wake: false,
    });
    const logs = join(client.home.logs, String(id));
    mkdirSync(logs, { recursive: true });
    writeFileSync(join(logs, "stdout"), "héllo\nwörld\n");
    const read = async (query: string) =>
      await call(`${server.origin}/api/tasks/${id}/logs?${query}`, { headers: { cookie } });
    const all = JSON.parse((await read("stream=stdout&from=0")).body);
    assert.deepEqual(all, {
      stream: "stdout",
      from: 0,
      to: 14,
      start: 0,
      limit: 14,
      text: "héllo\nwörld\n",
    });
    const rest = JSON.parse((await read("stream=stdout&from=7")).body);
    assert.equal(rest.text, "wörld\n");
    assert.equal((await read("stream=stdout&from=0&raw=1")).body, "héllo\nwörld\n");
    assert.equal((await read("stream=nope&from=0")).status, 400);
    assert.equal((await read("stream=stdout&from=-1")).status, 400);
    assert.equal(wholeUtf8Length(new Uint8Array([0x61, 0xc3])), 1);
    assert.equal(wholeUtf8Length(new Uint8Array([0x61, 0xc3, 0xa9])), 3);
    assert.equal(wholeUtf8Length(new Uint8Array([0xe2, 0x82])), 0);
  });

  test("logs: a stream ending in half a character is held back while running, whole once ended", () => {
    const logs = join(dir, "half-char-logs");
    mkdirSync(join(logs, "1"), { recursive: true });
    writeFileSync(join(logs, "1", "stdout"), Buffer.from([0x61, 0xc3])); // "a", half of "é"
    const files = taskFiles(logs, 1);
    const running = readLogChunk(files, "stdout", 0);
    assert.deepEqual([running.to, running.limit, running.text], [1, 2, "a"]);
    const again = readLogChunk(files, "stdout", running.to);
    assert.deepEqual([again.from, again.to, again.text], [1, 1, ""], "the rest may still come");
    const ended = readLogChunk(files, "stdout", running.to, { ended: true });
    assert.deepEqual([ended.to, ended.text], [2, "\ufffd"], "it never comes: shown as U+FFFD");
    // Cut by `max` inside the file, the character's rest is there: held back even when ended.
    writeFileSync(join(logs, "1", "stdout"), "aé");
    const cut = readLogChunk(files, "stdout", 0, { max: 2, ended: true });
    assert.deepEqual([cut.to, cut.text], [1, "a"]);
  });
});
