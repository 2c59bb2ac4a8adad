/**
 * `import { connect } from "bgt"` works from another project, as docs/library.md says: bgt is
 * installed from its path into a temporary project (npm), and a module there imports it, runs a
 * task and reads its end, on the runtime of this test run.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { isAlive, pidsWithArgvTail, runtimeName } from "../src/runtime/process.ts";

const ROOT = resolve(import.meta.dirname ?? ".", "..");

test('a project that installs bgt from a path can `import { connect } from "bgt"`', () => {
  const project = mkdtempSync(join(tmpdir(), "bgt-project-"));
  const home = join(project, "bgt-home");
  try {
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({ name: "uses-bgt", private: true, type: "module" }),
    );
    const install = spawnSync(
      "npm",
      ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", ROOT],
      { cwd: project, encoding: "utf8", timeout: 120_000 },
    );
    assert.equal(install.status, 0, install.stderr);
    assert.equal(
      resolve(project, "node_modules", readlinkSync(join(project, "node_modules/bgt"))),
      ROOT,
    );
    writeFileSync(
      join(project, "main.ts"),
      `import { connect, VERSION } from "bgt";
const bgt = await connect();
const [id] = await bgt.submit([{ spec: { kind: "command", argv: ["echo", "hi"] } }]);
const [task] = await bgt.wait([id]);
let out = "";
for await (const chunk of bgt.logs(id)) out += new TextDecoder().decode(chunk);
console.log(VERSION, task.status, JSON.stringify(out));
await bgt.stop({ drainMs: 0 });
await bgt.close();
`,
    );
    const argv = runtimeName === "deno" ? ["run", "-A", "main.ts"] : ["main.ts"];
    const run = spawnSync(process.execPath, argv, {
      cwd: project,
      env: { ...process.env, BGT_HOME: home, BGT_STORE: "" },
      encoding: "utf8",
      timeout: 120_000,
    });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^\d+\.\d+\.\d+ succeeded "hi\\n"$/m);
  } finally {
    for (const pid of pidsWithArgvTail(["supervise", home])) {
      try {
        if (isAlive(pid)) process.kill(pid, "SIGKILL");
      } catch { /* gone */ }
    }
    rmSync(project, { recursive: true, force: true });
  }
});
