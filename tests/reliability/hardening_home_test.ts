/**
 * Issue 19, item 1: a home owned by someone else. As root, bgt refuses a `BGT_HOME` (or
 * `$XDG_STATE_HOME/bgt`) or a `logs/` that another user owns, in one line naming the path and its
 * owner, and creates nothing there; a symlink planted at a task's `stderr`, at its directory or at
 * the supervisor's log does not make root write where it points.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { BGT, sqliteOnly, TempHome } from "../_helpers/bgt_home.ts";
import { skipWithReason } from "../_helpers/skip.ts";
import { assertOneLineError } from "./_reliability.ts";

/** Another user's uid: `nobody`'s, which every Linux has. */
const OTHER_UID = 65534;
const AS_ROOT = process.getuid?.() === 0;

/** Skips (with the reason printed) unless this runs as root, who can hand a directory over. */
function needsRoot(t: { name?: string; skip(message?: string): void }): boolean {
  if (AS_ROOT) return false;
  skipWithReason(t, "needs root to give a directory to another user (chown)");
  return true;
}

/** Runs bgt with exactly this environment (no BGT_HOME unless given). */
function bgtWith(env: Record<string, string>, words: string[], cwd: string) {
  const result = spawnSync(BGT, words, { cwd, env, encoding: "utf8", timeout: 60_000 });
  return { code: result.status ?? 128, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
}

/** Asserts one `bgt: ` line naming `path` and the other user, and a non-zero exit. */
function assertRefusedNaming(result: { code: number; stderr: string }, path: string) {
  assert.notEqual(result.code, 0, "accepted");
  assert.equal(assertOneLineError(result.stderr), undefined);
  assert.ok(result.stderr.includes(path), `does not name ${path}: ${result.stderr}`);
  assert.match(result.stderr, new RegExp(`belongs to .*uid ${OTHER_UID}`));
}

describe("issue 19: a home owned by someone else (item 1)", () => {
  let home: TempHome;
  before(() => {
    home = TempHome.create();
  });
  after(() => {
    // Supervisors of the homes beside the TempHome's own (the refused ones start none, unless
    // the refusal fails).
    for (const name of ["planted", "linked", "ours", "loglink", "theirs"]) {
      home.bgt(["daemon", "stop"], { env: { BGT_HOME: join(home.dir, name) } });
    }
    const env = { XDG_STATE_HOME: join(home.dir, "state") };
    spawnSync(BGT, ["daemon", "stop"], { env: { PATH: process.env.PATH ?? "", ...env } });
    home.cleanup();
  });

  test("a BGT_HOME another user owns is refused in one line, and nothing is made in it", (t) => {
    if (needsRoot(t)) return;
    const dir = join(home.dir, "theirs");
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    chownSync(dir, OTHER_UID, OTHER_UID);
    for (const words of [["run", "--", "true"], ["ls"], ["daemon", "start"]]) {
      const result = home.bgt(words, { env: { BGT_HOME: dir } });
      assertRefusedNaming(result, dir);
    }
    assert.deepEqual(readdirSync(dir), []);
    assert.equal(statSync(dir).mode & 0o777, 0o777, "its mode was changed");
    assert.equal(statSync(dir).uid, OTHER_UID);
  });

  test("$XDG_STATE_HOME/bgt owned by another user is refused the same way", (t) => {
    if (needsRoot(t)) return;
    const state = join(home.dir, "state");
    const dir = join(state, "bgt");
    mkdirSync(dir, { recursive: true, mode: 0o777 });
    chownSync(dir, OTHER_UID, OTHER_UID);
    const env: Record<string, string> = {
      ...process.env as Record<string, string>,
      XDG_STATE_HOME: state,
      NO_COLOR: "1",
    };
    delete env.BGT_HOME;
    delete env.BGT_STORE;
    const result = bgtWith(env, ["run", "--", "true"], home.work);
    assertRefusedNaming(result, dir);
    assert.deepEqual(readdirSync(dir), []);
  });

  test("a home whose logs/ belongs to another user is refused; nothing is made in logs/", (t) => {
    if (needsRoot(t)) return;
    const dir = join(home.dir, "ours");
    const logs = join(dir, "logs");
    mkdirSync(logs, { recursive: true, mode: 0o700 });
    chownSync(logs, OTHER_UID, OTHER_UID);
    const result = home.bgt(["run", "--", "true"], { env: { BGT_HOME: dir } });
    assertRefusedNaming(result, logs);
    assert.deepEqual(readdirSync(logs), []);
  });

  test("a symlink planted at logs/1/stderr does not make bgt write where it points", (t) => {
    if (sqliteOnly(t, "the next task's id is known only in a fresh store")) return;
    const dir = join(home.dir, "planted");
    const target = join(home.dir, "elsewhere");
    writeFileSync(target, "untouched\n");
    mkdirSync(join(dir, "logs", "1"), { recursive: true, mode: 0o700 });
    symlinkSync(target, join(dir, "logs", "1", "stderr"));
    const env = { BGT_HOME: dir };
    const run = home.bgt(["run", "--wait", "--", "sh", "-c", "echo secret >&2"], { env });
    assert.notEqual(run.code, 0, "the task ran with its stderr on the symlink");
    assert.equal(readFileSync(target, "utf8"), "untouched\n");
    const shown = home.bgt(["show", "1", "--json"], { env });
    assert.match(shown.stdout, /stderr: it is a symlink/);
    // The next task, with a directory of its own, runs.
    assert.equal(home.bgt(["run", "--wait", "--", "true"], { env }).code, 0);
    home.bgt(["daemon", "stop"], { env });
  });

  test("a task directory that is a symlink is refused, not written through", (t) => {
    if (sqliteOnly(t, "the next task's id is known only in a fresh store")) return;
    const dir = join(home.dir, "linked");
    const target = join(home.dir, "linked-target");
    mkdirSync(target, { mode: 0o700 });
    mkdirSync(join(dir, "logs"), { recursive: true, mode: 0o700 });
    symlinkSync(target, join(dir, "logs", "1"));
    const env = { BGT_HOME: dir };
    const run = home.bgt(["run", "--wait", "--", "echo", "secret"], { env });
    assert.notEqual(run.code, 0);
    assert.deepEqual(readdirSync(target), []);
    home.bgt(["daemon", "stop"], { env });
  });

  test("a supervisor log that is a symlink is refused in one line", () => {
    const dir = join(home.dir, "loglink");
    const target = join(home.dir, "loglink-target");
    writeFileSync(target, "");
    mkdirSync(dir, { mode: 0o700 });
    symlinkSync(target, join(dir, "supervisor.log"));
    const result = home.bgt(["run", "--", "true"], { env: { BGT_HOME: dir } });
    assert.notEqual(result.code, 0);
    assert.equal(assertOneLineError(result.stderr), undefined);
    assert.match(result.stderr, /supervisor\.log: it is a symlink/);
    assert.equal(readFileSync(target, "utf8"), "");
    assert.equal(existsSync(join(dir, "bgt.db")), false, "a row was stored");
  });
});
