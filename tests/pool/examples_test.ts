import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

const isDeno = "Deno" in globalThis;
const root = fileURLToPath(new URL("../../", import.meta.url));

function runExample(file: string, args: string[] = []): Promise<string> {
  const argv = isDeno ? ["run", "-A", file, ...args] : [file, ...args];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, argv, { cwd: root, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

test("seed 000 example uploads the model in the background while the loop polls", async () => {
  const out = await runExample("examples/seed_000_backup.ts");
  assert.match(out, /temporarily saved model to /);
  assert.match(out, /cp returned 0 in [\d.]+ seconds/);
});

test("seed 001 example: two workers load three files named on the queue", async () => {
  const out = await runExample("examples/seed_001_workqueue.ts");
  for (const name of ["f1", "f2", "f3"]) {
    assert.match(out, new RegExp(`name: "${name}"|"name": "${name}"|name: '${name}'`));
  }
});

test("seed 004 example: 100 one-second sleeps on 110 workers take about one second", async () => {
  const out = await runExample("examples/seed_004_sleeps.ts");
  const m = /100 done, wall time ([\d.]+) s/.exec(out);
  assert.ok(m, out);
  assert.ok(Number(m[1]) < 3, `wall time ${m[1]} s`);
});
