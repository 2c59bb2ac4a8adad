/**
 * The dashboard at scale: a task table grown by a generator to 1k and 1M rows (SQLite), `bgt
 * ui`'s server in this process, and the server time (its `Server-Timing` header: the store's
 * reads and the rendering) of the tasks page (a page of 50: the first, one deep in the table by
 * keyset, and filtered by state), of `/api/tasks`, of a task's page and of the overview; then
 * the time from a submit's commit to its event arriving on an `/events` stream (read over HTTP
 * by this process, as the browser's EventSource reads it).
 *
 * The generated history: commands with a name on a quarter of them, groups default/io/gpu/email,
 * 89 % succeeded, 6 % failed, the rest canceled, timed out or lost; one every 7 s.
 *
 * ```sh
 * npx bun scripts/bench/ui.ts [rows=1000000] [rounds=20]
 * ```
 */
import { Database } from "bun:sqlite";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { Client } from "../../src/client/client.ts";
import { bundleForNode } from "../bundle_for_node.ts";
import { openStore, storeConfig } from "../../src/store/open_store.ts";
import { SqliteTaskStore } from "../../src/store/sqlite_task_store.ts";
import { encode } from "../../src/task/codec.ts";
import { parseListen } from "../../src/ui/listen_address.ts";
import { startUiServer, type UiServer } from "../../src/ui/server.ts";
import {
  bench,
  BGT,
  commandLine,
  type Figure,
  figure,
  numberArg,
  onCleanup,
  progress,
  ROOT,
  type Row,
  show,
  stopHomeSupervisor,
  tempDir,
  times,
} from "./_harness.ts";
import { CHROMIUM } from "../../tests/_helpers/chromium.ts";

const MAX = numberArg(0, 1_000_000, 100_000);
const ROUNDS = numberArg(1, 20, 5);
const SIZES = [...new Set([1_000, MAX])];

/** Fills a fresh home's bgt.db with `rows` finished tasks (in SQL: binding 1M rows is slow). */
function generate(db: string, rows: number): void {
  const sqlite = new Database(db, { strict: true });
  sqlite.exec("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF");
  sqlite.exec("CREATE TEMP TABLE gen_spec (n INTEGER PRIMARY KEY, spec BLOB)");
  const insertSpec = sqlite.prepare("INSERT INTO gen_spec VALUES (?, ?)");
  for (let n = 0; n < 64; n++) {
    insertSpec.run(n, encode({ kind: "command", argv: ["./backup.sh", "--db", `shard-${n}`] }));
  }
  const u = (salt: number) => `(((id * 2654435761 + ${salt} * 40503) % 1000003) / 1000003.0)`;
  const origin = Date.now() - rows * 7000;
  sqlite.exec("BEGIN");
  sqlite.prepare(
    `WITH RECURSIVE ids(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM ids WHERE id < :rows)
     INSERT INTO tasks (id, kind, spec, name, grp, status, run_at, created_at, started_at,
       finished_at, attempt, cwd, exit_code)
     SELECT id, 'command', (SELECT spec FROM gen_spec WHERE n = id % 64),
       CASE WHEN ${u(3)} < 0.25 THEN 'nightly-' || (id % 100) END,
       CASE WHEN ${u(4)} < 0.7 THEN 'default' WHEN ${u(4)} < 0.85 THEN 'io'
         WHEN ${u(4)} < 0.95 THEN 'gpu' ELSE 'email' END,
       CASE WHEN ${u(2)} < 0.89 THEN 'succeeded' WHEN ${u(2)} < 0.95 THEN 'failed'
         WHEN ${u(2)} < 0.98 THEN 'canceled' WHEN ${u(2)} < 0.99 THEN 'timed_out' ELSE 'lost' END,
       :origin + id * 7000, :origin + id * 7000, :origin + id * 7000 + 100,
       :origin + id * 7000 + 100 + CAST(${u(9)} * 60000 AS INTEGER), 1, '/srv/pipeline',
       CASE WHEN ${u(2)} < 0.89 THEN 0 ELSE 1 END
     FROM ids`,
  ).run({ rows, origin });
  sqlite.exec("COMMIT");
  sqlite.exec("PRAGMA journal_mode = WAL");
  sqlite.close();
}

/** One GET; resolves with the Server-Timing `app` duration in ms. */
function serverTime(server: UiServer, cookie: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.origin}${path}`, { headers: { cookie } }, (res) => {
      res.resume();
      res.on("end", () => {
        const header = String(res.headers["server-timing"] ?? "");
        const match = /dur=([\d.]+)/.exec(header);
        if (res.statusCode !== 200 || !match) {
          reject(new Error(`GET ${path}: ${res.statusCode} ${header}`));
        } else resolve(Number(match[1]));
      });
    });
    req.on("error", reject);
    req.end();
  });
}

async function signIn(server: UiServer): Promise<string> {
  return await new Promise((resolve, reject) => {
    request(server.signInUrl, (res) => {
      res.resume();
      resolve(String(res.headers["set-cookie"]).split(";")[0]);
    }).on("error", reject).end();
  });
}

/**
 * Ms from just before each `bgt run` until its row is in the tasks page of Chromium (the event
 * stream, then the page's refresh; no reload), measured by ui_browser_latency.ts bundled for Node.
 * Undefined (with the reason) when Chromium or Node is missing.
 */
async function browserLatency(
  server: UiServer,
  token: string,
  env: Record<string, string>,
): Promise<number[] | string> {
  const chromium = CHROMIUM;
  if (!existsSync(chromium)) return `no Chromium at ${chromium} (apt-get install chromium)`;
  // Inside node_modules, so that Node's module resolution finds playwright-core.
  const dir = join(ROOT, "node_modules", ".cache");
  mkdirSync(dir, { recursive: true });
  const script = join(dir, `ui_browser_latency_${process.pid}.mjs`);
  onCleanup(() => rmSync(script, { force: true }));
  const failed = bundleForNode(join(ROOT, "scripts", "bench", "ui_browser_latency.ts"), script);
  if (failed) return `cannot bundle the browser measure: ${failed}`;
  // Not spawnSync: this process serves the pages the browser asks for meanwhile.
  const child = spawn("node", [script, `${server.origin}/?token=${token}`, BGT, String(ROUNDS)], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  if (code !== 0) {
    progress(stderr);
    return `the browser measure failed: ${stderr.trim().split("\n")[0]}`;
  }
  return JSON.parse(stdout.trim().split("\n").pop()!).samples;
}

/** Ms from each submit's commit to its `submitted` event on an /events stream. */
async function eventLatency(server: UiServer, cookie: string, client: Client): Promise<number[]> {
  const arrived = new Map<number, number>();
  let buffer = "";
  const stream = request(`${server.origin}/events`, { headers: { cookie } }, (res) => {
    res.setEncoding("utf8");
    res.on("data", (chunk: string) => {
      buffer += chunk;
      for (let end; (end = buffer.indexOf("\n\n")) !== -1;) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = /^data: (.*)$/m.exec(block);
        if (!data) continue;
        const event = JSON.parse(data[1]);
        if (event.kind === "submitted") arrived.set(event.taskId, performance.now());
      }
    });
  });
  stream.on("error", () => {});
  stream.end();
  onCleanup(() => void stream.destroy());
  await new Promise((resolve) => setTimeout(resolve, 500));
  const samples: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const [id] = await client.submit([{ spec: { kind: "command", argv: ["true"] } }], {
      wake: false,
    });
    const committed = performance.now();
    const deadline = committed + 5000;
    while (!arrived.has(id) && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    if (!arrived.has(id)) throw new Error(`the event of task ${id} did not arrive within 5 s`);
    samples.push(arrived.get(id)! - committed);
    // Apart, so each waits for a poll of its own.
    await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 100));
  }
  stream.destroy();
  return samples;
}

await bench("ui", async () => {
  const pages: Record<string, (deepId: number) => string> = {
    tasks_first: () => "/tasks",
    tasks_deep: (deepId) => `/tasks?before=${deepId}`,
    tasks_failed: () => "/tasks?state=failed",
    api_tasks: () => "/api/tasks",
    tasks_search: () => "/tasks?q=shard-99",
    task: (deepId) => `/tasks/${deepId}`,
    overview: () => "/",
  };
  const figures: Record<number, Record<string, Figure>> = {};
  let latency: Figure | undefined;
  let inBrowser: Figure | string | undefined;
  const token = `bench-${Math.random().toString(36).slice(2)}-token`;
  for (const rows of SIZES) {
    const dir = tempDir(`ui-${rows}`);
    const env = { ...process.env, BGT_HOME: join(dir, "home") } as Record<string, string>;
    // The browser measure's `bgt run` starts this home's supervisor.
    onCleanup(() => stopHomeSupervisor(env));
    mkdirSync(env.BGT_HOME, { recursive: true, mode: 0o700 });
    const db = join(env.BGT_HOME, "bgt.db");
    (await SqliteTaskStore.open(db)).close();
    progress(`generating ${rows.toLocaleString("en")} tasks`);
    generate(db, rows);
    const client = await Client.open({ env });
    const store = await openStore(storeConfig(env, client.home), { role: "client" });
    const server = await startUiServer({
      client,
      store,
      listen: parseListen("127.0.0.1:0"),
      token,
    });
    const cookie = await signIn(server);
    figures[rows] = {};
    for (const [name, path] of Object.entries(pages)) {
      const url = path(Math.floor(rows / 2));
      await serverTime(server, cookie, url); // warm
      const samples: number[] = [];
      for (let i = 0; i < ROUNDS; i++) samples.push(await serverTime(server, cookie, url));
      figures[rows][name] = figure(samples, "ms");
      progress(`${rows} rows, ${url}: ${show(figures[rows][name].median, "ms")}`);
    }
    if (rows === MAX) {
      latency = figure(await eventLatency(server, cookie, client), "ms");
      progress("the same in Chromium: bgt run until its row is in the page");
      const samples = await browserLatency(server, token, { BGT_HOME: env.BGT_HOME });
      inBrowser = typeof samples === "string" ? samples : figure(samples, "ms");
    }
    await server.close();
    await store.close();
    await client.close();
  }
  const command = commandLine("ui.ts", MAX, ROUNDS);
  const section = "The dashboard (`bgt ui`)";
  const big = figures[MAX];
  const small = figures[1_000];
  const label = `${(MAX / 1e6).toLocaleString("en")}M`;
  const pageRow = (id: string, measure: string, target: string, limit?: number): Row => ({
    id: `ui_${id}`,
    section,
    measure: `${measure} on ${label} tasks, server time`,
    bgt: big[id],
    peers: [{ name: "same at 1k rows", figure: small[id] }],
    ratio: `${times(big[id].median, small[id].median)} 1k`,
    target,
    met: limit === undefined ? null : big[id].median <= limit,
    command,
  });
  const rows: Row[] = [
    pageRow("tasks_first", "tasks page, first page of 50", "≤ 100 ms", 100),
    pageRow(
      "tasks_deep",
      "tasks page, a page of 50 halfway down (keyset `before=`)",
      "≤ 100 ms",
      100,
    ),
    pageRow("tasks_failed", "tasks page, 50 failed (`?state=failed`)", "≤ 100 ms", 100),
    pageRow("api_tasks", "`/api/tasks` (50, the `ls --json` shape)", "≤ 100 ms", 100),
    pageRow(
      "tasks_search",
      "tasks page, free-text search matching nothing (`?q=shard-99`: a scan of every name and command)",
      "— (none in the issue)",
    ),
    pageRow("task", "a task's page (spec, attempts, log tails)", "— (none in the issue)"),
    pageRow(
      "overview",
      "overview (counts by group × state, the hour's chart, hosts)",
      "— (none in the issue)",
    ),
    {
      id: "ui_event_latency",
      section,
      measure:
        `a submit's commit until its event arrives on \`/events\` (an HTTP SSE reader; ${label} tasks)`,
      bgt: latency,
      peers: [],
      ratio: "polls the outbox every 100 ms",
      target: "≤ 250 ms",
      met: latency ? latency.median <= 250 && latency.p90 <= 250 : null,
      command,
    },
    {
      id: "ui_browser_latency",
      section,
      measure:
        `\`bgt run -- true\` until its row is in the tasks page in Chromium, no reload (${label} tasks)`,
      bgt: typeof inBrowser === "object" ? inBrowser : undefined,
      bgtNote: typeof inBrowser === "string" ? inBrowser : undefined,
      peers: [],
      ratio: "includes the CLI (~20 ms) and the page's refresh",
      target: "≤ 250 ms (the event; the row is more)",
      met: typeof inBrowser === "object" ? inBrowser.median <= 250 : null,
      command,
    },
  ];
  return { rows };
});
