/**
 * The size cap of a task's result: a module task whose result encodes (as MessagePack) to more
 * than the cap fails with the reason, instead of an end no store or frame can hold. The cap is
 * {@linkcode DEFAULT_MAX_RESULT_BYTES} (64 MiB), or `BGT_MAX_RESULT_BYTES` (bytes) when set, at
 * most {@linkcode MAX_RESULT_BYTES_LIMIT} (256 MiB: far below SQLite's 10^9-byte blob, the
 * worker host's 2^30-byte frame and PostgreSQL's 1 GB hex text).
 *
 * @example
 * ```ts
 * maxResultBytes({ BGT_MAX_RESULT_BYTES: "1000" }); // 1000
 * resultOverCap("x".repeat(2000), 1000); // "it is 2,003 bytes, over the cap of 1,000 bytes …"
 * ```
 */
import { encode } from "./codec.ts";

/** The result cap when `BGT_MAX_RESULT_BYTES` is not set: 64 MiB. */
export const DEFAULT_MAX_RESULT_BYTES = 64 * 1024 * 1024;

/** The largest cap `BGT_MAX_RESULT_BYTES` can set: 256 MiB. */
export const MAX_RESULT_BYTES_LIMIT = 256 * 1024 * 1024;

/**
 * The result cap of this environment: `BGT_MAX_RESULT_BYTES` when it is a whole number of bytes
 * (at most {@linkcode MAX_RESULT_BYTES_LIMIT}), else {@linkcode DEFAULT_MAX_RESULT_BYTES}.
 */
export function maxResultBytes(env: Record<string, string | undefined>): number {
  const text = env.BGT_MAX_RESULT_BYTES?.trim();
  if (!text || !/^\d+$/.test(text)) return DEFAULT_MAX_RESULT_BYTES;
  return Math.min(Number(text), MAX_RESULT_BYTES_LIMIT);
}

/** Why a result cannot be kept (its encoded size over `maxBytes`), or undefined when it can. */
export function resultOverCap(result: unknown, maxBytes: number): string | undefined {
  const size = encode(result).length;
  if (size <= maxBytes) return undefined;
  const n = (v: number) => v.toLocaleString("en-US");
  return `it is ${n(size)} bytes, over the cap of ${n(maxBytes)} bytes (BGT_MAX_RESULT_BYTES)`;
}
