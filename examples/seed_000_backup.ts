/**
 * Seed 000: save a "model" to a temp file and upload it in the background with a subprocess
 * (here `cp` to a backup directory stands in for curl), while the main loop keeps working.
 *
 * Run: npx bun examples/seed_000_backup.ts [destination-dir]
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BackgroundTask } from "bgt";

// Make a random "model" and write it to a temp file: quick, and the easiest way to marshal it.
const model = { x: Array.from({ length: 13 * 42 }, () => Math.random()), y: Math.random() };
const dir = mkdtempSync(join(tmpdir(), "bgt-seed000-"));
const tempFilename = join(dir, "model.json");
writeFileSync(tempFilename, JSON.stringify(model));
console.log(`temporarily saved model to ${tempFilename}`);
const destination = process.argv[2] ?? mkdtempSync(join(tmpdir(), "bgt-uploads-"));

// This function runs in a clean scope on its own worker: it imports what it needs.
const background = new BackgroundTask(
  async (filename: string, dest: string) => {
    const { spawn } = await import("node:child_process");
    const t0 = performance.now();
    const code = await new Promise<number>((resolve, reject) => {
      const p = spawn("cp", [filename, dest], { stdio: "ignore" });
      p.on("error", reject);
      p.on("exit", (c) => resolve(c ?? -1));
    });
    return [code, (performance.now() - t0) / 1000];
  },
  tempFilename,
  destination,
);

// Do something while the save happens.
let steps = 0;
while (!background.isDone()) {
  console.log("still saving...");
  for (let i = 0; i < 1e6; i++) steps += i % 2; // the "training loop" keeps working
  await new Promise((r) => setTimeout(r, 10));
}

// It is done, so check the results.
const [ret, t] = await background.result() as [number, number];
console.log(`cp returned ${ret} in ${t.toFixed(3)} seconds (uploaded to ${destination})`);
