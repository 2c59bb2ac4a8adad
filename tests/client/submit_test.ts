/**
 * Issue 12, item 4: `Client.submit()` from the library captures the caller's environment and
 * directory, merging `env` over them, as `bgt run` does; and refuses at submission, with nothing
 * stored, what the CLI refuses: a missing module file, a missing export, a command not found.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { after, before, describe, test } from "node:test";
import { type Client, connect } from "../../mod.ts";
import { TempHome } from "../_helpers/bgt_home.ts";
import { skipWithReason } from "../_helpers/skip.ts";

describe("Client.submit() prepares a task as the CLI does", () => {
  let home: TempHome;
  let client: Client;
  before(async () => {
    home = TempHome.create();
    writeFileSync(join(home.work, "job.ts"), "export default () => 1;\nexport const named = 2;\n");
    client = await connect({ env: home.env() });
  });
  after(async () => {
    await client.close();
    home.cleanup();
  });

  const stdout = (id: number) =>
    readFileSync(join(home.dir, "home", "logs", String(id), "stdout"), "utf8");

  test("env: { X: '1' } is merged over the caller's environment: the task sees $HOME and $X", async () => {
    const [id] = await client.submit([{
      spec: { kind: "command", argv: ["sh", "-c", 'printf "%s|%s|%s" "$HOME" "$X" "$PATH"'] },
      env: { X: "1" },
    }], { wake: false });
    assert.equal(home.bgt(["wait", String(id)]).code, 0);
    assert.ok(process.env.HOME, "the test runs with a HOME");
    assert.equal(stdout(id), `${process.env.HOME}|1|${process.env.PATH}`);
    const task = await client.get(id);
    assert.equal(task.env.X, "1");
    assert.equal(task.env.HOME, process.env.HOME);
  });

  test("a task without env or cwd gets the caller's environment and directory", async () => {
    const [id] = await client.submit([{ spec: { kind: "command", argv: ["pwd"] } }], {
      wake: false,
    });
    assert.equal(home.bgt(["wait", String(id)]).code, 0);
    assert.equal(stdout(id).trim(), process.cwd());
    assert.equal((await client.get(id)).env.HOME, process.env.HOME);
  });

  test("a relative cwd is resolved against the caller's directory", async () => {
    const sub = join(home.work, "sub");
    mkdirSync(sub, { recursive: true });
    const [id] = await client.submit([{
      spec: { kind: "command", argv: ["pwd"] },
      cwd: relative(process.cwd(), sub),
    }], { wake: false });
    assert.equal((await client.get(id)).cwd, sub);
  });

  test("a shell line without a shell runs in sh -c", async () => {
    const [id] = await client.submit([{
      spec: { kind: "shell", line: "for i in 1 2; do echo n$i; done" },
    }], { wake: false });
    assert.equal(home.bgt(["wait", String(id)]).code, 0);
    assert.equal(stdout(id), "n1\nn2\n");
    assert.deepEqual((await client.get(id)).spec, {
      kind: "shell",
      line: "for i in 1 2; do echo n$i; done",
      shell: "sh",
    });
  });

  const REFUSED: {
    what: string;
    task: Parameters<Client["submit"]>[0][number];
    error: RegExp;
    bunOnly?: string;
  }[] = [
    {
      what: "a missing module file",
      task: { spec: { kind: "module", module: "missing.ts", export: "default", args: [] } },
      error: /^Cannot run missing.ts: no such file in /,
    },
    {
      what: "a missing export",
      task: { spec: { kind: "module", module: "job.ts", export: "nope", args: [] } },
      error: /^Cannot run job.ts#nope: job.ts has no export named 'nope' \(it exports /,
      bunOnly: "a module's export names are read without running it by Bun's transpiler only",
    },
    {
      what: "a command not found",
      task: { spec: { kind: "command", argv: ["no-such-command-xyz"] } },
      error: /^Cannot run 'no-such-command-xyz': command not found/,
    },
    {
      what: "a cwd that does not exist",
      task: { spec: { kind: "command", argv: ["true"] }, cwd: "/nonexistent/dir" },
      error: /^Cannot run the task: cwd \/nonexistent\/dir does not exist/,
    },
    {
      what: "an unknown shell",
      task: { spec: { kind: "shell", line: "true", shell: "zsh" as "sh" } },
      error: /shell 'zsh' is unknown/,
    },
  ];
  for (const { what, task, error, bunOnly } of REFUSED) {
    test(`${what} is refused at submission (INVALID_TASK) and stores no row`, async (t) => {
      if (bunOnly && !("Bun" in globalThis)) return skipWithReason(t, bunOnly);
      const before = (await client.list({ limit: 1_000_000 })).length;
      const cwd = task.cwd ?? home.work;
      await assert.rejects(
        client.submit([{ spec: { kind: "command", argv: ["true"] } }, { ...task, cwd }], {
          wake: false,
        }),
        (thrown: Error & { code?: string }) => {
          assert.equal(thrown.code, "INVALID_TASK");
          assert.match(thrown.message, error);
          return true;
        },
      );
      assert.equal((await client.list({ limit: 1_000_000 })).length, before, "nothing stored");
    });
  }

  test("the caller's task objects are left as they were", async () => {
    const task = { spec: { kind: "shell" as const, line: "true" }, env: { X: "1" } };
    await client.submit([task], { wake: false });
    assert.deepEqual(task, { spec: { kind: "shell", line: "true" }, env: { X: "1" } });
  });
});
