/**
 * Seed 001: two workers load three files named on a work queue and write their contents back.
 *
 * Run: npx bun examples/seed_001_workqueue.ts
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Pool, WorkQueue } from "bgt";

const dir = mkdtempSync(join(tmpdir(), "bgt-seed001-"));
const files = ["f1", "f2", "f3"].map((name) => {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ name, values: [1, 2, 3] }));
  return file;
});

const pool = new Pool({ size: 2 });
const q = new WorkQueue(pool);

// Two background workers that read from the queue. The function runs in a clean scope.
const workers = q.map(2, async () => {
  const { workQueue } = await import("bgt");
  const { readFileSync } = await import("node:fs");
  let fileName;
  while ((fileName = await workQueue.read()) !== undefined) {
    // Load the file and write its contents back into the queue.
    workQueue.write(JSON.parse(readFileSync(fileName as string, "utf8")));
  }
});

// Write the file names into the queue, then read back the three answers.
q.write(...files);
console.log(await q.read());
console.log(await q.read());
console.log(await q.read());
q.close(); // the workers' read() now returns undefined
await workers;
await pool.close();
