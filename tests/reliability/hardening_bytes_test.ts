/**
 * Issue 19, item 5: bytes that are not UTF-8 in argv, environment values and file names are kept
 * as bytes end to end (read from /proc/self/cmdline and /proc/self/environ, stored losslessly,
 * handed to the command exactly), not replaced by U+FFFD.
 *
 * The words are given to bgt by `sh`, from files of bytes: a test runtime's spawn takes strings
 * only, and would encode them itself.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { BGT, TempHome } from "../_helpers/bgt_home.ts";
import { skipWithReason } from "../_helpers/skip.ts";
import { assertOneLineError, bgtBytes, openHomeStore } from "./_reliability.ts";

const HAS_PROC = existsSync("/proc/self/cmdline");

/** Skips (with the reason printed) where there is no /proc to read raw argv from. */
function needsProc(t: { name?: string; skip(message?: string): void }): boolean {
  if (HAS_PROC) return false;
  skipWithReason(t, "no /proc here: bgt keeps the runtime's (lossy) argv, as documented");
  return true;
}

/**
 * Every byte from 1 to 255 (quote, newline and backslash included), then an overlong NUL, a
 * UTF-16 surrogate, a cut sequence, a real U+FFFD and a valid é: one word.
 */
const NASTY = new Uint8Array([
  ...Array.from({ length: 255 }, (_, i) => i + 1),
  0xc0,
  0x80,
  0xed,
  0xa0,
  0x80,
  0xe2,
  0x82,
  0x41,
  0xef,
  0xbf,
  0xbd,
  0xc3,
  0xa9,
  0x2e,
]);

/** Runs `script` with sh in the home's work directory, `$BGT` the binary, `$W` its directory. */
function sh(home: TempHome, script: string): { code: number; stdout: Uint8Array; stderr: string } {
  const result = spawnSync("sh", ["-c", script], {
    cwd: home.work,
    env: { ...home.env(), BGT, W: home.work },
    timeout: 60_000,
  });
  return {
    code: result.status ?? 128,
    stdout: new Uint8Array(result.stdout ?? []),
    stderr: result.stderr?.toString() ?? "",
  };
}

/** The id of the task submitted last. */
function lastId(home: TempHome): string {
  return String(Math.max(...home.ok(["ls", "-q"]).split("\n").map(Number)));
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

describe("issue 19: bytes that are not UTF-8 (item 5)", () => {
  let home: TempHome;
  before(() => {
    home = TempHome.create();
    writeFileSync(join(home.work, "nasty"), NASTY);
    writeFileSync(join(home.work, "fffe41"), new Uint8Array([0xff, 0xfe, 0x41]));
    writeFileSync(join(home.work, "latin1"), new Uint8Array([0x63, 0x61, 0x66, 0xe9]));
  });
  after(() => home.cleanup());

  test("bgt run -- printf %s $'\\xff\\xfeA' logs the bytes ff fe 41", (t) => {
    if (needsProc(t)) return;
    const run = sh(home, `"$BGT" run --wait -- printf %s "$(cat fffe41)"`);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(hex(run.stdout), "fffe41");
    const id = lastId(home);
    assert.equal(hex(bgtBytes(home, ["logs", id]).stdout), "fffe41");
    // Human output shows the bytes escaped; the JSON keeps them (as lone surrogates, U+DC80 + byte).
    assert.match(home.ok(["show", id]), /printf %s \\xff\\xfeA/);
    const argv = JSON.parse(home.ok(["show", id, "--json"])).argv;
    assert.deepEqual(argv, ["printf", "%s", "\udcff\udcfeA"]);
  });

  test("every byte value in one word reaches the command exactly, also when run again", (t) => {
    if (needsProc(t)) return;
    const run = sh(home, `"$BGT" run --wait -- printf %s "$(cat nasty)"`);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(hex(run.stdout), hex(NASTY));
    // The stored spec gives the same bytes to a restart (a new attempt read from the store).
    const id = lastId(home);
    home.ok(["restart", id]);
    home.ok(["wait", id]);
    const logs = bgtBytes(home, ["logs", id]).stdout;
    assert.equal(hex(logs), hex(NASTY) + hex(NASTY));
  });

  test("an environment value that is not UTF-8 reaches the command exactly", (t) => {
    if (needsProc(t)) return;
    const run = sh(
      home,
      `RAW="$(cat nasty)" "$BGT" run --wait -- sh -c 'printf %s "$RAW"'`,
    );
    assert.equal(run.code, 0, run.stderr);
    assert.equal(hex(run.stdout), hex(NASTY));
  });

  test("a program with a Latin-1 name is found and run", (t) => {
    if (needsProc(t)) return;
    const made = sh(home, `p="./$(cat latin1)"; printf '#!/bin/sh\\nprintf %%s "$0"\\n' > "$p"`);
    assert.equal(made.code, 0, made.stderr);
    sh(home, `chmod +x "./$(cat latin1)"`);
    const run = sh(home, `"$BGT" run --wait -- "./$(cat latin1)"`);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(hex(run.stdout), hex(new Uint8Array([0x2e, 0x2f, 0x63, 0x61, 0x66, 0xe9])));
  });

  test("a module with a Latin-1 name runs, its relative imports too, hosted and --isolate", (t) => {
    if (needsProc(t)) return;
    writeFileSync(join(home.work, "dep.ts"), "export const answer = 41;\n");
    const made = sh(
      home,
      `printf 'import { answer } from "./dep.ts";\\nexport default () => answer + 1;\\n' > "$(cat latin1).ts"`,
    );
    assert.equal(made.code, 0, made.stderr);
    for (const flags of ["", "--isolate"]) {
      const run = sh(home, `"$BGT" run --wait ${flags} "$(cat latin1).ts"`);
      assert.equal(run.code, 0, `${flags}: ${run.stderr}`);
      assert.equal(new TextDecoder().decode(run.stdout).trim(), "42", flags);
    }
    assert.match(home.ok(["ls"]), /caf\\xe9\.ts/);
  });

  test("a Latin-1 module file that does not exist is refused in one line naming it", async (t) => {
    if (needsProc(t)) return;
    const db = await openHomeStore(home);
    const count = () => Number(db.all<{ n: number }>("SELECT count(*) AS n FROM tasks")[0].n);
    const before = count();
    const missing = sh(home, `"$BGT" run "$(cat latin1)-missing.ts"`);
    assert.equal(missing.code, 2);
    assert.equal(assertOneLineError(missing.stderr), undefined);
    assert.match(missing.stderr, /Cannot run caf\\xe9-missing\.ts: no such file/);
    assert.equal(count(), before);
    db.close();
  });
});
