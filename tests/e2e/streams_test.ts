/**
 * Issue 5, streams and stdin: `--retain` (memory and disk bounded, the last bytes kept, absolute
 * offsets), `logs --range/--json/-f` over several streams, data records and progress from fd 3,
 * `bgt send` and `run --stdin`, binary output — through the compiled binary, each home cleaned up.
 */
import assert from "node:assert/strict";
import { spawnSync, type SpawnSyncOptions } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { BGT, TempHome, waitFor } from "../_helpers/bgt_home.ts";

/** A bgt call whose output is kept as bytes; stdin is /dev/null unless `input` is given. */
function raw(
  home: TempHome,
  words: string[],
  options: { input?: string | Uint8Array } = {},
): { code: number; stdout: Uint8Array; stderr: string } {
  const spawnOptions: SpawnSyncOptions = {
    cwd: home.work,
    env: home.env(),
    timeout: 120_000,
    maxBuffer: 64 << 20,
    ...(options.input === undefined
      ? { stdio: ["ignore", "pipe", "pipe"] }
      : { input: options.input }),
  };
  const result = spawnSync(BGT, words, spawnOptions);
  return {
    code: result.status ?? 128,
    stdout: new Uint8Array(result.stdout as unknown as Uint8Array),
    stderr: String(result.stderr),
  };
}

/** As `raw`, as text; throws with stderr when bgt fails. */
function ok(home: TempHome, words: string[], options: { input?: string } = {}): string {
  const result = raw(home, words, options);
  if (result.code !== 0) throw new Error(`bgt ${words.join(" ")}: ${result.stderr}`);
  return new TextDecoder().decode(result.stdout).trim();
}

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** The last `bytes` bytes of `seq 1 n`'s output. */
function seqTail(n: number, bytes: number): string {
  const lines: string[] = [];
  let length = 0;
  for (let i = n; i > 0 && length < bytes; i--) {
    lines.push(`${i}\n`);
    length += lines.at(-1)!.length;
  }
  return lines.reverse().join("").slice(-bytes);
}

/** Peak resident memory of a process (VmHWM), in bytes. */
function peakRss(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(match![1]) * 1024;
}

const statusWritten = (home: TempHome, id: string) => {
  const path = join(home.dir, "home", "logs", id, "status");
  return existsSync(path) && readFileSync(path, "utf8").trim() !== "";
};

const MiB = 1 << 20;

describe("--retain bounds memory and disk for a task printing 256 MiB", () => {
  let home: TempHome;
  before(() => (home = TempHome.create()));
  after(() => home.cleanup());

  test("the last MiB is kept and correct, with offsets, ranges and show --json to match", () => {
    ok(home, ["daemon", "start"]);
    const supervisor = JSON.parse(ok(home, ["daemon", "status", "--json"])).pid as number;
    const rssBefore = peakRss(supervisor);
    const n = 31_100_000; // `seq 1 n` prints 268,788,897 bytes (> 256 MiB)
    const id = ok(home, ["run", "--retain", "1MiB", "--", "seq", "1", String(n)]);
    const path = join(home.dir, "home", "logs", id, "stdout");
    let maxDisk = 0;
    waitFor(() => {
      if (existsSync(path)) maxDisk = Math.max(maxDisk, statSync(path).blocks * 512);
      return statusWritten(home, id);
    }, 120_000);
    assert.equal(raw(home, ["wait", id]).code, 0);
    const rssPeak = peakRss(supervisor);
    const finalDisk = statSync(path).blocks * 512;
    const info = JSON.parse(ok(home, ["logs", id, "--json"])).stdout;
    console.log(
      `256 MiB with --retain 1MiB: supervisor peak RSS ${(rssBefore / MiB).toFixed(1)} → ` +
        `${(rssPeak / MiB).toFixed(1)} MiB; stdout on disk at most ${
          (maxDisk / MiB).toFixed(1)
        } MiB while running, ${(finalDisk / 1024).toFixed(0)} KiB at the end ` +
        `(apparent size ${statSync(path).size} B); window ${info.start}:${info.limit}`,
    );
    assert.ok(rssPeak < 128 * MiB, `supervisor peak RSS ${rssPeak}`);
    assert.ok(rssPeak - rssBefore < 32 * MiB, `supervisor RSS grew by ${rssPeak - rssBefore}`);
    assert.ok(maxDisk < 64 * MiB, `disk while running ${maxDisk}`);
    assert.ok(finalDisk <= MiB + 8192, `disk at the end ${finalDisk}`);

    assert.deepEqual(info, { start: 268_788_897 - MiB, limit: 268_788_897 });
    const shown = JSON.parse(ok(home, ["show", id, "--json"]));
    assert.deepEqual(shown.streams.stdout, info);
    assert.equal(decode(raw(home, ["logs", id]).stdout), seqTail(n, MiB));
    assert.equal(ok(home, ["logs", id, "--tail", "2"]), `${n - 1}\n${n}`);

    // Ranges: inside the window, across its front edge, after its end.
    const { start, limit } = info;
    assert.equal(ok(home, ["logs", id, "--range", `${limit - 9}:${limit}`]), String(n));
    assert.equal(ok(home, ["logs", id, "--range", `${limit - 9}:`]), String(n));
    assert.equal(
      decode(raw(home, ["logs", id, "--range", `:${start + 10}`]).stdout),
      seqTail(n, MiB).slice(0, 10),
    );
    assert.equal(
      decode(raw(home, ["logs", id, "--range", `${start + 100}:${start + 120}`]).stdout),
      seqTail(n, MiB).slice(100, 120),
    );
    const straddling = raw(home, ["logs", id, "--range", `${start - 5}:${start + 5}`]);
    assert.equal(straddling.code, 2);
    assert.equal(straddling.stderr.trim().split("\n").length, 1);
    assert.match(straddling.stderr, new RegExp(`only ${start}:${limit} is kept`));
    assert.match(raw(home, ["logs", id, "--range", "12:35"]).stderr, /dropped by --retain/);
    const past = raw(home, ["logs", id, "--range", `${limit}:${limit + 10}`]);
    assert.equal(past.code, 0);
    assert.equal(past.stdout.length, 0, "nothing was written past the limit");
  });
});

describe("streams, data records and stdin", () => {
  let home: TempHome;
  before(() => {
    home = TempHome.create();
    writeFileSync(
      join(home.work, "emit.ts"),
      `import { context } from "bgt";
export default function () { context.emit({ k: 2 }); context.emit([1, "two"]); return 1; }
export function chatty(lines: number) {
  for (let i = 1; i <= lines; i++) console.log(String(i).padStart(99, "."));
}`,
    );
    const bytes = new Uint8Array(512);
    for (let i = 0; i < bytes.length; i++) bytes[i] = i % 256;
    writeFileSync(join(home.work, "bytes.bin"), bytes);
  });
  after(() => home.cleanup());

  test("--retain takes 1048576, 512KiB, 1MiB and 10MB, and refuses a bad size in one line", () => {
    for (
      const [text, bytes] of [["1048576", 1048576], ["512KiB", 524288], ["1MiB", MiB], [
        "10MB",
        1e7,
      ]]
    ) {
      const id = ok(home, ["run", "--retain", String(text), "--", "true"]);
      assert.match(ok(home, ["show", id]), new RegExp(`retain\\s+${bytes} B of each stream`));
    }
    for (const bad of ["abc", "0", "1XB", "12 parsecs", ""]) {
      const result = raw(home, ["run", "--retain", bad, "--", "true"]);
      assert.equal(result.code, 2, `--retain '${bad}'`);
      assert.equal(result.stderr.trim().split("\n").length, 1);
      assert.match(result.stderr, /^bgt: Cannot (parse|use) --retain/);
    }
  });

  test("--stdin is refused for a module task, in one line", () => {
    const result = raw(home, ["run", "--stdin", "emit.ts"]);
    assert.equal(result.code, 2);
    assert.equal(result.stderr, "bgt: Cannot use --stdin: it is for command and --shell tasks\n");
  });

  test("a module task's console output is trimmed to --retain too", () => {
    const id = ok(home, ["run", "--retain", "10KiB", "emit.ts#chatty", "5000"]);
    ok(home, ["wait", id]);
    const info = JSON.parse(ok(home, ["logs", id, "--json"])).stdout;
    assert.deepEqual(info, { start: 500_000 - 10240, limit: 500_000 });
    const kept = decode(raw(home, ["logs", id]).stdout);
    assert.equal(kept.length, 10240);
    assert.ok(kept.endsWith(`${"5000".padStart(99, ".")}\n`));
  });

  test("data records come from a command's fd 3 and a module's context.emit", () => {
    const command = ok(home, [
      "run",
      "--",
      "sh",
      "-c",
      'echo \'{"k":1}\' >&3; echo \'{"progress": 0.4, "message": "step 2"}\' >&3',
    ]);
    const module = ok(home, ["run", "emit.ts"]);
    ok(home, ["wait", command, module]);
    assert.equal(
      ok(home, ["logs", command, "--data"]),
      '{"k":1}\n{"progress": 0.4, "message": "step 2"}',
    );
    assert.equal(ok(home, ["logs", module, "--data"]), '{"k":2}\n[1,"two"]');
    const streams = JSON.parse(ok(home, ["logs", module, "--json"]));
    assert.deepEqual(streams.data, { start: 0, limit: 18 });
  });

  test(
    "a command's progress record on fd 3 updates its progress (show --json)",
    () => {
      const id = ok(home, [
        "run",
        "--",
        "sh",
        "-c",
        'echo \'{"progress": 0.4, "message": "step 2"}\' >&3; sleep 0.3',
      ]);
      waitFor(() => JSON.parse(ok(home, ["show", id, "--json"])).progress !== null);
      assert.deepEqual(JSON.parse(ok(home, ["show", id, "--json"])).progress, {
        fraction: 0.4,
        message: "step 2",
      });
      ok(home, ["wait", id]);
    },
  );

  test("logs -f follows several streams interleaved, each line prefixed, until the task ends", () => {
    const id = ok(home, [
      "run",
      "--",
      "sh",
      "-c",
      "echo o1; sleep 0.2; echo e1 >&2; sleep 0.2; echo '{\"d\":1}' >&3; sleep 0.2; echo o2; printf half",
    ]);
    assert.equal(
      ok(home, ["logs", "-f", "--all", id]),
      '[out] o1\n[err] e1\n[data] {"d":1}\n[out] o2\n[out] half',
    );
    assert.equal(
      ok(home, ["logs", "-f", "--stream", "stdout", "--stream", "stderr", id]),
      "[out] o1\n[out] o2\n[out] half\n[err] e1",
      "a finished task's streams, one after the other",
    );
    const waited = raw(home, ["run", "--wait", "--", "sh", "-c", "echo out; echo err >&2"]);
    assert.equal(decode(waited.stdout), "out\n", "run --wait keeps stdout and stderr apart");
    assert.equal(waited.stderr, "err\n");
  });

  test("binary output (every byte value) passes through logs, logs -f and --range unchanged", () => {
    const expected = readFileSync(join(home.work, "bytes.bin"));
    const id = ok(home, ["run", "--", "cat", "bytes.bin"]);
    ok(home, ["wait", id]);
    assert.deepEqual(raw(home, ["logs", id]).stdout, new Uint8Array(expected));
    assert.deepEqual(raw(home, ["logs", "-f", id]).stdout, new Uint8Array(expected));
    assert.deepEqual(
      raw(home, ["logs", id, "--range", "200:456"]).stdout,
      new Uint8Array(expected.subarray(200, 456)),
    );
  });

  test("a task without --stdin reads /dev/null; a --stdin task reads its FIFO", () => {
    const plain = ok(home, ["run", "--wait", "--", "readlink", "/proc/self/fd/0"]);
    assert.equal(plain, "/dev/null");
    const fed = ok(home, ["run", "--stdin", "--wait", "--", "readlink", "/proc/self/fd/0"]);
    assert.match(fed, /\/logs\/\d+\/stdin$/);
  });

  test("send reaches a --stdin task several times; --eof ends its input", () => {
    const id = ok(home, ["run", "--stdin", "--", "cat"]);
    // send reaches a running task only; under load the claim may come after this command.
    waitFor(() => JSON.parse(ok(home, ["show", id, "--json"])).status === "running");
    ok(home, ["send", id, "one"]);
    ok(home, ["send", id, "two", "words"]);
    ok(home, ["send", id, "-"], { input: "three" });
    ok(home, ["send", id, "--no-newline", "four"]);
    ok(home, ["send", id, "--eof"]);
    assert.equal(raw(home, ["wait", id]).code, 0);
    assert.equal(decode(raw(home, ["logs", id]).stdout), "one\ntwo words\nthreefour");
    const ended = raw(home, ["send", id, "more"]);
    assert.equal(ended.code, 1);
    assert.match(ended.stderr, /^bgt: Cannot send to task \d+: it is succeeded, not running\n$/);
    const plain = ok(home, ["run", "--", "sleep", "5"]);
    const refused = raw(home, ["send", plain, "x"]);
    assert.match(
      refused.stderr,
      /^bgt: Cannot send to task \d+: it was not started with --stdin\n$/,
    );
    ok(home, ["kill", plain]);
  });

  test("run --stdin forwards a piped stdin and then ends it (with and without --wait)", () => {
    const waited = raw(home, ["run", "--stdin", "--wait", "--", "cat"], {
      input: "piped line\nand another\n",
    });
    assert.equal(waited.code, 0, waited.stderr);
    assert.equal(decode(waited.stdout), "piped line\nand another\n");
    const big = "y".repeat(300_000);
    const id = ok(home, ["run", "--stdin", "--", "wc", "-c"], { input: big });
    ok(home, ["wait", id]);
    assert.equal(ok(home, ["logs", id]), "300000");
    // A task that stops reading early is no error for the client, as in a shell pipeline.
    const early = raw(home, ["run", "--stdin", "--wait", "--", "head", "-n", "1"], {
      // (Within a pipe's buffer, so that the test's own write of it cannot fail.)
      input: "first\n" + "rest\n".repeat(5_000),
    });
    assert.equal(early.code, 0, early.stderr);
    assert.equal(decode(early.stdout), "first\n");
  });

  test("signals still reach a --stdin task: kill --signal INT ends it at once", () => {
    const id = ok(home, ["run", "--stdin", "--", "sleep", "60"]);
    waitFor(() => existsSync(join(home.dir, "home", "logs", id, "stdin.holder")));
    const started = Date.now();
    ok(home, ["kill", "--signal", "INT", id]);
    raw(home, ["wait", id]);
    const shown = JSON.parse(ok(home, ["show", id, "--json"]));
    assert.equal(shown.status, "canceled");
    assert.equal(shown.exitCode, 130, "the command died of SIGINT (not of the SIGKILL after 5 s)");
    assert.ok(Date.now() - started < 4000);
  });
});

describe("streams across a supervisor crash", () => {
  let home: TempHome;
  before(() => (home = TempHome.create()));
  after(() => home.cleanup());

  test("a task's input works with no supervisor; the next one trims what grew past --retain meanwhile", () => {
    const id = ok(home, ["run", "--stdin", "--retain", "4KiB", "--", "cat"]);
    waitFor(() => existsSync(join(home.dir, "home", "logs", id, "stdin.holder")));
    const supervisor = JSON.parse(ok(home, ["daemon", "status", "--json"])).pid as number;
    process.kill(supervisor, "SIGKILL");
    waitFor(() =>
      !existsSync(`/proc/${supervisor}`) ||
      /State:\s+Z/.test(readFileSync(`/proc/${supervisor}/status`, "utf8"))
    );
    const lines = Array.from({ length: 400 }, (_, i) => `line ${String(i).padStart(4, "0")}`);
    const input = lines.join("\n") + "\n"; // 4,400 bytes × … = 400 lines of 10 bytes
    // Straight into the task's FIFO (`bgt send` would start a supervisor first).
    writeFileSync(join(home.dir, "home", "logs", id, "stdin"), input.repeat(5)); // 20,000 bytes
    const path = join(home.dir, "home", "logs", id, "stdout");
    waitFor(() => statSync(path).size === 20_000);
    assert.ok(
      !existsSync(join(home.dir, "home", "logs", id, "stdout.start")),
      "no supervisor trimmed meanwhile",
    );
    // A new supervisor (started by the next command) re-adopts the task and trims its streams.
    ok(home, ["daemon", "start"]);
    waitFor(() => JSON.parse(ok(home, ["logs", id, "--json"])).stdout.start > 0);
    ok(home, ["send", id, "--eof"]);
    assert.equal(raw(home, ["wait", id]).code, 0);
    const info = JSON.parse(ok(home, ["logs", id, "--json"])).stdout;
    assert.deepEqual(info, { start: 20_000 - 4096, limit: 20_000 });
    assert.equal(decode(raw(home, ["logs", id]).stdout), input.repeat(5).slice(-4096));
  });
});
