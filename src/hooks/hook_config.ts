/**
 * The hooks part of the config file: its `[[hooks]]` tables checked (see parseGlobalHooks) and
 * its `webhook_secret`. A broken table is a ConfigError naming the file (the CLI exits 2).
 *
 * @example
 * ```ts
 * const { globalHooks, webhookSecret } = hookConfig(process.env);
 * ```
 */
import { type ConfigEnv, ConfigError, configPath, loadConfig } from "../config/config_file.ts";
import { type GlobalHook, HookConfigError, parseGlobalHooks } from "./global_hooks.ts";

/** What hooks take from the config file. */
export interface HookConfig {
  globalHooks: GlobalHook[];
  /** The configured webhook secret (undefined: the home's own). */
  webhookSecret?: string;
}

/** Reads the config file of `env`; throws ConfigError for a broken file or hook. */
export function hookConfig(env: ConfigEnv = process.env): HookConfig {
  const config = loadConfig(env);
  try {
    return { globalHooks: parseGlobalHooks(config.hooks), webhookSecret: config.webhookSecret };
  } catch (error) {
    if (!(error instanceof HookConfigError)) throw error;
    throw new ConfigError(`${error.message} in config file ${configPath(env)}`);
  }
}
