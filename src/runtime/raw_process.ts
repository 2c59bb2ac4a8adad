/**
 * This process's argv and environment with their bytes intact. The runtimes decode both as
 * UTF-8 and replace what is not UTF-8 by U+FFFD; where a word or value holds U+FFFD, its bytes are
 * read again from `/proc/self/cmdline` or `/proc/self/environ` (Linux) and decoded with
 * {@linkcode bytesToText}, which keeps each stray byte. Without /proc (macOS), or when the words
 * do not line up, the runtime's strings are kept. Nothing is read when no U+FFFD is present.
 *
 * @example
 * ```ts
 * const words = rawArgv(process.argv.slice(2)); // ["run", "--", "printf", "%s", "\udcff\udcfeA"]
 * const env = rawEnv(process.env);
 * ```
 */
import { readFileSync } from "node:fs";
import { bytesToText } from "./raw_bytes.ts";

const REPLACEMENT = "\uFFFD";

/**
 * The last `words.length` words of this process's command line, bytes kept; `words` as given
 * when none holds U+FFFD or the command line cannot be read or does not match.
 */
export function rawArgv(words: readonly string[]): string[] {
  if (!words.some((word) => word.includes(REPLACEMENT))) return [...words];
  const all = _nulSeparated("/proc/self/cmdline");
  if (all === undefined || all.length < words.length) return [...words];
  const tail = all.slice(all.length - words.length);
  const decoder = new TextDecoder();
  const lines = tail.every((bytes, i) => decoder.decode(bytes) === words[i]);
  return lines ? tail.map(bytesToText) : [...words];
}

/**
 * The environment with each value that holds U+FFFD read again from /proc/self/environ, bytes
 * kept; `env` itself when no value holds U+FFFD.
 */
export function rawEnv<T extends Record<string, string | undefined>>(env: T): T {
  if (!Object.values(env).some((value) => value?.includes(REPLACEMENT))) return env;
  const entries = _nulSeparated("/proc/self/environ");
  if (entries === undefined) return env;
  const decoder = new TextDecoder();
  const copy: Record<string, string | undefined> = { ...env };
  for (const entry of entries) {
    const equals = entry.indexOf(0x3d);
    if (equals <= 0) continue;
    const name = decoder.decode(entry.subarray(0, equals));
    const value = entry.subarray(equals + 1);
    // Only a value the runtime decoded lossily, and only while it still holds what was inherited.
    if (copy[name]?.includes(REPLACEMENT) && copy[name] === decoder.decode(value)) {
      copy[name] = bytesToText(value);
    }
  }
  return copy as T;
}

/** The NUL-terminated items of a /proc file, or undefined where it cannot be read. */
function _nulSeparated(path: string): Uint8Array[] | undefined {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch {
    return undefined;
  }
  const items: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== 0) continue;
    items.push(bytes.subarray(start, i));
    start = i + 1;
  }
  if (start < bytes.length) items.push(bytes.subarray(start));
  return items;
}
