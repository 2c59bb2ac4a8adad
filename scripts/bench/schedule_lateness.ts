/**
 * How late a schedule fires: S interval schedules (`bgt every 1s -- true`), their slots
 * staggered across the second, run for D seconds under one supervisor. For each task a firing
 * created: firing lateness = created_at − slot (the row written), start lateness = started_at −
 * slot (the command's waiter spawned). Target (DESIGN §9): firing p99 ≤ 5 ms.
 *
 * ```sh
 * npm run compile && npx bun scripts/bench/schedule_lateness.ts [schedules=4] [seconds=25]
 * ```
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Database } from "bun:sqlite";
import { median, quantile } from "./_stats.ts";

const BGT = resolve(import.meta.dir, "../../dist/bgt");
const SCHEDULES = Number(process.argv[2] ?? 4);
const SECONDS = Number(process.argv[3] ?? 25);

const dir = mkdtempSync(join(tmpdir(), "bgt-lateness-"));
const env = { ...process.env, BGT_HOME: join(dir, "home") };
const bgt = (...words: string[]) => {
  const result = spawnSync(BGT, words, { env, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`bgt ${words.join(" ")}: ${result.stderr}`);
  return result.stdout.trim();
};

try {
  bgt("daemon", "start");
  const base = Math.ceil(Date.now() / 1000) * 1000 + 2000;
  for (let i = 0; i < SCHEDULES; i++) {
    const start = new Date(base + Math.round((1000 * i) / SCHEDULES)).toISOString();
    bgt("every", "1s", "--start-at", start, "--", "true");
  }
  process.stderr.write(`schedule_lateness: ${SCHEDULES} schedules × ${SECONDS} s …\n`);
  await Bun.sleep(base - Date.now() + SECONDS * 1000 + 500);
  const pausedAt = Date.now();
  for (let i = 1; i <= SCHEDULES; i++) bgt("schedules", "pause", String(i));
  const db = new Database(join(dir, "home", "bgt.db"), { readonly: true });
  const rows = db
    .query(
      `SELECT created_at - run_at AS fired, started_at - run_at AS started FROM tasks
       WHERE schedule_id IS NOT NULL AND started_at IS NOT NULL`,
    )
    .all() as { fired: number; started: number }[];
  db.close();
  const fired = rows.map((row) => row.fired);
  const started = rows.map((row) => row.started);
  let expected = 0;
  for (let i = 0; i < SCHEDULES; i++) {
    const first = base + Math.round((1000 * i) / SCHEDULES);
    expected += Math.max(0, Math.floor((pausedAt - first) / 1000) + 1);
  }
  const result = {
    bench: "schedule_lateness",
    firings: rows.length,
    expectedFirings: expected,
    firedMedianMs: median(fired),
    firedP99Ms: quantile(fired, 0.99),
    firedMaxMs: Math.max(...fired),
    startedMedianMs: median(started),
    startedP99Ms: quantile(started, 0.99),
    targetP99Ms: 5,
    met: quantile(fired, 0.99) <= 5,
  };
  console.log(JSON.stringify(result));
} finally {
  spawnSync(BGT, ["daemon", "stop"], { env, stdio: "ignore" });
  rmSync(dir, { recursive: true, force: true });
}
