/**
 * On a shared store a module task carries its code bundled at submission (issue 14 item 7): a
 * file is bundled once per version in a process, one that cannot be bundled is still submitted
 * without code carried (one warning line per file), and on SQLite nothing is bundled.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type Client, connect } from "../../mod.ts";
import { carryModules } from "../../src/client/carry_modules.ts";
import type { NewTask } from "../../src/task/types.ts";
import { TempHome } from "../_helpers/bgt_home.ts";
import { skipWithReason } from "../_helpers/skip.ts";

const onBun = (globalThis as { Bun?: unknown }).Bun !== undefined;

describe("carryModules", () => {
  let home: TempHome;
  before(() => {
    home = TempHome.create();
  });
  after(() => home.cleanup());

  const moduleTask = (module: string): NewTask => ({
    spec: { kind: "module", module, export: "default", args: [] },
    cwd: home.work,
  });

  test("a file that cannot be bundled: every task is kept, without code, and one warning says so", async () => {
    const file = join(home.work, "broken.ts");
    writeFileSync(file, "import { x } from './nowhere.ts';\nexport default () => x;\n");
    const warnings: string[] = [];
    const tasks = await carryModules(
      [moduleTask("broken.ts"), moduleTask(file), moduleTask("broken.ts")],
      (line) => warnings.push(line),
    );
    assert.equal(tasks.length, 3);
    for (const task of tasks) {
      assert.equal(task.spec.kind === "module" && task.spec.carried, undefined);
    }
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.match(
      warnings[0],
      new RegExp(
        `^bgt: warning: Cannot carry the code of ${file}: .*; the task runs only on a host where ${file} exists$`,
      ),
    );
  });

  test("a module's code, with what it imports, is carried; command tasks and pinned ones are left as they are", async (t) => {
    if (!onBun) return skipWithReason(t, "bundling needs Bun's bundler (the bgt binary)");
    writeFileSync(join(home.work, "word.ts"), "export const word = 'carried-word';\n");
    writeFileSync(
      join(home.work, "job.ts"),
      "import { word } from './word.ts';\nexport default () => word;\n",
    );
    const command: NewTask = { spec: { kind: "command", argv: ["true"] } };
    const pinned: NewTask = {
      spec: { kind: "module", module: "job.ts", export: "default", args: [], pinned: "x" },
      cwd: home.work,
    };
    const [carried, again, sameCommand, samePinned] = await carryModules(
      [moduleTask("job.ts"), moduleTask("job.ts"), command, pinned],
      () => assert.fail("no warning expected"),
    );
    assert.ok(carried.spec.kind === "module" && carried.spec.carried?.includes("carried-word"));
    assert.ok(again.spec.kind === "module" && again.spec.carried === carried.spec.carried);
    assert.equal(sameCommand, command);
    assert.equal(samePinned, pinned);
  });
});

describe("on SQLite a module task carries no code", () => {
  let home: TempHome;
  let client: Client;
  before(async () => {
    home = TempHome.create();
    writeFileSync(join(home.work, "job.ts"), "export default () => 1;\n");
    const env = home.env();
    delete env.BGT_STORE; // this home's own bgt.db, whatever store the suite runs on
    client = await connect({ env });
  });
  after(async () => {
    await client.close();
    home.cleanup();
  });

  test("the stored spec has no carried code", async () => {
    const [id] = await client.submit([{
      spec: { kind: "module", module: join(home.work, "job.ts"), export: "default", args: [] },
    }], { wake: false });
    const task = await client.get(id);
    assert.equal(client.storeDescription.startsWith("sqlite:"), true, client.storeDescription);
    assert.equal(task.spec.kind === "module" && "carried" in task.spec, false);
  });
});
