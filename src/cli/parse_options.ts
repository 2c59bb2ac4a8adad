/**
 * Validation of option values shared by commands: integers, ids, signals, K=V pairs.
 * Each throws a UsageError that names the option and the bad value.
 *
 * @example
 * ```ts
 * parseInteger("--priority", "5"); // 5
 * parseIds(["41", "42"]); // [41, 42]
 * ```
 */
import { constants } from "node:os";
import { ALL_STATUSES, isTerminal, type TaskStatus } from "../task/types.ts";
import { UsageError } from "./cli_error.ts";

/** An integer option value (optionally at least `min`). */
export function parseInteger(option: string, text: string, limits: { min?: number } = {}): number {
  const value = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(value)) {
    throw new UsageError(`Cannot parse ${option} '${text}': expected an integer`);
  }
  if (limits.min !== undefined && value < limits.min) {
    throw new UsageError(`Cannot use ${option} ${value}: it must be at least ${limits.min}`);
  }
  return value;
}

/** Task (or schedule) ids: positive integers. */
export function parseIds(words: readonly string[], what = "task id"): number[] {
  return words.map((word) => {
    const id = Number(word);
    if (!/^\d+$/.test(word) || !Number.isSafeInteger(id) || id <= 0) {
      throw new UsageError(`Cannot parse ${what} '${word}': expected a positive integer`);
    }
    return id;
  });
}

/** A signal given as TERM, SIGTERM or 15; returns its SIG name. */
export function parseSignal(text: string): NodeJS.Signals {
  const upper = text.toUpperCase();
  const signals = constants.signals as Record<string, number>;
  if (/^\d+$/.test(text)) {
    const name = Object.keys(signals).find((key) => signals[key] === Number(text));
    if (name) return name as NodeJS.Signals;
  } else {
    const name = upper.startsWith("SIG") ? upper : `SIG${upper}`;
    if (name in signals) return name as NodeJS.Signals;
  }
  throw new UsageError(
    `Cannot parse signal '${text}': not a known signal (try TERM, KILL, INT, HUP)`,
  );
}

/** K=V pairs into a map; a pair without '=' or with an empty key is refused. */
export function parseEnvPairs(
  pairs: readonly string[],
  option = "--env",
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`Cannot parse ${option} '${pair}': expected KEY=VALUE`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

/** One of a fixed set of words. */
export function parseChoice<T extends string>(
  option: string,
  text: string,
  choices: readonly T[],
): T {
  if (!(choices as readonly string[]).includes(text)) {
    throw new UsageError(`Cannot parse ${option} '${text}': expected one of ${choices.join(", ")}`);
  }
  return text as T;
}

/** Collects a repeatable option's values. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** A comma-separated list of states (only finished ones with `finishedOnly`). */
export function parseStatuses(
  text: string,
  options: { finishedOnly?: boolean } = {},
): TaskStatus[] {
  const allowed = options.finishedOnly ? ALL_STATUSES.filter(isTerminal) : ALL_STATUSES;
  return text.split(",").map((word) => parseChoice("--status", word.trim(), allowed));
}
