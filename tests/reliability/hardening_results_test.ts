/**
 * Issue 19, hardening of results: a value the JSON output cannot hold exactly (a bigint beyond
 * 2^53) is printed as a string, never rounded — by `bgt result`, `run --wait --json` and `show --json`.
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
});
