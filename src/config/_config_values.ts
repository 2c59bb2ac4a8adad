/**
 * Helpers of the config file: the line a key sits on (smol-toml gives positions of syntax
 * errors only), and the readings of durations ("10s", "1m30s") and sizes ("10MB", "512KiB").
 *
 * @example
 * ```ts
 * lineOfKey("a = 1\n[ui]\nlisten = 2\n", "ui", "listen"); // 3
 * parseDurationMs("1m30s"); // 90000
 * parseBytes("10MB"); // 10000000
 * ```
 */

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  sec: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const BYTE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 2 ** 10,
  kib: 2 ** 10,
  kb: 1e3,
  m: 2 ** 20,
  mib: 2 ** 20,
  mb: 1e6,
  g: 2 ** 30,
  gib: 2 ** 30,
  gb: 1e9,
};

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

/** A duration like "10s", "1m30s", "500ms" or "2h" in ms; undefined when it is not one. */
export function parseDurationMs(text: string): number | undefined {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === "") return undefined;
  let total = 0;
  let rest = trimmed;
  while (rest !== "") {
    const part = /^(\d+(?:\.\d+)?)\s*([a-z]+)\s*/.exec(rest);
    const unit = part ? DURATION_UNITS[part[2]] : undefined;
    if (!part || unit === undefined) return undefined;
    total += Number(part[1]) * unit;
    rest = rest.slice(part[0].length);
  }
  return Number.isFinite(total) ? Math.round(total) : undefined;
}

/** A size like "10MB", "512KiB", "1g" or "1048576" in bytes (≥ 1); undefined when it is not one. */
export function parseBytes(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = match ? BYTE_UNITS[match[2].toLowerCase()] : undefined;
  if (!match || unit === undefined) return undefined;
  const bytes = Number(match[1]) * unit;
  return Number.isSafeInteger(bytes) && bytes >= 1 ? bytes : undefined;
}
