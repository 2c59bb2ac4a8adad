/**
 * The supervisor's settings and where each came from (`daemon status --json` says it): a flag of
 * `bgt supervise`, a value changed at run time and kept in the store (`bgt parallel N`), an
 * environment variable, the config file, or the default. An auto-started supervisor and one
 * started by systemd read the same store and config file, so they behave the same.
 *
 * Order, first that is set wins — parallel: flag, store, BGT_PARALLEL, config, the cores;
 * kill grace: flag, BGT_KILL_GRACE, config, 5 s.
 *
 * @example
 * ```ts
 * const settings = resolveSettings({ flags: {}, env: {}, config: { parallel: 3 }, stored: {} });
 * settings.parallel; // { value: 3, source: "config" }
 * ```
 */
import { availableParallelism } from "node:os";
import { type BgtConfig, loadConfig } from "../config/config_file.ts";
import { PARALLEL_KEY } from "../store/home_settings.ts";

/** Where a setting's value came from. */
export type SettingSource = "flag" | "store" | "env" | "config" | "default";

/** A setting's value and its source. */
export interface Setting<T> {
  value: T;
  source: SettingSource;
}

/** The settings a supervisor runs with. */
export interface SupervisorSettings {
  parallel: Setting<number>;
  killGraceMs: Setting<number>;
}

/** The kill grace unless set. */
export const DEFAULT_KILL_GRACE_MS = 5_000;

/** What the settings are resolved from. */
export interface SettingInputs {
  /** `bgt supervise --parallel/--kill-grace` (already parsed). */
  flags: { parallel?: number; killGraceMs?: number };
  /** BGT_PARALLEL, BGT_KILL_GRACE (parsed by the caller: `env.parallel`, `env.killGraceMs`). */
  env: { parallel?: number; killGraceMs?: number };
  config: BgtConfig;
  /** The store's settings (`store.settings()`). */
  stored: Record<string, string>;
}

/** Resolves each setting from the first source that sets it. */
export function resolveSettings(inputs: SettingInputs): SupervisorSettings {
  const storedParallel = parseStoredParallel(inputs.stored[PARALLEL_KEY]);
  return {
    parallel: _first<number>([
      ["flag", inputs.flags.parallel],
      ["store", storedParallel],
      ["env", inputs.env.parallel],
      ["config", inputs.config.parallel],
    ], availableParallelism()),
    killGraceMs: _first<number>([
      ["flag", inputs.flags.killGraceMs],
      ["env", inputs.env.killGraceMs],
      ["config", inputs.config.killGrace],
    ], DEFAULT_KILL_GRACE_MS),
  };
}

/**
 * The parallelism the next supervisor started in this environment takes (by a command or by
 * systemd, with no flag): what `bgt parallel` and `daemon status --json` say when none runs.
 *
 * @example
 * ```ts
 * nextParallel({ BGT_PARALLEL: "3" }, {}); // { value: 3, source: "env" }
 * ```
 */
export function nextParallel(
  env: Record<string, string | undefined>,
  stored: Record<string, string>,
): Setting<number> {
  return resolveSettings({
    flags: {},
    env: { parallel: parseStoredParallel(env.BGT_PARALLEL) },
    config: loadConfig(env),
    stored,
  }).parallel;
}

/** A stored parallelism (text in the settings table), or undefined when unset or unusable. */
export function parseStoredParallel(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) && value >= 1 ? value : undefined;
}

function _first<T>(candidates: [SettingSource, T | undefined][], fallback: T): Setting<T> {
  for (const [source, value] of candidates) {
    if (value !== undefined) return { value, source };
  }
  return { value: fallback, source: "default" };
}
