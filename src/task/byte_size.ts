/**
 * Sizes in bytes as people type them: `1048576`, `512KiB`, `1MiB`, `1.5MiB`, `10MB`, `1TiB`
 * (units are case-insensitive; K, M, G, T alone are binary, as in coreutils). What `--retain`
 * and the config file's `retain` read.
 *
 * @example
 * ```ts
 * parseByteSize("512KiB"); // 524288
 * parseByteSize("10MB"); // 10000000
 * parseByteSize("ten"); // throws RangeError: expected a size in bytes like 1048576, 512KiB, 1MiB or 10MB
 * ```
 */

/** The units, as coreutils reads them: K = KiB, KB = 1000. */
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
  t: 2 ** 40,
  tib: 2 ** 40,
  tb: 1e12,
};

/** What is wrong with a size: its message says it (after "Cannot use X 'text': "). */
export class ByteSizeError extends RangeError {
  override name = "ByteSizeError";
  /** `format`: not a number and a unit; `range`: a fraction of a byte, below 1 or above 8 PiB. */
  constructor(message: string, readonly problem: "format" | "range") {
    super(message);
  }
}

/** A size in whole bytes, at least 1; throws {@linkcode ByteSizeError} saying what is wrong. */
export function parseByteSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = match ? BYTE_UNITS[match[2].toLowerCase()] : undefined;
  if (!match || unit === undefined) {
    throw new ByteSizeError(
      "expected a size in bytes like 1048576, 512KiB, 1MiB or 10MB",
      "format",
    );
  }
  const bytes = Number(match[1]) * unit;
  if (!Number.isInteger(bytes)) {
    throw new ByteSizeError("it is not a whole number of bytes", "range");
  }
  if (!Number.isSafeInteger(bytes) || bytes < 1) {
    throw new ByteSizeError("it must be from 1 byte to 8 PiB", "range");
  }
  return bytes;
}
