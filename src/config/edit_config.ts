/**
 * `bgt config get|set`: one key of the config file read or written by its TOML name
 * (`parallel`, `kill_grace`, `ui.listen`, `retention.days`). A set edits the one line (or adds
 * it, in its table), so the file's comments and order stay; the result is validated before it is
 * written, so a bad value leaves the file as it was.
 *
 * @example
 * ```ts
 * setConfigText("# mine\nparallel = 2\n", "parallel", "4"); // "# mine\nparallel = 4\n"
 * setConfigText("", "ui.listen", "127.0.0.1:8080"); // '\n[ui]\nlisten = "127.0.0.1:8080"\n'
 * configValue('[ui]\nlisten = "127.0.0.1:8080"\n', "ui.listen"); // "127.0.0.1:8080"
 * ```
 */
import { parse, stringify } from "smol-toml";
import { CONFIG_KEYS, ConfigError, parseConfig } from "./config_file.ts";
import { lineOfKey } from "./_config_values.ts";

/** The keys `bgt config set` can write (`hooks` are tables: edit the file). */
export const SETTABLE_KEYS: readonly string[] = CONFIG_KEYS.filter((key) => key !== "hooks");

/**
 * The raw value of `key` in config text, or undefined when it is not set.
 *
 * @throws {ConfigError} for a key the file cannot have.
 */
export function configValue(text: string, key: string): unknown {
  _knownKey(key, CONFIG_KEYS);
  let value: unknown = parse(text);
  for (const part of key.split(".")) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/**
 * The text with `key` set to `value` (TOML: `4`, `false`, `["a", "b"]`, `"text"`; anything that
 * is not TOML is taken as a string), validated as a whole (the file's name `path` in errors).
 *
 * @throws {ConfigError} for an unknown key, or a value the key cannot take.
 */
export function setConfigText(
  text: string,
  key: string,
  value: string,
  path = "config.toml",
): string {
  _knownKey(key, SETTABLE_KEYS);
  const parsed = _tomlValue(value);
  const [table, name] = key.includes(".") ? key.split(".") as [string, string] : [undefined, key];
  const line = stringify({ [name]: parsed }).trim();
  const lines = text === "" ? [] : text.replace(/\n$/, "").split("\n");
  const at = lineOfKey(text, table, name);
  const header = table === undefined ? undefined : lineOfKey(text, table, "");
  if (at !== undefined && (table === undefined || at !== header)) {
    lines[at - 1] = line;
  } else if (table === undefined) {
    // Top-level keys go before the first table.
    let at = lines.findIndex((l) => /^\s*\[/.test(l));
    if (at === -1) at = lines.length;
    while (at > 0 && lines[at - 1].trim() === "") at--; // above the blank line before a table
    lines.splice(at, 0, line);
  } else if (header !== undefined) {
    lines.splice(header, 0, line);
  } else {
    lines.push("", `[${table}]`, line);
  }
  const next = `${lines.join("\n")}\n`;
  parseConfig(next, path); // throws for a value the key cannot take
  return next;
}

function _tomlValue(text: string): unknown {
  try {
    return (parse(`v = ${text}`) as { v: unknown }).v;
  } catch {
    return text;
  }
}

function _knownKey(key: string, keys: readonly string[]): void {
  if (!keys.includes(key)) {
    throw new ConfigError(`Cannot use config key '${key}': expected one of ${keys.join(", ")}`);
  }
}
