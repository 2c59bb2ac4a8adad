import assert from "node:assert/strict";
import {
  chmodSync,
  chownSync,
  closeSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import {
  appendOwnFile,
  checkOwnDir,
  ForeignPathError,
  openOwnFile,
  writeNewOwnFile,
} from "../../src/store/own_files.ts";
import { skipWithReason } from "../_helpers/skip.ts";

describe("own files: a home's files and directories are the user's own", () => {
  const dir = mkdtempSync(join(tmpdir(), "bgt-own-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("a file is never opened through a symlink planted at its path", () => {
    const target = join(dir, "target");
    writeFileSync(target, "untouched");
    const link = join(dir, "stderr");
    symlinkSync(target, link);
    assert.throws(() => openOwnFile(link, "append"), ForeignPathError);
    assert.throws(() => appendOwnFile(link, "x"), /stderr: it is a symlink/);
    assert.equal(readFileSync(target, "utf8"), "untouched");
  });

  test("a new file replaces what lies at its path (a symlink as a link), 0600", () => {
    const target = join(dir, "target2");
    writeFileSync(target, "untouched");
    const temp = join(dir, "record.tmp");
    symlinkSync(target, temp);
    writeNewOwnFile(temp, "mine");
    assert.equal(readFileSync(temp, "utf8"), "mine");
    assert.equal(readFileSync(target, "utf8"), "untouched");
    assert.equal(statSync(temp).mode & 0o777, 0o600);
  });

  test("'create' fails on an existing file; 'append' appends to ours", () => {
    const path = join(dir, "status");
    closeSync(openOwnFile(path, "create"));
    assert.throws(() => openOwnFile(path, "create"), { code: "EEXIST" });
    appendOwnFile(path, "ab");
    appendOwnFile(path, "c");
    assert.equal(readFileSync(path, "utf8"), "abc");
  });

  test("a directory that is a symlink is refused; one of ours open to others is closed", () => {
    const real = join(dir, "real");
    mkdirSync(real);
    chmodSync(real, 0o777);
    checkOwnDir(real, "the test directory", "fix it");
    assert.equal(statSync(real).mode & 0o777, 0o700);
    const link = join(dir, "linked");
    symlinkSync(real, link);
    assert.throws(() => checkOwnDir(link, "the test directory", "fix it"), /it is a symlink/);
    checkOwnDir(link, "the home", "fix it", { follow: true });
  });

  test("another user's directory is refused, naming its owner, and left as it is", (t) => {
    if (process.getuid?.() !== 0) return skipWithReason(t, "needs root to chown");
    const theirs = join(dir, "theirs");
    mkdirSync(theirs);
    chmodSync(theirs, 0o777);
    chownSync(theirs, 65534, 65534);
    assert.throws(
      () => checkOwnDir(theirs, "the bgt home", "set BGT_HOME"),
      (error: Error) =>
        error instanceof ForeignPathError &&
        error.message.includes(theirs) &&
        /belongs to .*uid 65534.*set BGT_HOME$/.test(error.message),
    );
    assert.equal(statSync(theirs).mode & 0o777, 0o777);
  });
});
