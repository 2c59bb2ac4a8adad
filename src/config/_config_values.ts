/**
 * Helpers of the config file: the line a key sits on (smol-toml gives positions of syntax
 * errors only). Durations and sizes are read by src/task (as the CLI's options read them).
 *
 * @example
 * ```ts
 * lineOfKey("a = 1\n[ui]\nlisten = 2\n", "ui", "listen"); // 3
 * ```
 */

/** The 1-based line of `key` in `table` (undefined: top level), or undefined when not found. */
export function lineOfKey(
  text: string,
  table: string | undefined,
  key: string,
): number | undefined {
  const lines = text.split("\n");
  const escaped = (name: string) => name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const keyPattern = (name: string) => new RegExp(`^\\s*["']?${escaped(name)}["']?\\s*[=.]`);
  let current: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const header = /^\s*\[\[?\s*([^\]]+?)\s*\]\]?/.exec(lines[i]);
    if (header) {
      current = header[1];
      if (table !== undefined && current === table && key === "") return i + 1;
      continue;
    }
    if (current === table && keyPattern(key).test(lines[i])) return i + 1;
    // `ui.listen = …` or `ui = { listen = … }` at the top level.
    if (current === undefined && table !== undefined && keyPattern(table).test(lines[i])) {
      return i + 1;
    }
  }
  // A table given as a header only ([retention]): its header line.
  if (table !== undefined && key !== "") return lineOfKey(text, table, "");
  return undefined;
}
