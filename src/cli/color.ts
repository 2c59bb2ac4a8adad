/**
 * The one place that decides whether bgt's output is coloured. In order: the `--color` option
 * (`always`, `never`, `auto`), then `FORCE_COLOR` (set and non-empty: colour; `0` or `false`:
 * none), then `NO_COLOR` (set and non-empty: none, per no-color.org), then `TERM=dumb` (none),
 * and last whether the stream is a terminal.
 *
 * @example
 * ```ts
 * setColorMode("always");
 * useColor(process.stdout); // true, even through a pipe
 * ```
 */
import { stdout } from "../runtime/std_output.ts";

/** What `--color` asks for. */
export type ColorMode = "always" | "never" | "auto";

/** The values `--color` accepts. */
export const COLOR_MODES: readonly ColorMode[] = ["always", "never", "auto"];

let chosen: ColorMode = "auto";

/** Records the `--color` choice of this call (`auto` when the option is absent). */
export function setColorMode(mode: ColorMode): void {
  chosen = mode;
}

/**
 * True when colours may be written to this stream.
 *
 * @example
 * ```ts
 * useColor(process.stderr, { NO_COLOR: "1" }); // false (unless --color=always or FORCE_COLOR)
 * ```
 */
export function useColor(
  stream: { isTTY?: boolean } = stdout,
  env: Record<string, string | undefined> = process.env,
): boolean {
  if (chosen !== "auto") return chosen === "always";
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== "") return force !== "0" && force !== "false";
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.TERM === "dumb") return false;
  return Boolean(stream.isTTY);
}
