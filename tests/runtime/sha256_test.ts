import { test } from "node:test";
import assert from "node:assert/strict";
import { sha256, sha256Hex } from "../../src/runtime/sha256.ts";

test("sha256Hex() gives the standard digest of a string", () => {
  assert.equal(
    sha256Hex("abc"),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
});

test("sha256() gives the same 32 bytes as the hex form", () => {
  const hex = Array.from(sha256("héllo"), (byte) => byte.toString(16).padStart(2, "0")).join("");
  assert.equal(hex, sha256Hex("héllo"));
  assert.equal(sha256("").length, 32);
});
