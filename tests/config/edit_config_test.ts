import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError } from "../../src/config/config_file.ts";
import { configValue, setConfigText } from "../../src/config/edit_config.ts";

test("setConfigText() replaces a key's line and keeps comments and order", () => {
  const text = '# mine\nparallel = 2 # two\nhost = "a"\n';
  assert.equal(setConfigText(text, "parallel", "4"), '# mine\nparallel = 4\nhost = "a"\n');
});

test("setConfigText() adds a top-level key above the first table", () => {
  const text = 'parallel = 2\n\n[ui]\nlisten = "127.0.0.1:1"\n';
  assert.equal(
    setConfigText(text, "autostart", "false"),
    'parallel = 2\nautostart = false\n\n[ui]\nlisten = "127.0.0.1:1"\n',
  );
});

test("setConfigText() writes a table's key into its table, adding the table when missing", () => {
  assert.equal(setConfigText("", "retention.days", "7"), "\n[retention]\ndays = 7\n");
  assert.equal(
    setConfigText("[retention]\ncount = 10\n", "retention.days", "7"),
    "[retention]\ndays = 7\ncount = 10\n",
  );
  assert.equal(
    setConfigText("[retention]\ndays = 1\n", "retention.days", "7"),
    "[retention]\ndays = 7\n",
  );
});

test("setConfigText() reads TOML values, else text", () => {
  assert.equal(setConfigText("", "kill_grace", "10s"), 'kill_grace = "10s"\n');
  assert.equal(setConfigText("", "labels", '["gpu", "eu"]'), 'labels = [ "gpu", "eu" ]\n');
  assert.equal(configValue(setConfigText("", "labels", '["gpu"]'), "labels")?.toString(), "gpu");
});

test("setConfigText() refuses a bad value or an unknown key", () => {
  assert.throws(() => setConfigText("", "parallel", "0", "/c.toml"), ConfigError);
  assert.throws(() => setConfigText("", "paralel", "3"), /Cannot use config key 'paralel'/);
  assert.throws(() => setConfigText("", "hooks", "[]"), /Cannot use config key 'hooks'/);
});

test("configValue() reads a dotted key, undefined when unset", () => {
  assert.equal(configValue('[ui]\nlisten = "h:1"\n', "ui.listen"), "h:1");
  assert.equal(configValue("", "parallel"), undefined);
});
