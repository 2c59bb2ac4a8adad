/**
 * Issue 6, part 7: only the owner sees or controls tasks (DESIGN §4): the home is 0700 and its
 * files 0600; another user can neither connect to the socket nor read the database; a socket
 * directory outside the home that another user prepared is refused; and a command's arguments
 * reach it literally — no shell unless --shell — while NUL bytes are refused or kept literally.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { connect } from "../../mod.ts";
import { bgtHome } from "../../src/store/home.ts";
import { TempHome } from "../_helpers/bgt_home.ts";
import { assertOneLineError, countRows, liveSupervisor, report } from "./_reliability.ts";
import { skipWithReason } from "../_helpers/skip.ts";

const OTHER_USER = "bgt-other";
const BUN = resolve(import.meta.dirname ?? ".", "../../node_modules/bun/bin/bun.exe");

/** Every file and directory under `dir` with its permission bits. */
function modes(dir: string): { path: string; mode: number; dir: boolean }[] {
  const found: { path: string; mode: number; dir: boolean }[] = [];
  const walk = (path: string) => {
    const stat = lstatSync(path);
    found.push({ path, mode: stat.mode & 0o777, dir: stat.isDirectory() });
    if (stat.isDirectory()) { for (const name of readdirSync(path)) walk(join(path, name)); }
  };
  walk(dir);
  return found;
}

/** The uid and gid of the second user, creating it when running as root; undefined otherwise. */
function otherUser(): { uid: number; gid: number; created: boolean } | string {
  if (process.getuid?.() !== 0) return "not running as root: cannot create a second user";
  const id = () => spawnSync("id", ["-u", OTHER_USER], { encoding: "utf8" });
  let created = false;
  if (id().status !== 0) {
    const made = spawnSync("useradd", [
      "--system",
      "--no-create-home",
      "--shell",
      "/usr/sbin/nologin",
      OTHER_USER,
    ], { encoding: "utf8" });
    if (made.status !== 0) return `useradd failed: ${made.stderr.trim() || made.error}`;
    created = true;
  }
  const uid = Number(id().stdout.trim());
  const gid = Number(spawnSync("id", ["-g", OTHER_USER], { encoding: "utf8" }).stdout.trim());
  if (!existsSync(BUN)) return `no bun binary at ${BUN} to probe with`;
  return { uid, gid, created };
}

/**
 * A copy of the bun binary the other user can run: the project's own may sit under a directory
 * only its owner can enter (a fresh clone in a private temporary directory, say).
 */
let probeDir: string | undefined;
function probeRuntime(): string {
  if (!probeDir) {
    probeDir = mkdtempSync(join(tmpdir(), "bgt-probe-"));
    chmodSync(probeDir, 0o755);
    copyFileSync(BUN, join(probeDir, "bun"));
    chmodSync(join(probeDir, "bun"), 0o755);
  }
  return join(probeDir, "bun");
}

/** As the other user: try to read `db` and to connect to `socket`; each gives "ok" or an errno. */
function probeAs(
  user: { uid: number; gid: number },
  socket: string,
  db: string,
): { read: string; connect: string } {
  const script = `const net = require("node:net"), fs = require("node:fs");
const out = {};
try { fs.readFileSync(${JSON.stringify(db)}); out.read = "ok"; } catch (e) { out.read = e.code; }
const s = net.connect(${JSON.stringify(socket)});
s.on("connect", () => { out.connect = "ok"; s.destroy(); console.log(JSON.stringify(out)); });
s.on("error", (e) => { out.connect = e.code; console.log(JSON.stringify(out)); });
`;
  const result = spawnSync("setpriv", [
    `--reuid=${user.uid}`,
    `--regid=${user.gid}`,
    "--clear-groups",
    "env",
    "HOME=/tmp",
    probeRuntime(),
    "-e",
    script,
  ], { cwd: "/", encoding: "utf8", timeout: 30_000 });
  assert.equal(result.status, 0, `probe as ${OTHER_USER} failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim());
}

describe("security", () => {
  let home: TempHome;
  const figures: Record<string, unknown> = {};
  before(() => {
    home = TempHome.create();
    writeFileSync(
      join(home.work, "echo_args.ts"),
      "export default (...args: unknown[]) => args;\n",
    );
  });
  after(() => {
    home.cleanup();
    if (probeDir) rmSync(probeDir, { recursive: true, force: true });
  });

  test("after a run, the home and its directories are 0700 and its files 0600", () => {
    const id = home.ok(["run", "--", "sh", "-c", "echo out; echo err >&2"]);
    assert.equal(home.bgt(["wait", id]).code, 0);
    const root = join(home.dir, "home");
    const found = modes(root);
    // The waiter's status file is checked by pending_status_mode (see RELIABILITY.md).
    const wrong = found.filter((entry) => !entry.path.endsWith("/status")).filter((entry) =>
      entry.mode !== (entry.dir ? 0o700 : 0o600)
    ).map((entry) => `${entry.path} ${entry.mode.toString(8)}`);
    assert.deepEqual(wrong, []);
    for (const name of ["bgt.db", "bgt.sock", "supervisor.log", "logs"]) {
      assert.ok(found.some((entry) => entry.path === join(root, name)), `${name} exists`);
    }
    figures.pathsChecked = found.length;
  });

  test("another user can neither connect to the socket nor read the database", (t) => {
    const user = otherUser();
    if (typeof user === "string") {
      return skipWithReason(t, user);
    }
    const root = join(home.dir, "home");
    const socket = bgtHome({ BGT_HOME: root }).socket;
    const db = join(root, "bgt.db");
    home.ok(["daemon", "start"]);
    // The temporary directory is 0700: open it so that only the home's own modes protect it.
    chmodSync(home.dir, 0o711);
    try {
      assert.deepEqual(probeAs(user, socket, db), { read: "EACCES", connect: "EACCES" });
      // Defence in depth: even with the home opened for traversal, the files' own modes deny.
      chmodSync(root, 0o711);
      assert.deepEqual(probeAs(user, socket, db), { read: "EACCES", connect: "EACCES" });
      // The probe can tell: with the socket opened up, it connects.
      chmodSync(socket, 0o666);
      assert.equal(probeAs(user, socket, db).connect, "ok");
      figures.otherUserDenied = true;
    } finally {
      chmodSync(socket, 0o600);
      chmodSync(root, 0o700);
      chmodSync(home.dir, 0o700);
      if (user.created) spawnSync("userdel", [OTHER_USER]);
    }
  });

  test("a socket directory that another user made first is refused, not trusted", (t) => {
    const user = otherUser();
    if (typeof user === "string") {
      return skipWithReason(t, user);
    }
    // A home whose path is too long for a unix socket puts the socket under XDG_RUNTIME_DIR/bgt.
    const runtime = join(home.dir, "run");
    const deep = join(home.dir, "deep", "x".repeat(60), "y".repeat(40), "home");
    const env = { BGT_HOME: deep, XDG_RUNTIME_DIR: runtime };
    const socketDir = join(runtime, "bgt");
    mkdirSync(socketDir, { recursive: true, mode: 0o777 });
    chmodSync(socketDir, 0o777);
    chownSync(socketDir, user.uid, user.gid);
    try {
      const refused = home.bgt(["run", "--", "true"], { env });
      assert.notEqual(refused.code, 0);
      assert.match(
        refused.stderr,
        /Cannot use the socket directory .*run\/bgt: it belongs to .*uid/,
      );
      assert.equal(assertOneLineError(refused.stderr), undefined);
      // Our own directory left open is closed (0700) and used.
      chownSync(socketDir, 0, 0);
      const id = home.bgt(["run", "--", "true"], { env });
      assert.equal(id.code, 0, id.stderr);
      assert.equal(home.bgt(["wait", id.stdout.trim()], { env }).code, 0);
      assert.equal(statSync(socketDir).mode & 0o777, 0o700);
      const socket = bgtHome(env).socket;
      assert.ok(socket.startsWith(socketDir), socket);
      assert.equal(statSync(socket).mode & 0o777, 0o600);
      home.bgt(["daemon", "stop"], { env });
    } finally {
      if (user.created) spawnSync("userdel", [OTHER_USER]);
    }
  });

  test("a command's arguments reach it literally: no shell without --shell", () => {
    const words = [
      'it\'s "quoted"',
      "$(touch pwned)",
      "`touch pwned2`",
      "a;touch pwned3",
      "line1\nline2",
      "*",
      "$HOME",
      "| cat",
      "&& touch pwned4",
      "",
      " spaced ",
      "--flag=1",
      "-x",
      "\\",
      "日本語 ✓",
    ];
    const id = home.ok(["run", "--", "printf", "[%s]\\n", ...words]);
    assert.equal(home.bgt(["wait", id]).code, 0);
    assert.equal(home.ok(["logs", id]), words.map((word) => `[${word}]`).join("\n"));
    for (const file of ["pwned", "pwned2", "pwned3", "pwned4"]) {
      assert.ok(!existsSync(join(home.work, file)), `${file} was not created`);
    }
    // The same words as a module's arguments arrive as strings, unchanged.
    const moduleId = home.ok(["run", "echo_args.ts", "--", ...words]);
    assert.equal(home.bgt(["wait", moduleId]).code, 0);
    assert.deepEqual(JSON.parse(home.ok(["result", moduleId])), words);
    figures.literalArgs = words.length;
  });

  test("--shell is the only way through a shell", () => {
    const id = home.ok(["run", "--shell", 'echo one && echo two; echo "$BGT_TASK_ID" > /dev/null']);
    assert.equal(home.bgt(["wait", id]).code, 0);
    assert.equal(home.ok(["logs", id]), "one\ntwo");
    // Without --shell the same line is one program name, which does not exist.
    const refused = home.bgt(["run", "--", "echo one && echo two"]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /command not found/);
  });

  test("NUL bytes: refused in a command, kept literally in a module's JSON arguments", async () => {
    // The CLI cannot receive a NUL (exec cuts an argument at it); the library can send one.
    const rowsBefore = await countRows(join(home.dir, "home", "bgt.db"));
    const client = await connect({ env: home.env() });
    let outcome: string;
    try {
      const [id] = await client.submit([{
        spec: { kind: "command", argv: ["printf", "%s", "a\0b"] },
        cwd: home.work,
      }], { wake: false });
      home.ok(["daemon", "start"]);
      assert.equal(home.bgt(["wait", String(id)]).code !== 0, true, "the NUL command did not run");
      const task = await client.get(id);
      assert.equal(task.status, "failed");
      assert.match(task.error?.message ?? "", /null|NUL|\\0/i);
      outcome = `task failed: ${task.error?.message}`;
    } catch (error) {
      // Refused at submission: nothing may be left behind.
      assert.equal(await countRows(join(home.dir, "home", "bgt.db")), rowsBefore);
      outcome = `refused: ${(error as Error).message}`;
    } finally {
      await client.close();
    }
    const id = home.ok(["run", "--args-json", '["a\\u0000b"]', "echo_args.ts"]);
    assert.equal(home.bgt(["wait", id]).code, 0);
    assert.deepEqual(JSON.parse(home.ok(["result", id])), ["a\u0000b"]);
    figures.nulInCommand = outcome;
    assert.ok(liveSupervisor(home), "the supervisor lives");
    report("security", figures);
  });
});
