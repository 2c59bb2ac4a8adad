/**
 * Issue 12 item 17: `logs --attempt N` prints what attempt N wrote; on a terminal a separator
 * goes between attempts and a note says how many bytes `--retain` dropped; piped, the output
 * stays the raw bytes.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { BGT, TempHome } from "../_helpers/bgt_home.ts";

/** Runs a shell line under a pseudo-terminal (`script`); what the terminal showed. */
function onTerminal(home: TempHome, line: string): string {
  const result = spawnSync("script", ["-qfec", line, "/dev/null"], {
    cwd: home.work,
    env: home.env(),
    encoding: "utf8",
    timeout: 60_000,
  });
  return (result.stdout ?? "").replaceAll("\r\n", "\n");
}

describe("attempts in logs", () => {
  let home: TempHome;
  let id: string;
  before(() => {
    home = TempHome.create();
    // Each attempt counts itself in a file of its own and says which it is, then fails.
    id = home.ok([
      "run",
      "--retries",
      "2",
      "--backoff",
      "10ms",
      "--",
      "sh",
      "-c",
      'n=$(($(cat count 2>/dev/null || echo 0) + 1)); echo $n > count; echo "attempt $n"; echo "e$n" >&2; exit 3',
    ]);
    home.bgt(["wait", id]);
  });
  after(() => home.cleanup());

  test("--attempt N prints only what attempt N wrote", () => {
    assert.deepEqual(home.bgt(["logs", id, "--attempt", "2"]), {
      code: 0,
      stdout: "attempt 2\n",
      stderr: "e2\n",
    });
    assert.equal(home.ok(["logs", id, "--attempt", "3", "--stderr"]), "e3");
    assert.equal(home.ok(["logs", id, "--attempt", "1", "--tail", "1"]), "attempt 1");
    assert.deepEqual(JSON.parse(home.ok(["logs", id, "--attempt", "2", "--json"])).stdout, {
      start: 10,
      limit: 20,
    });
  });

  test("piped, logs prints every attempt's bytes unchanged, without separators", () => {
    assert.deepEqual(home.bgt(["logs", id]), {
      code: 0,
      stdout: "attempt 1\nattempt 2\nattempt 3\n",
      stderr: "e1\ne2\ne3\n",
    });
  });

  test("on a terminal, a separator goes before each attempt", () => {
    assert.equal(
      onTerminal(home, `${BGT} logs ${id}`),
      [1, 2, 3].map((n) => `── attempt ${n} ──\nattempt ${n}\n[err] e${n}\n`).join(""),
    );
    assert.equal(
      onTerminal(home, `${BGT} logs ${id} --attempt 2 --stdout`),
      "── attempt 2 ──\nattempt 2\n",
    );
  });

  test("--attempt beyond the task's attempts is refused in one line", () => {
    const result = home.bgt(["logs", id, "--attempt", "4"]);
    assert.equal(result.code, 2);
    assert.equal(
      result.stderr,
      `bgt: Cannot show attempt 4 of task ${id}: it has had 3 attempts (see 'bgt show ${id} --attempts')\n`,
    );
  });

  test("on a terminal, a note says how many bytes --retain dropped; piped, none", () => {
    // seq 1 2000 writes 8,893 bytes; 1 KiB is kept, 7,869 bytes (7.7 KiB) are dropped.
    const retained = home.ok(["run", "--retain", "1KiB", "--", "seq", "1", "2000"]);
    home.bgt(["wait", retained]);
    const shown = onTerminal(home, `${BGT} logs ${retained}`);
    assert.match(shown, /^… 7\.7 KiB of stdout dropped by --retain …\n/);
    assert.ok(shown.endsWith("1999\n2000\n"));
    const piped = home.bgt(["logs", retained]);
    assert.equal(piped.stdout.length, 1024, "piped: the kept bytes alone");
    assert.equal(piped.stderr, "");
  });
});
