/**
 * Issue 6, part 2: load. Four processes submit tasks at once through the library (each submit
 * its own transaction and wake-up) while the supervisor drains them: every row is there, no client
 * saw an error (SQLite busy never reaches a user), no id is given twice, everything runs, and the
 * supervisor's memory stays bounded (peak RSS, VmHWM, is reported).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { TempHome } from "../_helpers/bgt_home.ts";
import {
  homeIntegrity,
  isAlive,
  openHomeStore,
  peakRssKiB,
  report,
  rssKiB,
  SOAK,
} from "./_reliability.ts";

const CLIENTS = 4;
const PER_CLIENT = SOAK ? 5_000 : 1_000;
const REPO = resolve(import.meta.dirname ?? ".", "../..");
/** The clients run on Bun (as a user's scripts would), whichever runtime runs this suite. */
const BUN = [join(REPO, "node_modules/bun/bin/bun.exe"), join(REPO, "node_modules/.bin/bun")].find(
  existsSync,
) ?? process.execPath;
/** Peak RSS the supervisor may reach while it drains (it idles at 50-90 MiB). */
const RSS_LIMIT_MIB = 400;

describe("load", () => {
  let home: TempHome;
  let supervisor: number;
  before(() => {
    home = TempHome.create();
    writeFileSync(join(home.work, "noop.ts"), "export default (x: number) => x;\n");
    assert.equal(home.bgt(["daemon", "start"], { env: { BGT_PARALLEL: "4" } }).code, 0);
    supervisor = JSON.parse(home.ok(["daemon", "status", "--json"])).pid;
  });
  after(() => home.cleanup());

  test(`${CLIENTS} processes submitting ${PER_CLIENT} tasks each at once, while it drains`, async () => {
    const startFile = join(home.dir, "go");
    const clients = Array.from({ length: CLIENTS }, (_, i) => {
      const resultFile = join(home.dir, `client-${i}.json`);
      const child = spawn(BUN, [
        join(REPO, "tests/reliability/fixtures/submit_many.ts"),
        String(PER_CLIENT),
        `c${i}`,
        startFile,
        resultFile,
        home.work,
      ], { cwd: REPO, env: home.env(), stdio: ["ignore", "pipe", "pipe"] });
      let stderr = "";
      child.stderr!.on("data", (chunk) => (stderr += chunk));
      child.stdout!.on("data", (chunk) => (stderr += chunk));
      const exited = new Promise<number>((done) => child.on("close", (code) => done(code ?? 128)));
      return { resultFile, exited, stderr: () => stderr };
    });
    // Let the four load their code, then start them together.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const started = Date.now();
    writeFileSync(startFile, "");
    let peakDuringMiB = 0;
    const sampler = setInterval(() => {
      peakDuringMiB = Math.max(peakDuringMiB, (rssKiB(supervisor) ?? 0) / 1024);
    }, 100);
    const codes = await Promise.all(clients.map((client) => client.exited));
    const submittedMs = Date.now() - started;

    const results = clients.map((client, i) => {
      assert.equal(codes[i], 0, `client ${i} exited ${codes[i]}: ${client.stderr()}`);
      assert.equal(client.stderr(), "", `client ${i} printed nothing`);
      return JSON.parse(readFileSync(client.resultFile, "utf8")) as {
        ids: number[];
        errors: string[];
        ms: number;
      };
    });
    const errors = results.flatMap((result) => result.errors);
    assert.deepEqual(errors.slice(0, 5), [], "no client saw an error");
    const ids = results.flatMap((result) => result.ids);
    assert.equal(ids.length, CLIENTS * PER_CLIENT);
    assert.equal(new Set(ids).size, ids.length, "no id was given twice");

    // The supervisor drains them all; poll the table (read-only) until nothing waits or runs.
    const deadline = Date.now() + (SOAK ? 900_000 : 240_000);
    let counts: Record<string, number> = {};
    for (;;) {
      const reader = await openHomeStore(home);
      const rows = reader.all<{ status: string; n: number }>(
        "SELECT status, count(*) AS n FROM tasks GROUP BY status",
      );
      reader.close();
      counts = Object.fromEntries(rows.map((row) => [row.status, Number(row.n)]));
      if (!counts.queued && !counts.running) break;
      assert.ok(Date.now() < deadline, `drain stalled: ${JSON.stringify(counts)}`);
      assert.ok(isAlive(supervisor), "the supervisor lives");
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    clearInterval(sampler);
    const drainedMs = Date.now() - started;
    const reader = await openHomeStore(home);
    const stored = reader.all<{ id: number }>("SELECT id FROM tasks").map((row) => Number(row.id));
    reader.close();
    assert.equal(stored.length, ids.length, "every row is there, and no other");
    assert.deepEqual(new Set(stored), new Set(ids));
    assert.deepEqual(counts, { succeeded: ids.length }, "every task ran and succeeded");
    const peakMiB = Math.round((peakRssKiB(supervisor) ?? 0) / 1024);
    assert.ok(peakMiB < RSS_LIMIT_MIB, `supervisor peak RSS ${peakMiB} MiB`);
    assert.equal(JSON.parse(home.ok(["daemon", "status", "--json"])).pid, supervisor);
    home.ok(["daemon", "stop"]);
    assert.equal(await homeIntegrity(home), "ok");
    report("load", {
      clients: CLIENTS,
      perClient: PER_CLIENT,
      rows: stored.length,
      clientErrors: errors.length,
      duplicateIds: ids.length - new Set(ids).size,
      submitMs: submittedMs,
      submitPerSecond: Math.round(ids.length / (submittedMs / 1000)),
      drainMs: drainedMs,
      drainPerSecond: Math.round(ids.length / (drainedMs / 1000)),
      supervisorPeakRssMiB: peakMiB,
      supervisorRssWhileDrainingMiB: Math.round(peakDuringMiB),
    });
  });
});
