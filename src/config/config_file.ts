/**
 * The config file (DESIGN §13): `$BGT_CONFIG`, else `$XDG_CONFIG_HOME/bgt/config.toml`, else
 * `~/.config/bgt/config.toml`, in TOML (parsed with smol-toml). It holds what a user sets once
 * for every supervisor and command of theirs: the store, the parallelism, the kill grace, the
 * retention of finished tasks, the default `--retain`, this host's name and labels, whether
 * commands may start a supervisor, the dashboard's address, the webhook secret and global hooks.
 *
 * A missing file is an empty config. A broken one (bad TOML, an unknown key, a value of the wrong
 * type) throws a {@linkcode ConfigError} whose message is one line naming the file, the line and
 * the problem; the CLI prints it and exits 2.
 *
 * @example
 * ```ts
 * // ~/.config/bgt/config.toml:
 * //   parallel = 3
 * //   kill_grace = "10s"
 * //   [retention]
 * //   days = 7
 * const config = loadConfig(process.env); // { parallel: 3, killGrace: 10000, retention: { days: 7 } }
 * ```
 */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { parse, TomlError } from "smol-toml";
import { parseByteSize } from "../task/byte_size.ts";
import { parseDurationOrSeconds } from "../task/duration.ts";
import { lineOfKey } from "./_config_values.ts";

/** What the config file holds, in the names code uses (TOML's snake_case keys turned camelCase). */
export interface BgtConfig {
  /** `store = "postgres://…"`: the store to use (BGT_STORE wins). */
  store?: string;
  /** `parallel = 4`: most tasks at once (a `bgt parallel N` kept in the store wins). */
  parallel?: number;
  /** `kill_grace = "10s"` (or a number of seconds): time between SIGTERM and SIGKILL, in ms. */
  killGrace?: number;
  /** `[retention] days = 7, count = 1000`: how many / how long finished tasks are kept. */
  retention?: { days?: number; count?: number };
  /** `retain = "10MB"` (or a number of bytes): the default `--retain` of a task, in bytes. */
  retain?: number;
  /** `host = "web-1"`: this host's name (BGT_HOST and `--host` win). */
  host?: string;
  /** `labels = ["gpu", "eu"]`: this host's labels, for placement. */
  labels?: string[];
  /** `autostart = false`: commands never start a supervisor (as BGT_NO_AUTOSTART=1). */
  autostart?: boolean;
  /** `[ui] listen = "127.0.0.1:0"`: where `bgt ui` listens. */
  ui?: { listen?: string };
  /** `webhook_secret = "…"`: the HMAC key of webhooks. */
  webhookSecret?: string;
  /** `[[hooks]]` tables, raw: the hooks module validates them. */
  hooks?: Record<string, unknown>[];
}

/** A config file that cannot be read or used: its message is one line naming the file and line. */
export class ConfigError extends Error {
  override name = "ConfigError";
  readonly code = "CONFIG_INVALID";
  /** Bad input: the CLI exits 2. */
  readonly exitCode = 2;
}

/** The environment variables this module reads. */
export type ConfigEnv = Record<string, string | undefined>;

/**
 * The path that would be read for this environment (the file need not exist).
 *
 * @example
 * ```ts
 * configPath({ XDG_CONFIG_HOME: "/home/me/.config" }); // "/home/me/.config/bgt/config.toml"
 * configPath({ BGT_CONFIG: "/etc/bgt.toml" }); // "/etc/bgt.toml"
 * ```
 */
export function configPath(env: ConfigEnv = process.env): string {
  if (env.BGT_CONFIG) return env.BGT_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config");
  return join(base, "bgt", "config.toml");
}

/**
 * Reads and validates the config file of this environment; `{}` when it does not exist.
 *
 * @throws {ConfigError} when the file cannot be read, is not TOML, or holds an unknown key or a
 * value of the wrong type: `Cannot use config file /p/config.toml: line 3: parallel must be …`.
 *
 * @example
 * ```ts
 * const { parallel } = loadConfig(process.env);
 * ```
 */
export function loadConfig(env: ConfigEnv = process.env): BgtConfig {
  const path = configPath(env);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new ConfigError(`Cannot read config file ${path}: ${(error as Error).message}`);
  }
  return parseConfig(text, path);
}

/**
 * Parses and validates config text (`path` names it in errors).
 *
 * @throws {ConfigError} as {@linkcode loadConfig}.
 *
 * @example
 * ```ts
 * parseConfig('parallel = 2\n[ui]\nlisten = "127.0.0.1:8080"\n', "config.toml");
 * // { parallel: 2, ui: { listen: "127.0.0.1:8080" } }
 * ```
 */
export function parseConfig(text: string, path: string): BgtConfig {
  let raw: Record<string, unknown>;
  try {
    raw = parse(text) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof TomlError) {
      const problem = error.message.replace(/^Invalid TOML document: /, "").split("\n")[0];
      throw new ConfigError(`Cannot use config file ${path}: line ${error.line}: ${problem}`);
    }
    throw new ConfigError(`Cannot use config file ${path}: ${(error as Error).message}`);
  }
  const fail = (table: string | undefined, key: string, problem: string): never => {
    const line = lineOfKey(text, table, key);
    const where = line === undefined ? "" : `line ${line}: `;
    throw new ConfigError(`Cannot use config file ${path}: ${where}${problem}`);
  };
  return _validate(raw, fail);
}

/** The keys of the file, as `bgt config get` names them, for help and errors. */
export const CONFIG_KEYS = [
  "store",
  "parallel",
  "kill_grace",
  "retention.days",
  "retention.count",
  "retain",
  "host",
  "labels",
  "autostart",
  "ui.listen",
  "webhook_secret",
  "hooks",
] as const;

type Fail = (table: string | undefined, key: string, problem: string) => never;

function _validate(raw: Record<string, unknown>, fail: Fail): BgtConfig {
  const config: BgtConfig = {};
  for (const [key, value] of Object.entries(raw)) {
    const bad = (expected: string) =>
      fail(undefined, key, `${key} must be ${expected}, not ${_shown(value)}`);
    switch (key) {
      case "store":
        if (typeof value !== "string" || value === "") bad("a store URL string");
        config.store = value as string;
        break;
      case "parallel":
        if (!Number.isSafeInteger(value) || (value as number) < 1) bad("an integer of at least 1");
        config.parallel = value as number;
        break;
      case "kill_grace": {
        // Read as `bgt supervise --kill-grace` reads it: a bare number is seconds.
        const ms = typeof value === "number" || typeof value === "string"
          ? _orUndefined(() => parseDurationOrSeconds(String(value)))
          : undefined;
        if (ms === undefined) bad(`a duration like "10s" or a number of seconds above 0`);
        config.killGrace = ms;
        break;
      }
      case "retain": {
        // Read as `--retain` reads it.
        const bytes = typeof value === "number" || typeof value === "string"
          ? _orUndefined(() => parseByteSize(String(value)))
          : undefined;
        if (bytes === undefined) bad(`a size like "10MB", "512KiB" or a number of bytes`);
        config.retain = bytes;
        break;
      }
      case "host":
        if (typeof value !== "string" || value.trim() === "") bad("a non-empty string");
        config.host = value as string;
        break;
      case "labels":
        if (!Array.isArray(value) || !value.every((l) => typeof l === "string" && l !== "")) {
          bad(`an array of strings like ["gpu", "eu"]`);
        }
        config.labels = [...(value as string[])];
        break;
      case "autostart":
        if (typeof value !== "boolean") bad("true or false");
        config.autostart = value as boolean;
        break;
      case "webhook_secret":
        if (typeof value !== "string" || value === "") bad("a non-empty string");
        config.webhookSecret = value as string;
        break;
      case "hooks":
        if (!Array.isArray(value) || !value.every(_isTable)) bad("[[hooks]] tables");
        config.hooks = (value as Record<string, unknown>[]).map((hook) => ({ ...hook }));
        break;
      case "retention":
        if (!_isTable(value)) bad("a table ([retention] with days and/or count)");
        config.retention = _retention(value as Record<string, unknown>, fail);
        break;
      case "ui":
        if (!_isTable(value)) bad("a table ([ui] with listen)");
        config.ui = _ui(value as Record<string, unknown>, fail);
        break;
      default:
        fail(undefined, key, `unknown key '${key}' (known: ${CONFIG_KEYS.join(", ")})`);
    }
  }
  return config;
}

/** What `read` returns, or undefined when it throws (a bad value, said by the caller). */
function _orUndefined<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

function _retention(table: Record<string, unknown>, fail: Fail): { days?: number; count?: number } {
  const retention: { days?: number; count?: number } = {};
  for (const [key, value] of Object.entries(table)) {
    if (key === "days") {
      if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value)) {
        fail(
          "retention",
          key,
          `retention.days must be a number of days above 0, not ${_shown(value)}`,
        );
      }
      retention.days = value as number;
    } else if (key === "count") {
      if (!Number.isSafeInteger(value) || (value as number) < 0) {
        fail(
          "retention",
          key,
          `retention.count must be an integer of at least 0, not ${_shown(value)}`,
        );
      }
      retention.count = value as number;
    } else {
      fail(
        "retention",
        key,
        `unknown key 'retention.${key}' (known: retention.days, retention.count)`,
      );
    }
  }
  return retention;
}

function _ui(table: Record<string, unknown>, fail: Fail): { listen?: string } {
  const ui: { listen?: string } = {};
  for (const [key, value] of Object.entries(table)) {
    if (key !== "listen") fail("ui", key, `unknown key 'ui.${key}' (known: ui.listen)`);
    if (typeof value !== "string" || !/^.+:\d+$/.test(value)) {
      fail("ui", key, `ui.listen must be "HOST:PORT" like "127.0.0.1:8080", not ${_shown(value)}`);
    }
    ui.listen = value as string;
  }
  return ui;
}

function _isTable(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) &&
    !(value instanceof Date);
}

function _shown(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return "an array";
  if (value instanceof Date) return "a date";
  if (typeof value === "object" && value !== null) return "a table";
  return String(value);
}
