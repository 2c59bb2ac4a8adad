import assert from "node:assert/strict";
import { availableParallelism } from "node:os";
import { test } from "node:test";
import { DEFAULT_KILL_GRACE_MS, resolveSettings } from "../../src/supervisor/settings.ts";

const none = { flags: {}, env: {}, config: {}, stored: {} };

test("resolveSettings(): flag, then store, then env, then config, then the default", () => {
  assert.deepEqual(resolveSettings(none).parallel, {
    value: availableParallelism(),
    source: "default",
  });
  assert.deepEqual(resolveSettings({ ...none, config: { parallel: 3 } }).parallel, {
    value: 3,
    source: "config",
  });
  assert.deepEqual(
    resolveSettings({ ...none, config: { parallel: 3 }, env: { parallel: 4 } }).parallel,
    { value: 4, source: "env" },
  );
  assert.deepEqual(
    resolveSettings({
      ...none,
      config: { parallel: 3 },
      env: { parallel: 4 },
      stored: { parallel: "5" },
    })
      .parallel,
    { value: 5, source: "store" },
  );
  assert.deepEqual(
    resolveSettings({
      flags: { parallel: 6 },
      config: { parallel: 3 },
      env: {},
      stored: { parallel: "5" },
    })
      .parallel,
    { value: 6, source: "flag" },
  );
});

test("resolveSettings(): an unusable stored parallel is skipped", () => {
  assert.equal(resolveSettings({ ...none, stored: { parallel: "0" } }).parallel.source, "default");
  assert.equal(resolveSettings({ ...none, stored: { parallel: "x" } }).parallel.source, "default");
});

test("resolveSettings(): kill grace from flag, env, config or the default", () => {
  assert.deepEqual(resolveSettings(none).killGraceMs, {
    value: DEFAULT_KILL_GRACE_MS,
    source: "default",
  });
  assert.deepEqual(resolveSettings({ ...none, config: { killGrace: 10_000 } }).killGraceMs, {
    value: 10_000,
    source: "config",
  });
  assert.deepEqual(
    resolveSettings({ ...none, flags: { killGraceMs: 1 }, config: { killGrace: 10_000 } })
      .killGraceMs,
    { value: 1, source: "flag" },
  );
});
