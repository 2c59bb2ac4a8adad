/**
 * Bad inputs refused at submission, each in one line naming the problem and with no row left:
 * a module without the named export, a directory named like a module, a `--cwd` that is a file,
 * `--args-json` nested too deep; and, from the library, an empty argv, a NUL byte in an
 * argument, and a function among a module task's arguments.
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { connect } from "../../mod.ts";
import { TempHome } from "../_helpers/bgt_home.ts";
import { assertOneLineError, countRows } from "./_reliability.ts";

describe("bad input refused at submission", () => {
  let home: TempHome;
  let db: string;
  before(() => {
    home = TempHome.create();
    writeFileSync(join(home.work, "job.ts"), "export default () => 1;\nexport const named = 2;\n");
    mkdirSync(join(home.work, "folder.ts"));
    writeFileSync(join(home.work, "plain.txt"), "not a directory\n");
    home.ok(["ls"]);
    db = join(home.dir, "home", "bgt.db");
  });
  after(() => home.cleanup());

  const CASES: { words: string[]; error: RegExp }[] = [
    { words: ["run", "job.ts#missing"], error: /job.ts has no export named 'missing'/ },
    { words: ["run", "folder.ts"], error: /Cannot run folder.ts: .*directory/ },
    {
      words: ["run", "--cwd", "plain.txt", "--", "true"],
      error: /--cwd .*plain.txt.*not a directory/,
    },
    {
      words: ["run", "--args-json", "[".repeat(20_000) + "]".repeat(20_000), "job.ts"],
      error: /--args-json/,
    },
  ];
  for (const { words, error } of CASES) {
    test(`bgt ${words.join(" ").slice(0, 60)} is refused in one line naming it, with no row`, async () => {
      const rows = await countRows(db);
      const result = home.bgt(words);
      assert.notEqual(result.code, 0, `accepted: id ${result.stdout.trim()}`);
      assert.equal(assertOneLineError(result.stderr), undefined);
      assert.match(result.stderr, error);
      assert.equal(await countRows(db), rows);
    });
  }

  test("the library refuses an empty argv, a function argument and a NUL byte at submission", async () => {
    const client = await connect({ env: home.env() });
    try {
      for (
        const spec of [
          { kind: "command" as const, argv: [] },
          { kind: "command" as const, argv: ["printf", "a\0b"] },
          { kind: "module" as const, module: "job.ts", export: "default", args: [() => 1] },
        ]
      ) {
        const rows = await countRows(db);
        await assert.rejects(client.submit([{ spec, cwd: home.work }], { wake: false }), {
          code: "INVALID_TASK",
        }, JSON.stringify(spec));
        assert.equal(await countRows(db), rows);
      }
    } finally {
      await client.close();
    }
  });
});
