import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { bytesToText, fsPath, hasRawBytes, textToBytes } from "../../src/runtime/raw_bytes.ts";
import { decode, encode } from "../../src/task/codec.ts";
import {
  envFromStore,
  specFromStore,
  storableEnv,
  storableSpec,
  storableTemplate,
  templateFromStore,
} from "../../src/task/stored_spec.ts";
import { printable } from "../../src/cli/format.ts";
import { isRawModuleUrl, rawModuleFile, rawModuleUrl } from "../../src/runtime/raw_path_modules.ts";

/** A seeded generator, so that a failure can be replayed. */
function bytesOf(seed: number, length: number): Uint8Array {
  let state = seed;
  return Uint8Array.from({ length }, () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state >> 16 & 0xff;
  });
}

describe("raw bytes (bytes that are not UTF-8, kept as U+DC80 + byte)", () => {
  test("any bytes survive bytesToText → textToBytes exactly", () => {
    for (let seed = 1; seed <= 500; seed++) {
      const bytes = bytesOf(seed, seed % 64);
      assert.deepEqual(textToBytes(bytesToText(bytes)), bytes, `seed ${seed}`);
    }
  });

  test("valid UTF-8 decodes as usual, a real U+FFFD and an emoji included", () => {
    const text = "café \uFFFD 😀 ok";
    const bytes = new TextEncoder().encode(text);
    assert.equal(bytesToText(bytes), text);
    assert.equal(hasRawBytes(text), false);
    assert.deepEqual(textToBytes(text), bytes);
  });

  test("stray bytes are escaped one by one, not replaced", () => {
    assert.equal(bytesToText(new Uint8Array([0xff, 0xfe, 0x41])), "\udcff\udcfeA");
    // An overlong NUL and an encoded surrogate are not UTF-8: byte by byte.
    assert.equal(bytesToText(new Uint8Array([0xc0, 0x80])), "\udcc0\udc80");
    assert.equal(bytesToText(new Uint8Array([0xed, 0xa0, 0x80])), "\udced\udca0\udc80");
    assert.equal(hasRawBytes("caf\udce9"), true);
  });

  test("fsPath gives the exact bytes of a path that is not UTF-8, else the string", () => {
    assert.equal(fsPath("/tmp/a"), "/tmp/a");
    assert.deepEqual([...fsPath("/tmp/\udce9") as Buffer], [...Buffer.from("/tmp/"), 0xe9]);
  });

  test("a stored spec and template keep such words through MessagePack", () => {
    const spec = { kind: "command" as const, argv: ["printf", "%s", "\udcff\udcfeA"] };
    assert.deepEqual(specFromStore(decode(encode(storableSpec(spec)))), spec);
    const common = { kind: "command" as const, argv: ["echo", "hi"] };
    assert.equal(storableSpec(common), common, "the common spec is stored as it is");
    const template = { spec, env: { A: "x\udce9", B: "ok" } };
    assert.deepEqual(templateFromStore(decode(encode(storableTemplate(template)))), template);
  });

  test("a stored environment keeps such values through JSON (PostgreSQL's jsonb)", () => {
    const env = { A: "x\udce9y", B: "plain" };
    const stored = JSON.parse(JSON.stringify(storableEnv(env)));
    assert.equal(JSON.stringify(stored).includes("\\udc"), false, "no lone surrogate for jsonb");
    assert.deepEqual(envFromStore(stored), env);
    const common = { B: "plain" };
    assert.equal(storableEnv(common), common);
  });

  test("human output shows such bytes as \\xNN", () => {
    assert.equal(printable("printf %s \udcff\udcfeA"), "printf %s \\xff\\xfeA");
    assert.equal(printable("😀"), "😀");
  });

  test("a module path that is not UTF-8 gets a stand-in in its directory that names its bytes", () => {
    const path = new Uint8Array([...Buffer.from("/srv/jobs/caf"), 0xe9, ...Buffer.from(".ts")]);
    const url = rawModuleUrl(path);
    assert.match(url, /^file:\/\/\/srv\/jobs\/\.bgt-raw-[0-9a-f]+\.ts$/);
    assert.equal(isRawModuleUrl(url), true);
    assert.deepEqual([...rawModuleFile(url)!], [...path]);
    assert.equal(isRawModuleUrl("file:///srv/jobs/cafe.ts"), false);
    // A directory that is not UTF-8 either: the stand-in lives in /.
    const deep = new Uint8Array([...Buffer.from("/d"), 0xff, ...Buffer.from("/x.js")]);
    assert.match(rawModuleUrl(deep), /^file:\/\/\/\.bgt-raw-[0-9a-f]+\.js$/);
  });
});
