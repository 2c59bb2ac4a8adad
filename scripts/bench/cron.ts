/**
 * Cron fire lateness (DESIGN §9: p99 ≤ 5 ms): K schedules `bgt every '* * * * * *' -- true`
 * (every second, on the second) on an idle `dist/bgt supervise`, for S seconds; each firing's
 * task records its slot (`run_at`), when it was fired (`created_at`) and when it started
 * (`started_at`). Side by side, in the same seconds, the runtime's own floor: a bare Bun timer
 * in this process aimed at every second boundary.
 *
 * ```sh
 * npm run compile && npx bun scripts/bench/cron.ts [seconds=40] [schedules=5]
 * ```
 */
import { Database } from "bun:sqlite";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import {
  bench,
  BGT,
  bgtHomeEnv,
  commandLine,
  figure,
  num,
  numberArg,
  progress,
  sleep,
  startSupervisor,
  stopChild,
} from "./_harness.ts";
import { quantile } from "./_stats.ts";

const SECONDS = numberArg(0, 40, 5);
const SCHEDULES = numberArg(1, 5, 3);

/** A bare timer aimed at each second boundary until `end`; lateness in ms. */
async function bareTimer(end: number): Promise<number[]> {
  const late: number[] = [];
  while (Date.now() < end) {
    const target = Math.ceil((Date.now() + 1) / 1000) * 1000;
    await new Promise((done) => setTimeout(done, target - Date.now()));
    late.push(Date.now() - target);
  }
  return late;
}

await bench("cron", async () => {
  const env = bgtHomeEnv("cron");
  const supervisor = await startSupervisor(env);
  for (let i = 0; i < SCHEDULES; i++) {
    const made = spawnSync(BGT, ["every", "* * * * * *", "--", "true"], {
      env,
      encoding: "utf8",
      timeout: 20_000,
    });
    if (made.status !== 0) throw new Error(`bgt every failed: ${made.stderr.trim()}`);
  }
  progress(`${SCHEDULES} schedules firing every second for ${SECONDS} s`);
  const bare = await bareTimer(Date.now() + SECONDS * 1000);
  await sleep(500); // the last second's tasks finish
  await stopChild(supervisor);
  const db = new Database(join(env.BGT_HOME!, "bgt.db"), { readonly: true });
  const rows = db.prepare(
    `SELECT created_at - run_at AS fired, started_at - run_at AS started FROM tasks
     WHERE schedule_id IS NOT NULL AND started_at IS NOT NULL`,
  ).all() as { fired: number; started: number }[];
  db.close();
  if (rows.length < SCHEDULES) throw new Error(`only ${rows.length} firings were recorded`);
  const fired = rows.map((r) => r.fired);
  const started = rows.map((r) => r.started);
  const p99 = (values: number[]) => quantile(values, 0.99);
  progress(
    `${rows.length} firings: fired p50 ${num(quantile(fired, 0.5))} ms, p99 ${
      num(p99(fired))
    } ms; started p99 ${num(p99(started))} ms; bare timer p99 ${num(p99(bare))} ms`,
  );
  // The target's statistic is the p99.
  const p99Figure = (values: number[]) => ({
    ...figure(values, "ms"),
    median: p99(values),
    stat: "p99",
  });
  const fire = p99Figure(fired);
  return {
    seconds: SECONDS,
    schedules: SCHEDULES,
    firings: rows.length,
    fired_ms: { p50: quantile(fired, 0.5), p90: quantile(fired, 0.9), p99: p99(fired) },
    started_ms: { p50: quantile(started, 0.5), p90: quantile(started, 0.9), p99: p99(started) },
    bare_ms: { p50: quantile(bare, 0.5), p99: p99(bare) },
    rows: [{
      id: "cron_lateness",
      section: "Throughput",
      measure:
        `cron fire lateness (\`created_at − run_at\`), ${rows.length} firings of ${SCHEDULES} \`* * * * * *\` schedules`,
      bgt: fire,
      peers: [{ name: "bare Bun timer aimed at the same seconds", figure: p99Figure(bare) }],
      ratio: `fired p50 ${num(quantile(fired, 0.5))} ms; started (\`started_at − run_at\`) p50 ${
        num(quantile(started, 0.5))
      } ms, p99 ${num(p99(started))} ms`,
      target: "p99 ≤ 5 ms",
      met: fire.median <= 5,
      command: commandLine("cron.ts", SECONDS, SCHEDULES),
    }],
  };
}, { binary: true });
