/**
 * runCommandHook() runs `sh -c` with the data in variables and on stdin, and ends a hook at its
 * timeout; postWebhook() signs its POST and counts only a 2xx as delivered.
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { postWebhook, webhookRetryDelay } from "../../src/hooks/post_webhook.ts";
import { runCommandHook } from "../../src/hooks/run_command_hook.ts";
import { webhookSecret } from "../../src/hooks/webhook_secret.ts";
import { isAlive } from "../../src/runtime/process.ts";
import type { HookPayload } from "../../src/store/hook_store.ts";

const base = (target: string, cwd: string): HookPayload => ({
  action: "command",
  target,
  cwd,
  timeoutMs: 10_000,
  env: { PATH: process.env.PATH ?? "/usr/bin:/bin", BGT_TASK_ID: "7", BGT_STATUS: "failed" },
  body: { id: 7, status: "failed", outputTail: "x\n" },
});

test("runCommandHook() runs the line in the task's cwd with BGT_* set and the JSON on stdin", async () => {
  const dir = mkdtempSync(join(tmpdir(), "bgt-hook-"));
  try {
    const outcome = await runCommandHook(
      base('echo "$BGT_TASK_ID:$BGT_STATUS" > out; cat > in.json; pwd > where', dir),
    );
    assert.deepEqual(outcome, { ok: true, result: "exit 0" });
    assert.equal(readFileSync(join(dir, "out"), "utf8"), "7:failed\n");
    assert.deepEqual(JSON.parse(readFileSync(join(dir, "in.json"), "utf8")), {
      id: 7,
      status: "failed",
      outputTail: "x\n",
    });
    assert.equal(readFileSync(join(dir, "where"), "utf8").trim(), dir);
    const failed = await runCommandHook(base("echo nope >&2; exit 3", dir));
    assert.deepEqual(failed, { ok: false, result: "exit 3: nope" });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("runCommandHook() kills a hook that outlasts its timeout, its children too", async () => {
  const dir = mkdtempSync(join(tmpdir(), "bgt-hook-"));
  try {
    const started = Date.now();
    const outcome = await runCommandHook({
      ...base("sleep 30 & echo $! > child; wait", dir),
      timeoutMs: 300,
    });
    assert.equal(outcome.ok, false);
    assert.match(outcome.result, /^timed out after/);
    assert.ok(Date.now() - started < 20_000, "it did not wait for the sleep");
    const child = Number(readFileSync(join(dir, "child"), "utf8"));
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.ok(!isAlive(child), "the hook's child was killed with it");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("webhookSecret() makes the home's secret once, mode 0600; a configured one wins", () => {
  const dir = mkdtempSync(join(tmpdir(), "bgt-hook-"));
  try {
    const secret = webhookSecret(dir);
    assert.match(secret, /^[0-9a-f]{64}$/);
    assert.equal(webhookSecret(dir), secret, "the same on every use");
    assert.equal(statSync(join(dir, "webhook.secret")).mode & 0o777, 0o600);
    assert.equal(webhookSecret(dir, "configured"), "configured");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("postWebhook() POSTs the JSON with bgt-event-id and a sha256 HMAC; only a 2xx delivers", async () => {
  const received: { headers: IncomingMessage["headers"]; body: string }[] = [];
  let status = 500;
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      received.push({ headers: request.headers, body });
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  try {
    const payload = { ...base("", "/"), action: "webhook" as const, target: url };
    assert.deepEqual(await postWebhook(payload, 12, "key"), { ok: false, result: "HTTP 500" });
    status = 204;
    assert.deepEqual(await postWebhook(payload, 12, "key"), { ok: true, result: "HTTP 204" });
    const [{ headers, body }] = received;
    assert.deepEqual(JSON.parse(body), payload.body);
    assert.equal(headers["bgt-event-id"], "12");
    assert.equal(headers["content-type"], "application/json");
    const hmac = createHmac("sha256", "key").update(body).digest("hex");
    assert.equal(headers["bgt-signature"], `sha256=${hmac}`);
  } finally {
    server.close();
  }
  const closed = await postWebhook({ ...base("", "/"), action: "webhook", target: url }, 1, "k");
  assert.equal(closed.ok, false);
  assert.match(closed.result, /^cannot post/);
});

test("webhookRetryDelay() waits 1 s, 10 s, 1 min, 10 min, 1 h, then gives up", () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6].map(webhookRetryDelay),
    [1_000, 10_000, 60_000, 600_000, 3_600_000, undefined],
  );
});
