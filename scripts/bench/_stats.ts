/**
 * Small statistics and process helpers for the benchmarks.
 *
 * @example
 * ```ts
 * median([3, 1, 2]); // 2
 * ```
 */
import { spawnSync } from "node:child_process";

/** The median of the samples. */
export function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The q-quantile (0..1) of the samples, nearest rank. */
export function quantile(samples: readonly number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** Milliseconds a command takes from spawn to exit; throws when it fails. */
export function timeCommand(
  argv: readonly string[],
  env: Record<string, string | undefined>,
): number {
  const start = performance.now();
  const result = spawnSync(argv[0], argv.slice(1), { env, stdio: ["ignore", "ignore", "pipe"] });
  const elapsed = performance.now() - start;
  if (result.status !== 0) {
    throw new Error(
      `${argv.join(" ")} exited ${result.status}: ${result.stderr?.toString().trim()}`,
    );
  }
  return elapsed;
}

/** True when a program is on PATH. */
export function hasProgram(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0;
}

/** Formats a number with a few significant digits. */
export function fmt(value: number, digits = 3): string {
  return Number(value.toPrecision(digits)).toLocaleString("en-US");
}
