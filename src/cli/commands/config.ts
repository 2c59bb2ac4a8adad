/**
 * `bgt config [path|get KEY|set KEY VALUE]`: the config file (`$BGT_CONFIG`, else
 * `$XDG_CONFIG_HOME/bgt/config.toml`, else `~/.config/bgt/config.toml`). Alone, it prints the
 * file's path and its settings; `get` prints one value (exit 1 when it is not set); `set` writes
 * one, keeping the rest of the file, after checking the result (a bad value changes nothing).
 * A running supervisor reads the file when it starts: `bgt daemon restart` applies a change
 * (`bgt parallel N` changes the limit at once).
 *
 * @example
 * ```sh
 * bgt config set parallel 3
 * bgt config set kill_grace 10s
 * bgt config get parallel     # 3
 * bgt config path             # /home/me/.config/bgt/config.toml
 * ```
 */
import { Command } from "@commander-js/extra-typings";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { CONFIG_KEYS, configPath, loadConfig } from "../../config/config_file.ts";
import { configValue, setConfigText } from "../../config/edit_config.ts";
import { stdout } from "../../runtime/std_output.ts";

/** The `config` command. */
export function configCommand() {
  const config = new Command("config")
    .description("show or change the config file (config.toml)")
    .addHelpText("after", `\nKeys: ${CONFIG_KEYS.join(", ")}`)
    .action(() => {
      const path = configPath(process.env);
      const text = _read(path);
      loadConfig(process.env); // a broken file: one line, exit 2
      stdout.write(
        text === undefined
          ? `# ${path} (no such file: every setting has its default)\n`
          : `# ${path}\n${text}${text.endsWith("\n") || text === "" ? "" : "\n"}`,
      );
    });
  config.command("path").description("print the config file's path").action(() => {
    stdout.write(`${configPath(process.env)}\n`);
  });
  config.command("get").description("print one setting (exit 1 when it is not set)")
    .argument("<key>", `one of ${CONFIG_KEYS.join(", ")}`)
    .action((key) => {
      loadConfig(process.env); // a broken file: one line, exit 2
      const value = configValue(_read(configPath(process.env)) ?? "", key);
      if (value === undefined) {
        process.exitCode = 1;
        return;
      }
      stdout.write(`${typeof value === "string" ? value : JSON.stringify(value)}\n`);
    });
  config.command("set").description("write one setting, keeping the rest of the file")
    .argument("<key>", `one of ${CONFIG_KEYS.filter((key) => key !== "hooks").join(", ")}`)
    .argument("<value>", 'a TOML value (3, false, ["a"]) or text (10s, 127.0.0.1:8080)')
    .action((key, value) => {
      const path = configPath(process.env);
      const before = _read(path) ?? "";
      loadConfig(process.env); // a broken file is fixed by hand first: one line, exit 2
      const next = setConfigText(before, key, value, path);
      mkdirSync(dirname(path), { recursive: true });
      const temporary = `${path}.${process.pid}.tmp`;
      writeFileSync(temporary, next, { mode: 0o600 });
      renameSync(temporary, path);
      stdout.write(`${key} = ${JSON.stringify(configValue(next, key))} (in ${path})\n`);
    });
  return config;
}

function _read(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}
