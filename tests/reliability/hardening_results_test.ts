/**
 * Issue 19, hardening of results: a value the JSON output cannot hold exactly (a bigint beyond
 * 2^53) is printed as a string, never rounded — by `bgt result` and `run --wait --json`; a list
 * (`ls`, `ls -q`, `ls --json`, the store's `list`) reads no result, `show`/`result` read one.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { TempHome } from "../_helpers/bgt_home.ts";

describe("hardening: results", () => {
  let home: TempHome;
  before(() => (home = TempHome.create()));
  after(() => home.cleanup());

  test("a bigint result beyond 2^53 is printed as a string, not rounded", () => {
    const file = join(home.work, "big.ts");
    writeFileSync(
      file,
      "export const big = () => 12345678901234567890n;\n" +
        "export const small = () => 42n;\n" +
        "export const negative = () => -9007199254740993n;\n" +
        "export const wide = () => 2n ** 70n;\n" +
        "export const nested = () => ({ n: 12345678901234567890n, list: [1n, 2n ** 64n - 1n] });\n",
    );
    const cases: [string, string][] = [
      ["big", '"12345678901234567890"'],
      ["small", "42"],
      ["negative", '"-9007199254740993"'],
      ["wide", `"${2n ** 70n}"`],
      ["nested", `{"n":"12345678901234567890","list":[1,"${2n ** 64n - 1n}"]}`],
    ];
    for (const [name, expected] of cases) {
      const id = home.ok(["run", `${file}#${name}`]);
      assert.equal(home.bgt(["wait", id]).code, 0, `${name} succeeds`);
      assert.equal(home.ok(["result", id]), expected, `bgt result of ${name}`);
    }
    const id = home.ok(["run", "--wait", "--json", `${file}#big`]);
    assert.equal(id, '"12345678901234567890"', "run --wait --json");
  });

  test("a result over the cap (BGT_MAX_RESULT_BYTES) fails its task with the reason", () => {
    const home = TempHome.create();
    try {
      _resultOverCapFails(home);
    } finally {
      home.cleanup();
    }
  });

  test("a list reads no result column; show and result read one", async () => {
    const home = TempHome.create();
    try {
      await _listsReadNoResult(home);
    } finally {
      home.cleanup();
    }
  });
});

/** Runs bgt in `home` with a 1000-byte result cap; returns its trimmed stdout, throws on failure. */
function _capped(home: TempHome, words: string[]): string {
  const result = home.bgt(words, { env: { BGT_MAX_RESULT_BYTES: "1000" } });
  if (result.code !== 0 && words[0] !== "wait") {
    throw new Error(`bgt ${words.join(" ")} exited ${result.code}: ${result.stderr}`);
  }
  return result.stdout.trim();
}

/** Over the cap a task fails with the reason (worker host and --isolate); the queue goes on. */
function _resultOverCapFails(home: TempHome): void {
  const file = join(home.work, "sized.ts");
  writeFileSync(file, "export default (n: number) => 'x'.repeat(n);\n");
  for (const isolate of [[], ["--isolate"]]) {
    const over = _capped(home, ["run", ...isolate, file, "5000"]);
    const under = _capped(home, ["run", ...isolate, file, "500"]);
    _capped(home, ["wait", over, under]);
    const failed = JSON.parse(_capped(home, ["show", "--json", over])) as {
      status: string;
      error: { message: string } | null;
    };
    const how = isolate.length ? "--isolate" : "worker host";
    assert.equal(failed.status, "failed", `${how}: a result over the cap fails its task`);
    assert.match(
      failed.error?.message ?? "",
      /^Cannot keep the task's result: it is 5,00\d bytes, over the cap of 1,000 bytes \(BGT_MAX_RESULT_BYTES\)$/,
    );
    assert.equal(_capped(home, ["result", under]).length, 502, `${how}: one under it is kept`);
  }
}

/** Three tasks with 256 KiB results: lists carry none of them, `show`/`result` one. */
async function _listsReadNoResult(home: TempHome): Promise<void> {
  const file = join(home.work, "large.ts");
  const size = 256 << 10; // under spawnSync's 1 MiB output buffer
  writeFileSync(file, `export default () => "x".repeat(${size});\n`);
  const ids = [0, 1, 2].map(() => home.ok(["run", file]));
  assert.equal(home.bgt(["wait", ...ids]).code, 0);

  const store = await home.openStore();
  try {
    const listed = await store.list({ limit: 100 });
    assert.equal(listed.length, 3);
    for (const task of listed) {
      assert.equal(task.status, "succeeded");
      assert.equal(task.result, undefined, `list() carries no result (task ${task.id})`);
    }
    const one = await store.get(Number(ids[0]));
    assert.equal((one?.result as string).length, size, "get() reads the result");
  } finally {
    await store.close();
  }

  const json = home.bgt(["ls", "--json"]);
  assert.equal(json.code, 0);
  assert.ok(json.stdout.length < 64 * 1024, `ls --json stays small: ${json.stdout.length} bytes`);
  const rows = JSON.parse(json.stdout) as Record<string, unknown>[];
  assert.equal(rows.length, 3);
  for (const row of rows) assert.ok(!("result" in row), "ls --json has no result field");
  assert.deepEqual(home.ok(["ls", "-q"]).split("\n").sort(), [...ids].sort());

  assert.equal(home.ok(["result", ids[1]]).length, size + 2, "bgt result prints it");
  const shown = JSON.parse(home.ok(["show", "--json", ids[2]])) as { result: string };
  assert.equal(shown.result.length, size, "show --json carries it");
}
