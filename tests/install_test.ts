/**
 * What a fresh `npm install` needs to print no warning and leave package-lock.json as committed:
 * every locked package runs on the oldest Node that package.json's `engines` names (no
 * EBADENGINE), every install script is reviewed in `allowScripts`, and the lock already holds
 * every platform package npm would add.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";

interface LockEntry {
  engines?: { node?: string };
  hasInstallScript?: boolean;
  optionalDependencies?: Record<string, string>;
}

const root = new URL("../", import.meta.url);
const manifest = JSON.parse(readFileSync(new URL("package.json", root), "utf8"));
const lock = JSON.parse(readFileSync(new URL("package-lock.json", root), "utf8"));
const packages = Object.entries(lock.packages as Record<string, LockEntry>)
  .filter(([path]) => path !== "");

/** The package name of a lock path (`node_modules/a/node_modules/@s/b` → `@s/b`). */
const nameOf = (path: string) => path.slice(path.lastIndexOf("node_modules/") + 13);

/** Whether `version` (x.y.z) satisfies a node-semver range of comparators, `x` ranges and `||`. */
function satisfies(version: string, range: string): boolean {
  const parse = (text: string) =>
    text.replace(/^v/, "").split(".").map((n) => /^\d+$/.test(n) ? Number(n) : NaN);
  const compare = (a: number[], b: number[]) => {
    for (let i = 0; i < 3; i++) {
      if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
    }
    return 0;
  };
  const have = parse(version);
  return range.split("||").some((alternative) =>
    alternative.trim().replace(/([<>=^~]+)\s+/g, "$1").split(/\s+/).every((comparator) => {
      const match = /^(>=|<=|>|<|=|\^|~)?v?([\dx*.]+)$/.exec(comparator);
      if (!match) throw new Error(`Cannot read the engines range '${range}'`);
      const [, operator = "=", text] = match;
      const parts = text.split(".").filter((part) => part !== "x" && part !== "*");
      const want = parse(parts.join(".") || "0");
      const fixed = parts.length; // the parts an x-range pins
      switch (operator) {
        case ">=":
          return compare(have, want) >= 0;
        case ">":
          return compare(have, want) > 0;
        case "<":
          return compare(have, want) < 0;
        case "<=":
          return compare(have, want) <= 0;
        case "^":
          return compare(have, want) >= 0 && have[0] === want[0];
        case "~":
          return compare(have, want) >= 0 && have[0] === want[0] &&
            (fixed < 2 || have[1] === want[1]);
        default:
          return have.slice(0, fixed).every((part, i) => part === want[i]);
      }
    })
  );
}

describe("a fresh npm install", () => {
  test("every locked package runs on the oldest Node package.json's engines allows", () => {
    const oldest = /^>=\s*(\d+(\.\d+){0,2})$/.exec(manifest.engines?.node ?? "")?.[1];
    assert.ok(oldest, "package.json names its oldest Node as engines.node '>=N'");
    const refusing = packages
      .filter(([, entry]) => entry.engines?.node && !satisfies(oldest, entry.engines.node))
      .map(([path, entry]) => `${nameOf(path)} wants Node ${entry.engines!.node}`);
    assert.deepEqual(refusing, []);
  });

  test("every dependency with an install script is approved or denied in allowScripts", () => {
    const reviewed = new Set(
      Object.keys(manifest.allowScripts ?? {}).map((key) => key.replace(/(.)@.*$/, "$1")),
    );
    const unreviewed = packages
      .filter(([path, entry]) => entry.hasInstallScript && !reviewed.has(nameOf(path)))
      .map(([path]) => nameOf(path));
    assert.deepEqual(unreviewed, []);
  });

  test("the lock file already holds every optional platform package npm would add", () => {
    const locked = new Set(packages.map(([path]) => nameOf(path)));
    const missing = packages.flatMap(([, entry]) =>
      Object.keys(entry.optionalDependencies ?? {}).filter((name) => !locked.has(name))
    );
    assert.deepEqual(missing, []);
  });

  test("the engines range reader agrees with npm on the ranges the lock file holds", () => {
    assert.ok(satisfies("20.0.0", ">=20.x"));
    assert.ok(satisfies("20.0.0", "^20.0.0 || >=22.0.0"));
    assert.ok(satisfies("20.0.0", ">= 10"));
    assert.ok(!satisfies("20.0.0", ">=22.12.0"));
    assert.ok(!satisfies("20.0.0", "^16.13.0 || ^18.0.0"));
    assert.ok(satisfies("18.3.0", "~18.2 || 18.x"));
  });
});
