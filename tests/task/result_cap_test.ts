import assert from "node:assert/strict";
import { test } from "node:test";
import {
  DEFAULT_MAX_RESULT_BYTES,
  MAX_RESULT_BYTES_LIMIT,
  maxResultBytes,
  resultOverCap,
} from "../../src/task/result_cap.ts";

test("maxResultBytes() reads BGT_MAX_RESULT_BYTES, defaults to 64 MiB, caps at 256 MiB", () => {
  assert.equal(maxResultBytes({ BGT_MAX_RESULT_BYTES: "1000" }), 1000);
  assert.equal(maxResultBytes({}), DEFAULT_MAX_RESULT_BYTES);
  assert.equal(maxResultBytes({ BGT_MAX_RESULT_BYTES: "1.5" }), DEFAULT_MAX_RESULT_BYTES);
  assert.equal(maxResultBytes({ BGT_MAX_RESULT_BYTES: "2000000000" }), MAX_RESULT_BYTES_LIMIT);
  assert.ok(MAX_RESULT_BYTES_LIMIT < 1e9 && MAX_RESULT_BYTES_LIMIT < 2 ** 30);
});

test("resultOverCap() names the size and the cap, or is undefined under it", () => {
  assert.equal(resultOverCap("x".repeat(500), 1000), undefined);
  assert.equal(
    resultOverCap("x".repeat(2000), 1000),
    "it is 2,003 bytes, over the cap of 1,000 bytes (BGT_MAX_RESULT_BYTES)",
  );
});
