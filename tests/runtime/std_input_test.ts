/**
 * `readStdin` (Bun.stdin on Bun, process.stdin elsewhere), in a child of this runtime: every
 * byte of a 3 MiB input arrives in order, and the read ends with the input.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const MODULE = fileURLToPath(new URL("../../src/runtime/std_input.ts", import.meta.url));

test("readStdin reads every byte of its input, in order, until the end", () => {
  const script = `import { readStdin } from ${JSON.stringify(MODULE)};
let count = 0, sum = 0;
await readStdin((chunk) => { for (const byte of chunk) sum = (sum * 31 + byte) % 1000000007; count += chunk.length; });
console.log(count, sum);`;
  const input = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 7) % 256);
  let expected = 0;
  for (const byte of input) expected = (expected * 31 + byte) % 1000000007;
  const deno = "Deno" in globalThis;
  const argv = deno ? ["eval", "--ext=ts", script] : ["-e", script];
  const child = spawnSync(process.execPath, argv, { input, encoding: "utf8" });
  assert.equal(child.status, 0, child.stderr);
  assert.equal(child.stdout.trim(), `${input.length} ${expected}`);
});
