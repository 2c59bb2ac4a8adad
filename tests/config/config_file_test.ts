import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { ConfigError, configPath, loadConfig, parseConfig } from "../../src/config/config_file.ts";
import { skipWithReason } from "../_helpers/skip.ts";

const dir = mkdtempSync(join(tmpdir(), "bgt-config-test-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function configFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function thrown(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error}`);
    return error;
  }
  assert.fail("expected a ConfigError");
}

test("configPath() prefers BGT_CONFIG, then XDG_CONFIG_HOME, then ~/.config", () => {
  assert.equal(configPath({ BGT_CONFIG: "/etc/bgt.toml", XDG_CONFIG_HOME: "/x" }), "/etc/bgt.toml");
  assert.equal(configPath({ XDG_CONFIG_HOME: "/x", HOME: "/h" }), "/x/bgt/config.toml");
  assert.equal(configPath({ HOME: "/h" }), "/h/.config/bgt/config.toml");
});

test("loadConfig() gives {} when the file does not exist", () => {
  assert.deepEqual(loadConfig({ BGT_CONFIG: join(dir, "missing.toml") }), {});
  assert.deepEqual(loadConfig({ XDG_CONFIG_HOME: join(dir, "nowhere") }), {});
});

test("loadConfig() reads every key, in camelCase, with durations in ms and sizes in bytes", () => {
  const path = configFile(
    "full.toml",
    `# bgt's config
store = "postgres://bgt@db:5432/bgt"
parallel = 3
kill_grace = "10s"
retain = "10MB"
host = "web-1"
labels = ["gpu", "eu"]
autostart = false
webhook_secret = "s3cret"

[retention]
days = 7
count = 1000

[ui]
listen = "127.0.0.1:8080"

[[hooks]]
on = "failure"
run = "notify-send failed"

[[hooks]]
on = "success"
webhook = "https://example.com/hook"
`,
  );
  assert.deepEqual(loadConfig({ BGT_CONFIG: path }), {
    store: "postgres://bgt@db:5432/bgt",
    parallel: 3,
    killGrace: 10_000,
    retain: 10_000_000,
    host: "web-1",
    labels: ["gpu", "eu"],
    autostart: false,
    webhookSecret: "s3cret",
    retention: { days: 7, count: 1000 },
    ui: { listen: "127.0.0.1:8080" },
    hooks: [
      { on: "failure", run: "notify-send failed" },
      { on: "success", webhook: "https://example.com/hook" },
    ],
  });
});

test("kill_grace and retain also take plain numbers (seconds, bytes)", () => {
  assert.deepEqual(parseConfig("kill_grace = 2.5\nretain = 4096\n", "c.toml"), {
    killGrace: 2500,
    retain: 4096,
  });
  assert.deepEqual(parseConfig(`kill_grace = "1m30s"\nretain = "512KiB"\n`, "c.toml"), {
    killGrace: 90_000,
    retain: 524_288,
  });
});

test("a TOML syntax error is one line naming the file, the line and the problem", () => {
  const path = configFile("syntax.toml", "parallel = 3\nstore = = 2\n");
  const error = thrown(() => loadConfig({ BGT_CONFIG: path }));
  assert.equal(error.message, `Cannot use config file ${path}: line 2: invalid value`);
  assert.equal(error.exitCode, 2);
  assert.equal(error.code, "CONFIG_INVALID");
});

test("a value of the wrong type names its key and line", () => {
  const error = thrown(() => parseConfig('store = "x"\n\nparallel = "three"\n', "/c.toml"));
  assert.equal(
    error.message,
    `Cannot use config file /c.toml: line 3: parallel must be an integer of at least 1, not "three"`,
  );
  assert.match(
    thrown(() => parseConfig("parallel = 0\n", "/c.toml")).message,
    /line 1: parallel must be an integer of at least 1, not 0$/,
  );
  assert.match(
    thrown(() => parseConfig(`kill_grace = "soon"\n`, "/c.toml")).message,
    /line 1: kill_grace must be a duration/,
  );
  assert.match(
    thrown(() => parseConfig(`retain = "lots"\n`, "/c.toml")).message,
    /line 1: retain must be a size/,
  );
  assert.match(
    thrown(() => parseConfig(`autostart = "no"\n`, "/c.toml")).message,
    /line 1: autostart must be true or false, not "no"$/,
  );
  assert.match(
    thrown(() => parseConfig(`labels = "gpu"\n`, "/c.toml")).message,
    /line 1: labels must be an array of strings/,
  );
});

test("a bad value inside a table names the table's key and its line", () => {
  const text = 'parallel = 2\n[retention]\ndays = 7\ncount = -1\n[ui]\nlisten = "nowhere"\n';
  assert.match(
    thrown(() => parseConfig(text, "/c.toml")).message,
    /^Cannot use config file \/c\.toml: line 4: retention\.count must be an integer of at least 0, not -1$/,
  );
  const ui = '[ui]\nlisten = "nowhere"\n';
  assert.match(thrown(() => parseConfig(ui, "/c.toml")).message, /line 2: ui\.listen must be/);
});

test("an unknown key is refused with the known ones listed", () => {
  const error = thrown(() => parseConfig("parallel = 2\nparalel = 3\n", "/c.toml"));
  assert.match(error.message, /^Cannot use config file \/c\.toml: line 2: unknown key 'paralel'/);
  assert.match(error.message, /known: store, parallel, kill_grace/);
  assert.match(
    thrown(() => parseConfig("[ui]\nport = 1\n", "/c.toml")).message,
    /line 2: unknown key 'ui\.port'/,
  );
});

test("a config file that cannot be read is a ConfigError naming it", (t) => {
  if (process.getuid?.() === 0) return skipWithReason(t, "root reads files of any mode");
  const path = configFile("unreadable.toml", "parallel = 2\n");
  chmodSync(path, 0o000);
  assert.match(thrown(() => loadConfig({ BGT_CONFIG: path })).message, /^Cannot read config file /);
});

test("a directory where the file should be is a ConfigError naming it", () => {
  const path = join(dir, "is_a_dir.toml");
  mkdirSync(path);
  assert.match(
    thrown(() => loadConfig({ BGT_CONFIG: path })).message,
    new RegExp(`^Cannot read config file ${path}: `),
  );
});

test("the messages are one line", () => {
  const error = thrown(() => parseConfig('a = "unterminated\n', "/c.toml"));
  assert.ok(!error.message.includes("\n"), error.message);
  assert.match(error.message, /^Cannot use config file \/c\.toml: line 1: /);
});

test("kill_grace and retain accept what --kill-grace and --retain accept, and refuse the same", async () => {
  const { parseDurationOption } = await import("../../src/cli/time_options.ts");
  const { parseByteSizeOption } = await import("../../src/cli/task_options.ts");
  const orRefused = <T>(read: () => T) => {
    try {
      return read();
    } catch {
      return "refused";
    }
  };
  const config = (text: string) => orRefused(() => parseConfig(text, "/c.toml"));
  const cases = [
    {
      key: "kill_grace",
      field: "killGrace" as const,
      flag: (text: string) => parseDurationOption("--kill-grace", text),
      texts: ["10s", "1m30s", "1.5", "500ms", "0s", "0", "soon", "-1s"],
    },
    {
      key: "retain",
      field: "retain" as const,
      flag: (text: string) => parseByteSizeOption("--retain", text),
      texts: ["1048576", "512KiB", "1.5MiB", "10MB", "1TiB", "2t", "0", "0.5", "lots"],
    },
  ];
  for (const { key, field, flag, texts } of cases) {
    for (const text of texts) {
      const fromConfig = config(`${key} = "${text}"\n`);
      assert.deepEqual(
        fromConfig === "refused" ? "refused" : fromConfig[field],
        orRefused(() => flag(text)),
        `${key} "${text}"`,
      );
    }
  }
  assert.equal(config("kill_grace = 0\n"), "refused", "0 s as a number, as --kill-grace 0");
  assert.deepEqual(config("kill_grace = 2.5\n"), { killGrace: 2500 });
  assert.deepEqual(config(`retain = "1TiB"\n`), { retain: 2 ** 40 });
  assert.equal(config(`kill_grace = "0s"\n`), "refused");
});
