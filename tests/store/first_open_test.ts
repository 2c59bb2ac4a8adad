import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { Worker } from "node:worker_threads";

const TRIES = 100;

describe("the first open of a new bgt.db", () => {
  test("twin threads opening 100 brand-new databases at once never see 'database is locked'", async () => {
    const root = mkdtempSync(join(tmpdir(), "bgt-first-open-"));
    try {
      const paths = Array.from({ length: TRIES }, (_, i) => join(root, `${i}.db`));
      const barrier = new SharedArrayBuffer(4);
      const twins = [1, 2].map(() =>
        new Promise<string[]>((resolve, reject) => {
          const worker = new Worker(new URL("./fixtures/open_fresh_stores.ts", import.meta.url), {
            workerData: { paths, barrier, twins: 2 },
          });
          worker.once("message", (failures: string[]) => {
            resolve(failures);
            worker.terminate();
          });
          worker.once("error", reject);
        })
      );
      assert.deepEqual((await Promise.all(twins)).flat(), []);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
