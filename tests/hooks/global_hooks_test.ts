/** parseGlobalHooks() checks the config's [[hooks]] tables; globalHookFires() applies their conditions. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { globalHookFires, parseGlobalHooks } from "../../src/hooks/global_hooks.ts";

test("parseGlobalHooks() reads every condition and one action, with defaults", () => {
  const [page, notify] = parseGlobalHooks([
    {
      name: "page",
      on: ["failed", "timed_out"],
      final_only: true,
      longer_than: "10m",
      group: "nightly",
      run: "page-me",
      timeout: "30s",
    },
    { notify: true },
  ]);
  assert.deepEqual(page, {
    name: "page",
    on: ["failed", "timed_out"],
    finalOnly: true,
    longerThanMs: 600_000,
    group: "nightly",
    action: { run: "page-me" },
    timeoutMs: 30_000,
  });
  assert.equal(notify.name, "hooks[2]");
  assert.deepEqual(notify.on, ["succeeded", "failed", "canceled", "timed_out", "lost"]);
  assert.deepEqual(notify.action, { notify: true });
  assert.equal(notify.timeoutMs, 60_000);
  assert.deepEqual(parseGlobalHooks(undefined), []);
});

test("parseGlobalHooks() names the table and the problem of a broken one", () => {
  const bad: [unknown, RegExp][] = [
    [{ on: ["failed"] }, /#1: needs exactly one of run/],
    [{ run: "x", webhook: "http://a" }, /#1: needs exactly one of run/],
    [{ run: "x", on: ["exploded"] }, /#1: on: unknown kind "exploded"/],
    [{ run: "x", longer_than: "soon" }, /#1: longer_than: /],
    [{ run: "x", colour: "red" }, /#1: unknown key 'colour'/],
    [{ webhook: "mailto:a@b" }, /#1: webhook 'mailto:a@b' is not an http/],
    [{ run: "" }, /#1: run must be a non-empty string/],
    [{ run: "x", final_only: "yes" }, /#1: final_only must be true or false/],
  ];
  for (const [table, message] of bad) {
    assert.throws(() => parseGlobalHooks([table]), message, JSON.stringify(table));
  }
  assert.throws(
    () => parseGlobalHooks([{ run: "a", name: "n" }, { run: "b", name: "n" }]),
    /#2: the name 'n' is used twice/,
  );
  assert.throws(() => parseGlobalHooks({ run: "x" }), /expected \[\[hooks\]\] tables/);
});

test("globalHookFires() holds only when every condition does", () => {
  const [hook] = parseGlobalHooks([
    { on: ["failed", "retrying"], final_only: true, longer_than: "1s", group: "g", run: "x" },
  ]);
  const facts = { kind: "failed" as const, group: "g", durationMs: 5000 };
  assert.equal(globalHookFires(hook, facts), true);
  assert.equal(globalHookFires(hook, { ...facts, kind: "retrying" }), false, "final only");
  assert.equal(globalHookFires(hook, { ...facts, kind: "succeeded" }), false, "kind");
  assert.equal(globalHookFires(hook, { ...facts, group: "other" }), false, "group");
  assert.equal(globalHookFires(hook, { ...facts, durationMs: 1000 }), false, "not longer");
  assert.equal(globalHookFires(hook, { ...facts, durationMs: null }), false, "never ran");
  const [any] = parseGlobalHooks([{ on: "retrying", run: "x" }]);
  assert.equal(globalHookFires(any, { ...facts, kind: "retrying", group: "x" }), true);
});
