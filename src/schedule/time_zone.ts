/**
 * Time zones by IANA name, checked with the runtime's own Intl data.
 *
 * @example
 * ```ts
 * checkTimeZone("europe/berlin"); // "Europe/Berlin"
 * systemTimeZone(); // e.g. "UTC"
 * ```
 */
import { quoteInput } from "../task/quote_input.ts";
import { ScheduleError } from "../task/errors.ts";

const canonicalNames = new Map<string, string>();

/**
 * Returns the canonical name of a time zone Intl knows (any case: 'europe/berlin' gives
 * 'Europe/Berlin'). Intl also accepts fixed offsets such as '+01:00', and so does this.
 *
 * @throws {ScheduleError} for a name Intl does not know, with the closest known name when one is
 * near.
 *
 * @example
 * ```ts
 * checkTimeZone("Asia/Kolkata"); // "Asia/Kolkata"
 * checkTimeZone("Europe/Berln"); // throws: Unknown time zone 'Europe/Berln' (use an IANA name such as Europe/Berlin; did you mean Europe/Berlin?)
 * ```
 */
export function checkTimeZone(name: string): string {
  const known = canonicalNames.get(name);
  if (known) return known;
  let canonical: string | undefined;
  try {
    if (name.trim() !== "") {
      canonical = new Intl.DateTimeFormat("en-US", { timeZone: name }).resolvedOptions().timeZone;
    }
  } catch {
    canonical = undefined;
  }
  if (!canonical) {
    const suggestion = _closestZone(name);
    const hint = suggestion ? `; did you mean ${suggestion}?` : "";
    throw new ScheduleError(
      `Unknown time zone ${quoteInput(name)} (use an IANA name such as Europe/Berlin${hint})`,
    );
  }
  canonicalNames.set(name, canonical);
  return canonical;
}

/**
 * The zone this process runs in, by Intl (the `TZ` variable or the system setting); 'UTC' when
 * Intl does not say.
 *
 * @example
 * ```ts
 * const zone = systemTimeZone(); // "Europe/Berlin" on a machine set to Berlin
 * ```
 */
export function systemTimeZone(): string {
  return new Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

/** The known zone nearest in spelling (edit distance ≤ 3), or undefined. */
function _closestZone(name: string): string | undefined {
  const zones = typeof Intl.supportedValuesOf === "function"
    ? Intl.supportedValuesOf("timeZone")
    : [];
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = 4;
  for (const zone of zones) {
    if (Math.abs(zone.length - name.length) >= bestDistance) continue;
    const distance = _editDistance(lower, zone.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [zone, distance];
  }
  return best;
}

function _editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length];
}
