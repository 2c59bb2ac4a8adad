/**
 * End-to-end: running bgt as a service (issue 17) with the compiled binary. Every home has its
 * own config file (TempHome sets BGT_CONFIG), so no test reads the user's ~/.config.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { systemdUnit } from "../../src/cli/systemd_unit.ts";
import { serveSocket } from "../../src/ipc/socket_server.ts";
import type { SupervisorStatus } from "../../src/ipc/protocol.ts";
import { bgtHome, ensureHome } from "../../src/store/home.ts";
import { openSqlite } from "../../src/runtime/sqlite.ts";
import { migrate, MIGRATIONS } from "../../src/store/migrations.ts";
import { isAlive } from "../../src/runtime/process.ts";
import { BGT, sqliteOnly, TempHome, waitFor } from "../_helpers/bgt_home.ts";
import { skipWithReason } from "../_helpers/skip.ts";

const REPO = join(import.meta.dirname ?? ".", "../..");

/** A home of its own per test: each test starts and stops supervisors. */
function withHome(fn: (home: TempHome) => void | Promise<void>) {
  return async () => {
    const home = TempHome.create();
    try {
      await fn(home);
    } finally {
      home.cleanup();
    }
  };
}

const status = (home: TempHome) => JSON.parse(home.ok(["daemon", "status", "--json"]));
const show = (home: TempHome, id: string) => JSON.parse(home.ok(["show", id, "--json"]));

describe("config file and settings", () => {
  test(
    "with parallel = 3 in config.toml an auto-started supervisor reports parallel 3 (from config)",
    withHome((home) => {
      writeFileSync(home.configFile, '# mine\nparallel = 3\nkill_grace = "2s"\n');
      home.ok(["run", "--", "true"]); // starts the supervisor
      const state = status(home);
      assert.equal(state.up, true);
      assert.equal(state.parallel, 3);
      assert.equal(state.sources.parallel, "config");
      assert.equal(state.killGraceMs, 2000);
      assert.equal(state.sources.killGraceMs, "config");
      assert.equal(state.config, home.configFile);
    }),
  );

  test(
    "bgt parallel 5 applies now, survives bgt daemon restart and wins over the config file",
    withHome((home) => {
      writeFileSync(home.configFile, "parallel = 3\n");
      assert.equal(
        home.ok(["parallel"]),
        "parallel 3 (from config; no supervisor runs: the next one starts with it)",
      );
      home.ok(["daemon", "start"]);
      assert.match(home.ok(["parallel", "5"]), /^parallel 5 \(applied now; kept in the store\)$/);
      assert.equal(status(home).parallel, 5);
      assert.equal(status(home).sources.parallel, "store");
      const [host] = JSON.parse(home.ok(["hosts", "--json"]));
      assert.equal(host.slotsTotal, 5, "bgt hosts shows the new total");
      const before = status(home).pid;
      home.ok(["daemon", "restart"]);
      const after = status(home);
      assert.notEqual(after.pid, before);
      assert.equal(after.parallel, 5);
      assert.equal(after.sources.parallel, "store");
      assert.equal(home.ok(["parallel"]), "parallel 5 (from store)");
      // With none running, it is stored for the next one.
      home.ok(["daemon", "stop"]);
      assert.match(home.ok(["parallel", "2"]), /no supervisor runs: the next one starts with it/);
      home.ok(["daemon", "start"]);
      assert.equal(status(home).parallel, 2);
    }),
  );

  test(
    "bgt parallel --reset forgets the stored value: the config file's parallel is back",
    withHome((home) => {
      writeFileSync(home.configFile, "parallel = 3\n");
      home.ok(["parallel", "5"]);
      assert.match(home.ok(["parallel"]), /^parallel 5 \(from store/);
      assert.equal(
        home.ok(["parallel", "--reset"]),
        "parallel 3 (from config) for the next supervisor; the stored value is forgotten",
      );
      assert.match(home.ok(["parallel"]), /^parallel 3 \(from config/);
      home.ok(["daemon", "start"]);
      assert.equal(status(home).parallel, 3);
      home.ok(["parallel", "6"]);
      assert.match(home.ok(["parallel", "--reset"]), /the running one keeps 6 until/);
      home.ok(["daemon", "restart"]);
      assert.equal(status(home).parallel, 3);
      assert.equal(status(home).sources.parallel, "config");
      const both = home.bgt(["parallel", "--reset", "4"]);
      assert.equal(both.code, 2);
      assert.match(both.stderr, /^bgt: Cannot use --reset with a new limit N\n$/);
    }),
  );

  test(
    "daemon status --json with no supervisor says the parallel bgt parallel says (from config)",
    withHome((home) => {
      writeFileSync(home.configFile, "parallel = 3\n");
      const shown = home.bgt(["daemon", "status", "--json"]);
      assert.equal(shown.code, 3, "none runs");
      const state = JSON.parse(shown.stdout);
      assert.equal(state.up, false);
      assert.equal(state.parallel, 3);
      assert.equal(state.sources.parallel, "config");
      assert.match(home.ok(["parallel"]), /^parallel 3 \(from config/);
    }),
  );

  test(
    "a lower parallel starts no more tasks until fewer run; a higher one starts them at once",
    withHome((home) => {
      home.ok(["daemon", "start"]);
      home.ok(["parallel", "1"]);
      const first = home.ok(["run", "--", "sleep", "30"]);
      const second = home.ok(["run", "--", "sleep", "30"]);
      waitFor(() => show(home, first).status === "running", 20_000);
      assert.equal(show(home, second).status, "queued");
      home.ok(["parallel", "2"]);
      waitFor(() => show(home, second).status === "running", 20_000);
      home.ok(["kill", first, second]);
    }),
  );

  test(
    "a broken config.toml gives one line naming the file, the line and the problem; exit 2",
    withHome((home) => {
      writeFileSync(home.configFile, "parallel = 3\nstore = = 2\n");
      for (const words of [["ls"], ["run", "--", "true"], ["config", "get", "parallel"]]) {
        const result = home.bgt(words);
        assert.equal(result.code, 2, `bgt ${words.join(" ")}: ${result.stderr}`);
        assert.equal(
          result.stderr,
          `bgt: Cannot use config file ${home.configFile}: line 2: invalid value\n`,
        );
      }
      writeFileSync(home.configFile, 'parallel = "three"\n');
      const typed = home.bgt(["ls"]);
      assert.equal(typed.code, 2);
      assert.equal(
        typed.stderr,
        `bgt: Cannot use config file ${home.configFile}: line 1: parallel must be an integer of at least 1, not "three"\n`,
      );
      assert.equal(home.supervisorPids().length, 0, "no supervisor started on a broken config");
    }),
  );

  test(
    "bgt config path, set and get keep the file's comments and refuse a bad value",
    withHome((home) => {
      assert.equal(home.ok(["config", "path"]), home.configFile);
      assert.equal(home.bgt(["config", "get", "parallel"]).code, 1, "unset: exit 1");
      writeFileSync(home.configFile, "# my settings\nparallel = 2\n");
      home.ok(["config", "set", "parallel", "4"]);
      home.ok(["config", "set", "kill_grace", "10s"]);
      home.ok(["config", "set", "ui.listen", "127.0.0.1:8080"]);
      home.ok(["config", "set", "autostart", "false"]);
      assert.equal(home.ok(["config", "get", "parallel"]), "4");
      assert.equal(home.ok(["config", "get", "kill_grace"]), "10s");
      assert.equal(home.ok(["config", "get", "ui.listen"]), "127.0.0.1:8080");
      assert.equal(home.ok(["config", "get", "autostart"]), "false");
      const text = readFileSync(home.configFile, "utf8");
      assert.match(text, /^# my settings\nparallel = 4\nkill_grace = "10s"\nautostart = false\n/);
      assert.match(text, /\n\[ui\]\nlisten = "127\.0\.0\.1:8080"\n$/);
      const bad = home.bgt(["config", "set", "parallel", "zero"]);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /^bgt: Cannot use config file .*: line 2: parallel must be/);
      assert.equal(readFileSync(home.configFile, "utf8"), text, "the file is unchanged");
      const unknown = home.bgt(["config", "set", "paralel", "3"]);
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /^bgt: Cannot use config key 'paralel': expected one of /);
    }),
  );

  test(
    "the config file's retain is the default --retain of a task",
    withHome((home) => {
      writeFileSync(home.configFile, 'retain = "1KiB"\n');
      const id = home.ok(["run", "--", "true"]);
      const given = home.ok(["run", "--retain", "2KiB", "--", "true"]);
      home.ok(["wait", id, given]);
      assert.match(home.ok(["show", id]), /retain\s+1024 B of each stream/);
      assert.match(home.ok(["show", given]), /retain\s+2048 B of each stream/);
    }),
  );
});

describe("[retention]", () => {
  test(
    "keeps a finished task a blocked one depends on: the dependant runs when its other dependency ends",
    withHome((home) => {
      const first = home.ok(["run", "--", "true"]);
      home.ok(["wait", first]);
      const slow = home.ok(["run", "--", "sleep", "4"]);
      const dependant = home.ok(["run", "--after", `${first},${slow}`, "--", "true"]);
      assert.equal(show(home, dependant).status, "blocked");
      // A supervisor started with [retention] count = 0 prunes at once.
      writeFileSync(home.configFile, "[retention]\ncount = 0\n");
      home.ok(["daemon", "restart"]);
      const waited = home.bgt(["wait", dependant], { timeoutMs: 30_000 });
      assert.equal(waited.code, 0, waited.stderr);
      assert.equal(show(home, dependant).status, "succeeded");
    }),
  );
});

describe("restart policies", () => {
  test(
    "--restart on-failure runs a failing command at least 3 times in 4 s; bgt kill stops it",
    withHome((home) => {
      const id = home.ok(["run", "--restart", "on-failure", "--", "sh", "-c", "sleep 0.2; exit 1"]);
      waitFor(() => show(home, id).attempt >= 4, 30_000);
      // Three whole runs (0.2 s each, 0.1 s and 0.2 s apart) as the store timed them: from the
      // first start to the third end well within 4 s, even on a loaded machine.
      const attempts = JSON.parse(home.ok(["show", id, "--json", "--attempts"])).attempts;
      assert.ok(attempts.length >= 3);
      const span = Date.parse(attempts[2].finishedAt) - Date.parse(attempts[0].startedAt);
      assert.ok(span < 4_000, `3 runs took ${span} ms`);
      assert.deepEqual(attempts.slice(0, 3).map((a: { exitCode: number }) => a.exitCode), [
        1,
        1,
        1,
      ]);
      const task = show(home, id);
      assert.equal(task.restart, "on-failure");
      assert.ok(task.restarts >= 2, `restarts ${task.restarts}`);
      assert.match(home.ok(["ls"]), /\bRESTARTS\b/);
      home.ok(["kill", id]);
      waitFor(() => show(home, id).status === "canceled", 20_000);
      const last = show(home, id).attempt;
      // Stopped for good: no attempt follows, even after the longest delay so far.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1_500);
      assert.equal(show(home, id).status, "canceled");
      assert.equal(show(home, id).attempt, last);
    }),
  );

  test(
    "--restart on-failure leaves a success ended; --restart always runs it again; --max-restarts bounds it",
    withHome((home) => {
      const succeeds = home.ok(["run", "--restart", "on-failure", "--", "true"]);
      const always = home.ok([
        "run",
        "--restart",
        "always",
        "--max-restarts",
        "2",
        "--",
        "true",
      ]);
      home.ok(["wait", succeeds, always]);
      assert.equal(show(home, succeeds).status, "succeeded");
      assert.equal(show(home, succeeds).attempt, 1);
      assert.equal(show(home, always).status, "succeeded");
      assert.equal(show(home, always).attempt, 3, "the first run and 2 restarts");
      assert.equal(show(home, always).restarts, 2);
    }),
  );

  test(
    "--restart with --retries, or --max-restarts without --restart, is refused",
    withHome((home) => {
      const both = home.bgt(["run", "--restart", "always", "--retries", "2", "--", "true"]);
      assert.equal(both.code, 2);
      assert.match(both.stderr, /Cannot use --restart with --retries/);
      const alone = home.bgt(["run", "--max-restarts", "2", "--", "true"]);
      assert.equal(alone.code, 2);
      assert.match(alone.stderr, /Cannot use --max-restarts without --restart/);
      const policy = home.bgt(["run", "--restart", "sometimes", "--", "true"]);
      assert.equal(policy.code, 2);
      assert.match(policy.stderr, /expected one of on-failure, always/);
    }),
  );

  test(
    "bgt restart of a running task kills it and starts a new attempt",
    withHome((home) => {
      const id = home.ok(["run", "--restart", "always", "--", "sleep", "30"]);
      waitFor(() => show(home, id).status === "running", 20_000);
      const pid = show(home, id).pid;
      assert.equal(home.ok(["restart", id]), `${id} attempt 2`);
      waitFor(() => show(home, id).status === "running" && show(home, id).attempt === 2, 20_000);
      assert.notEqual(show(home, id).pid, pid);
      waitFor(() => !isAlive(pid), 10_000);
      home.ok(["kill", id]);
    }),
  );
});

describe("stopping a --restart service that exits 0 on SIGTERM", () => {
  const SERVICE = ["sh", "-c", 'trap "exit 0" TERM; while :; do sleep 0.1; done'];
  const pause = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

  test(
    "bgt kill stops it for good, and bgt restart then runs it once more without hanging",
    withHome((home) => {
      const id = home.ok(["run", "--restart", "always", "--", ...SERVICE]);
      waitFor(() => show(home, id).status === "running", 20_000);
      home.ok(["kill", id]);
      waitFor(() => show(home, id).status === "succeeded", 20_000);
      pause(1_500);
      assert.equal(show(home, id).status, "succeeded", "not restarted after the kill");
      assert.equal(show(home, id).attempt, 1);
      const restarted = home.bgt(["restart", id], { timeoutMs: 30_000 });
      assert.equal(restarted.code, 0, restarted.stderr);
      assert.equal(restarted.stdout, `${id} attempt 2\n`);
      waitFor(() => show(home, id).status === "running" && show(home, id).attempt === 2, 20_000);
      // A running one: bgt restart kills it (it exits 0) and runs it again, and returns.
      const again = home.bgt(["restart", id], { timeoutMs: 30_000 });
      assert.equal(again.code, 0, again.stderr);
      waitFor(() => show(home, id).status === "running" && show(home, id).attempt === 3, 20_000);
      home.ok(["kill", id]);
      waitFor(() => show(home, id).status === "succeeded", 20_000);
    }),
  );

  test(
    "bgt kill stops every one of 6 services that restart at once (no run slips through)",
    withHome((home) => {
      const ids = Array.from({ length: 6 }, () =>
        home.ok([
          "run",
          "--restart",
          "always",
          "--restart-delay",
          "0",
          "--",
          "sh",
          "-c",
          "sleep 0.01",
        ]));
      waitFor(() => ids.every((id) => show(home, id).attempt >= 3), 30_000);
      home.ok(["kill", ...ids]);
      waitFor(
        () => ids.every((id) => ["succeeded", "canceled"].includes(show(home, id).status)),
        20_000,
      );
      const attempts = ids.map((id) => show(home, id).attempt);
      pause(1_500);
      assert.deepEqual(
        ids.map((id) => show(home, id).status).filter((s) =>
          !["succeeded", "canceled"].includes(s)
        ),
        [],
      );
      assert.deepEqual(ids.map((id) => show(home, id).attempt), attempts, "no attempt after");
    }),
  );

  test(
    "bgt restart of a service waiting out its backoff runs it now, its delay back to the first",
    withHome((home) => {
      const id = home.ok([
        "run",
        "--restart",
        "on-failure",
        "--restart-delay",
        "10s",
        "--",
        "sh",
        "-c",
        "exit 1",
      ]);
      waitFor(() => show(home, id).status === "queued" && show(home, id).restarts === 1, 20_000);
      // Past its one attempt it waits for a restart, not for "retry 2 of 1".
      assert.match(show(home, id).waiting, /^restarting at .* \(--restart on-failure\)$/);
      const restarted = home.bgt(["restart", id]);
      assert.equal(restarted.code, 0, restarted.stderr);
      assert.equal(restarted.stdout, `${id} attempt 2\n`);
      // It ran now, failed, and waits the first delay again (10 s; with the streak kept, 15 s).
      waitFor(() => show(home, id).attempt === 2 && show(home, id).status === "queued", 8_000);
      const task = JSON.parse(home.ok(["show", id, "--json", "--attempts"]));
      const wait = Date.parse(task.runAt) - Date.parse(task.attempts[1].finishedAt);
      assert.ok(wait >= 9_000 && wait <= 12_000, `next run in ${wait} ms`);
      home.ok(["kill", id]);
      waitFor(() => show(home, id).status === "canceled", 20_000);
    }),
  );
});

describe("resource use", () => {
  test(
    "ls has CPU and MEM columns; ls --json and show give cpu, memory of the process tree and uptime",
    withHome((home) => {
      // A tree: sh, a sleep, and awk (holding 60 MB) with its own sh and sleep below it.
      const big = `awk 'BEGIN { s = sprintf("%60000000s", ""); system("sleep 30") }'`;
      const id = home.ok(["run", "--", "sh", "-c", `sleep 30 & ${big}; wait`]);
      waitFor(() => show(home, id).status === "running", 20_000);
      // The tree's memory, not sh's alone (about 1 MB): awk's 60 MB are its grandchild's.
      waitFor(() => (show(home, id).usage?.rssBytes ?? 0) > 50_000_000, 20_000);
      const [header, row] = home.ok(["ls"]).split("\n");
      assert.match(header, /^ID\s+STATUS\s+NAME\/COMMAND\s+AGE\s+DURATION\s+CPU\s+MEM$/);
      assert.match(
        row,
        new RegExp(`^${id}\\s+running\\s.*\\s\\d+(\\.\\d)?%\\s+\\d+(\\.\\d)?[KMG]$`),
      );
      const [listed] = JSON.parse(home.ok(["ls", "--json"]));
      assert.equal(typeof listed.usage.cpuPercent, "number");
      assert.ok(listed.usage.rssBytes > 50_000_000, `rss ${listed.usage.rssBytes}`);
      assert.ok(listed.usage.uptimeMs >= 0);
      const shown = show(home, id);
      assert.ok(shown.usage.rssBytes > 0);
      assert.match(
        home.ok(["show", id]),
        /\ncpu\s+\S+%\nmemory\s+\S+ \(RSS of its process tree\)\nuptime\s+/,
      );
      home.ok(["kill", id]);
      home.bgt(["wait", id]);
      assert.equal(show(home, id).usage, null, "a finished task uses nothing");
    }),
  );
});

describe("a service under systemd", () => {
  test("contrib/systemd/bgt.service is a complete user unit", () => {
    const unit = readFileSync(join(REPO, "contrib/systemd/bgt.service"), "utf8");
    for (
      const line of [
        "[Unit]",
        "[Service]",
        "Restart=on-failure",
        "KillMode=process",
        "[Install]",
        "WantedBy=default.target",
      ]
    ) {
      assert.ok(unit.split("\n").includes(line), `has ${line}`);
    }
    assert.match(unit, /^ExecStart=\S+ supervise$/m);
    // The file is what `daemon install` writes, for a binary in ~/.local/bin.
    assert.equal(unit, systemdUnit({ execStart: "%h/.local/bin/bgt supervise" }));
  });

  test("systemd itself reads the unit without a warning (systemd-analyze verify)", (t) => {
    const which = spawnSync("sh", ["-c", "command -v systemd-analyze"], { encoding: "utf8" });
    if (which.status !== 0) return skipWithReason(t, "systemd-analyze is not installed");
    const dir = mkdtempSync(join(tmpdir(), "bgt-unit-"));
    try {
      // The unit as `daemon install` would write it for this binary.
      const unit = readFileSync(join(REPO, "contrib/systemd/bgt.service"), "utf8")
        .replace("%h/.local/bin/bgt", BGT);
      writeFileSync(join(dir, "bgt.service"), unit);
      const verified = spawnSync("systemd-analyze", ["verify", join(dir, "bgt.service")], {
        encoding: "utf8",
        timeout: 30_000,
      });
      assert.equal(verified.status, 0, verified.stderr);
      assert.equal(verified.stderr.trim(), "", "no warning");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test(
    "bgt daemon install writes the unit for this binary and prints the two commands",
    withHome((home) => {
      const xdg = join(home.dir, "xdg");
      const result = home.bgt(["daemon", "install"], { env: { XDG_CONFIG_HOME: xdg } });
      assert.equal(result.code, 0, result.stderr);
      const path = join(xdg, "systemd", "user", "bgt.service");
      assert.equal(
        result.stdout,
        `wrote ${path}\nto run the supervisor now and at every boot:\n` +
          "  systemctl --user enable --now bgt\n  loginctl enable-linger\n",
      );
      const unit = readFileSync(path, "utf8");
      assert.match(unit, /^ExecStart=\S+\/dist\/bgt supervise$/m);
      assert.match(unit, new RegExp(`^Environment=BGT_HOME=${join(home.dir, "home")}$`, "m"));
      assert.match(unit, /^KillMode=process$/m);
      assert.match(unit, /^\[Install\]\nWantedBy=default\.target$/m);
      // The same again is fine; a different file is not replaced without --force.
      assert.equal(home.bgt(["daemon", "install"], { env: { XDG_CONFIG_HOME: xdg } }).code, 0);
      writeFileSync(path, "[Unit]\n# mine\n");
      const refused = home.bgt(["daemon", "install"], { env: { XDG_CONFIG_HOME: xdg } });
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /exists and differs/);
      const forced = home.bgt(["daemon", "install", "--force"], { env: { XDG_CONFIG_HOME: xdg } });
      assert.equal(forced.code, 0);
      assert.equal(readFileSync(path, "utf8"), unit);
    }),
  );

  test(
    "bgt daemon install escapes % and $ as systemd reads them (a binary and a home so named)",
    withHome((home) => {
      const dir = join(home.dir, "a 100% $HOME");
      mkdirSync(dir);
      const binary = join(dir, "bgt");
      try {
        linkSync(BGT, binary);
      } catch {
        copyFileSync(BGT, binary);
      }
      const weird = join(home.dir, "home 5% $USER");
      const result = spawnSync(binary, ["daemon", "install", "--print"], {
        env: home.env({ BGT_HOME: weird }),
        encoding: "utf8",
        timeout: 30_000,
      });
      assert.equal(result.status, 0, result.stderr);
      const unit = result.stdout;
      assert.ok(
        unit.includes(`\nExecStart="${dir.replaceAll("%", "%%")}/bgt" supervise\n`),
        unit,
      );
      assert.ok(
        unit.includes(`\nEnvironment="BGT_HOME=${weird.replaceAll("%", "%%")}"\n`),
        unit,
      );
      const which = spawnSync("sh", ["-c", "command -v systemd-analyze"]);
      if (which.status !== 0) return; // the text is checked; systemd is not here to read it
      // systemd finds the binary by the path it reads back (a wrong one is "not executable").
      const unitFile = join(home.dir, "bgt.service");
      writeFileSync(unitFile, unit);
      const verified = spawnSync("systemd-analyze", ["verify", unitFile], {
        encoding: "utf8",
        timeout: 30_000,
      });
      assert.equal(verified.status, 0, verified.stderr);
    }),
  );

  test(
    "bgt daemon install keeps a home and config found through XDG_STATE_HOME / XDG_CONFIG_HOME",
    withHome((home) => {
      const xdg = join(home.dir, "xdg");
      const env: Record<string, string> = {
        ...home.env({ XDG_STATE_HOME: join(xdg, "state"), XDG_CONFIG_HOME: join(xdg, "config") }),
      };
      delete env.BGT_HOME;
      delete env.BGT_CONFIG;
      delete env.BGT_STORE;
      const result = spawnSync(BGT, ["daemon", "install", "--print"], {
        env,
        encoding: "utf8",
        timeout: 30_000,
      });
      assert.equal(result.status, 0, result.stderr);
      const environment = result.stdout.split("\n").filter((line) =>
        line.startsWith("Environment=")
      );
      assert.deepEqual(environment, [
        `Environment=BGT_HOME=${join(xdg, "state", "bgt")}`,
        `Environment=BGT_CONFIG=${join(xdg, "config", "bgt", "config.toml")}`,
      ]);
    }),
  );

  test(
    "bgt daemon install --force over a 0644 unit leaves it 0600 (it may hold a BGT_STORE password)",
    withHome((home) => {
      const xdg = join(home.dir, "xdg");
      const path = join(xdg, "systemd", "user", "bgt.service");
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, "[Unit]\n# mine\n", { mode: 0o644 });
      chmodSync(path, 0o644);
      const forced = home.bgt(["daemon", "install", "--force"], { env: { XDG_CONFIG_HOME: xdg } });
      assert.equal(forced.code, 0, forced.stderr);
      assert.equal(statSync(path).mode & 0o777, 0o600);
      assert.match(readFileSync(path, "utf8"), /^ExecStart=/m);
    }),
  );

  test(
    "BGT_NO_AUTOSTART=1 bgt run -- true starts no supervisor and says once that none runs",
    withHome((home) => {
      const env = { BGT_NO_AUTOSTART: "1" };
      const result = home.bgt(["run", "--", "true"], { env });
      assert.equal(result.code, 0, result.stderr);
      const id = result.stdout.trim();
      assert.equal(
        result.stderr,
        `bgt: no supervisor runs for ${
          join(home.dir, "home")
        } and none is started (BGT_NO_AUTOSTART=1): tasks wait until one runs; start it with 'systemctl --user start bgt' or 'bgt daemon start'\n`,
      );
      const listed = home.bgt(["ls"], { env });
      assert.equal(listed.code, 0);
      assert.equal(listed.stderr.split("\n").filter(Boolean).length, 1, "said once");
      assert.match(listed.stdout, new RegExp(`^${id}\\s+queued`, "m"));
      assert.equal(home.supervisorPids().length, 0, "no supervisor started");
      assert.equal(JSON.parse(home.bgt(["daemon", "status", "--json"], { env }).stdout).up, false);
      // `wait` needs one: it fails in one line rather than starting one.
      const waited = home.bgt(["wait", id], { env });
      assert.equal(waited.code, 1);
      assert.match(waited.stderr, /^bgt: Cannot reach the supervisor: no supervisor runs/);
      assert.equal(home.supervisorPids().length, 0);
      // An explicit start does start one, and the task runs.
      home.ok(["daemon", "start"]);
      home.ok(["wait", id]);
      assert.equal(show(home, id).status, "succeeded");
    }),
  );

  test(
    "BGT_NO_AUTOSTART=1: bgt kill cancels queued and blocked tasks in the store, starting nothing",
    withHome((home) => {
      const env = { BGT_NO_AUTOSTART: "1" };
      const statusOf = (id: string) =>
        JSON.parse(home.bgt(["show", id, "--json"], { env }).stdout).status;
      const queued = home.bgt(["run", "--", "true"], { env }).stdout.trim();
      const blocked = home.bgt(["run", "--after", queued, "--", "true"], { env }).stdout.trim();
      const other = home.bgt(["run", "--", "true"], { env }).stdout.trim();
      const killed = home.bgt(["kill", queued], { env });
      assert.equal(killed.code, 0, killed.stderr);
      assert.equal(statusOf(queued), "canceled");
      assert.equal(statusOf(blocked), "failed", "its dependant settles");
      const both = home.bgt(["kill", other, blocked], { env });
      assert.equal(both.code, 0, both.stderr);
      assert.equal(statusOf(other), "canceled");
      assert.equal(home.supervisorPids().length, 0, "no supervisor started");
    }),
  );

  test(
    "BGT_NO_AUTOSTART=1 bgt run --wait is refused in one line before anything is submitted",
    withHome((home) => {
      const result = home.bgt(["run", "--wait", "--", "echo", "hi"], {
        env: { BGT_NO_AUTOSTART: "1" },
      });
      assert.equal(result.code, 1);
      assert.equal(result.stdout, "");
      assert.equal(result.stderr.split("\n").filter(Boolean).length, 1, result.stderr);
      assert.match(result.stderr, /^bgt: Cannot reach the supervisor: no supervisor runs/);
      assert.equal(home.supervisorPids().length, 0, "no supervisor started");
      assert.deepEqual(JSON.parse(home.ok(["ls", "--json"])), [], "no task submitted");
    }),
  );

  test(
    "a supervisor run as the unit runs it (bgt supervise, foreground) starts as an auto-started one and re-adopts tasks after SIGTERM",
    withHome(async (home) => {
      writeFileSync(home.configFile, "parallel = 3\nautostart = false\n");
      home.ok(["parallel", "4"]); // kept in the store, before any supervisor ran
      const unitLike = () =>
        spawn(BGT, ["supervise"], { env: home.env(), cwd: home.work, stdio: "ignore" });
      let supervisor = unitLike();
      try {
        waitFor(() => home.bgt(["daemon", "status"]).code === 0, 20_000);
        const state = status(home);
        assert.equal(state.pid, supervisor.pid);
        assert.equal(state.parallel, 4);
        assert.deepEqual(state.sources, { parallel: "store", killGraceMs: "default" });
        const id = home.ok(["run", "--", "sh", "-c", "sleep 3; echo done"]);
        waitFor(() => show(home, id).status === "running", 20_000);
        // `systemctl --user restart bgt`: SIGTERM to the supervisor alone (KillMode=process).
        const ended = new Promise((resolve) => supervisor.on("exit", resolve));
        supervisor.kill("SIGTERM");
        await ended;
        assert.equal(show(home, id).status, "running", "the command task outlives it");
        supervisor = unitLike();
        waitFor(() => home.bgt(["daemon", "status"]).code === 0, 20_000);
        home.ok(["wait", id]);
        assert.equal(show(home, id).status, "succeeded");
        assert.equal(home.ok(["logs", id]), "done");
      } finally {
        supervisor.kill("SIGKILL");
      }
    }),
  );

  test(
    "autostart = false in config.toml is the same as BGT_NO_AUTOSTART=1",
    withHome((home) => {
      writeFileSync(home.configFile, "autostart = false\n");
      const result = home.bgt(["run", "--", "true"]);
      assert.equal(result.code, 0);
      assert.match(result.stderr, /none is started \(autostart = false in .*config\.toml\)/);
      assert.equal(home.supervisorPids().length, 0);
    }),
  );

  test(
    "after a reboot running tasks are lost and retried per policy; --restart always tasks come back",
    withHome((home) => {
      home.ok(["parallel", "4"]); // the three at once, whatever the cores
      const service = home.ok(["run", "--restart", "always", "--", "sleep", "60"]);
      const retried = home.ok(["run", "--retries", "1", "--", "sleep", "60"]);
      const once = home.ok(["run", "--", "sleep", "60"]);
      for (const id of [service, retried, once]) {
        waitFor(() => show(home, id).status === "running", 20_000);
      }
      // A reboot: every process goes, the supervisor and the tasks alike.
      const supervisors = home.supervisorPids();
      for (const pid of supervisors) process.kill(pid, "SIGKILL");
      for (const id of [service, retried, once]) home.killTaskProcesses(Number(id));
      waitFor(() => supervisors.every((pid) => !isAlive(pid)), 10_000);
      // The next command starts a supervisor, which records the runs lost and applies policies.
      home.ok(["ls"]);
      waitFor(() => show(home, once).status === "lost", 20_000);
      waitFor(
        () => show(home, service).status === "running" && show(home, service).attempt === 2,
        20_000,
      );
      waitFor(
        () => show(home, retried).status === "running" && show(home, retried).attempt === 2,
        20_000,
      );
      assert.equal(show(home, service).restarts, 1);
      home.ok(["kill", service, retried]);
    }),
  );
});

describe("upgrades", () => {
  test("a schema migration logs migrated N→M and keeps a copy of bgt.db from before it", (t) => {
    if (sqliteOnly(t, "it reads bgt.db")) return;
    return withHome(async (home) => {
      const dir = join(home.dir, "home");
      ensureHome(bgtHome({ BGT_HOME: dir }));
      const path = join(dir, "bgt.db");
      const older = MIGRATIONS.length - 1;
      const db = await openSqlite(path);
      migrate(db, { to: older });
      db.exec(
        `INSERT INTO tasks (kind, spec, status, run_at, created_at, cwd)
         VALUES ('command', x'00', 'succeeded', 0, 0, '/')`,
      );
      db.close();
      const result = home.bgt(["ls", "-q"]);
      assert.equal(result.code, 0, result.stderr);
      const copy = `${path}.v${older}.bak`;
      assert.match(
        result.stderr,
        new RegExp(
          `^bgt: migrated ${older}→${MIGRATIONS.length}: the schema of ${path} \\(its copy from before: ${
            copy.replaceAll(".", "\\.")
          }\\)$`,
          "m",
        ),
      );
      assert.ok(existsSync(copy));
      const kept = await openSqlite(copy);
      const version = kept.prepare("PRAGMA user_version").get<{ user_version: number }>();
      const rows = kept.prepare("SELECT count(*) AS n FROM tasks").get<{ n: number }>();
      kept.close();
      assert.equal(version?.user_version, older);
      assert.equal(Number(rows?.n), 1);
      // Once is enough: the next command finds nothing to migrate.
      assert.doesNotMatch(home.bgt(["ls", "-q"]).stderr, /migrated/);
    })();
  });

  test(
    "daemon status reports a supervisor of another version than the CLI",
    withHome(async (home) => {
      const dir = join(home.dir, "home");
      const bgtHomeOf = bgtHome({ BGT_HOME: dir });
      ensureHome(bgtHomeOf);
      mkdirSync(join(bgtHomeOf.socket, ".."), { recursive: true });
      const fake: SupervisorStatus = {
        pid: process.pid,
        startedAt: Date.now(),
        version: "0.0.1-old",
        home: dir,
        running: 0,
        queued: 0,
        parallel: 1,
        counts: {},
      };
      const server = await serveSocket(
        bgtHomeOf.socket,
        (request) =>
          Promise.resolve(
            request.type === "status"
              ? { ok: true as const, type: "status" as const, status: fake }
              : { ok: true as const, type: "notified" as const },
          ),
      );
      try {
        const result = await _bgtAsync(home, ["daemon", "status", "--json"]);
        assert.equal(result.code, 0, result.stderr);
        const json = JSON.parse(result.stdout);
        assert.deepEqual(json.versionMismatch, { cli: json.cliVersion, supervisor: "0.0.1-old" });
        assert.match(
          result.stderr,
          /^bgt: the supervisor runs bgt 0\.0\.1-old, this command is bgt \S+: restart it/,
        );
        assert.match(result.stderr, /'bgt daemon restart', or 'systemctl --user restart bgt'/);
      } finally {
        server.close();
      }
    }),
  );
});

/** Runs bgt without blocking this process's event loop (the fake supervisor above serves it). */
async function _bgtAsync(home: TempHome, words: string[]) {
  const child = spawn(BGT, words, { env: home.env(), cwd: home.work });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const code = await new Promise<number>((resolve) => child.on("close", (c) => resolve(c ?? 128)));
  return { code, stdout, stderr };
}
