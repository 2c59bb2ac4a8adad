/**
 * SHA-256 and HMAC-SHA256 of a string, synchronously. On Bun this is `Bun.CryptoHasher`: loading
 * `node:crypto` there costs a few milliseconds of start-up (it brings Node's streams along),
 * which every `bgt` command would pay for one hash of its home's path, and ~1 MB of the
 * supervisor's memory (it signs webhooks).
 *
 * @example
 * ```ts
 * sha256Hex("abc").slice(0, 8); // "ba7816bf"
 * hmacSha256Hex("key", "body").length; // 64
 * ```
 */
import type * as NodeCrypto from "node:crypto";

const isBun = "Bun" in globalThis;

/** The 32-byte SHA-256 digest of `text` (UTF-8). */
export function sha256(text: string): Uint8Array {
  if (isBun) return new Bun.CryptoHasher("sha256").update(text).digest();
  return _nodeCrypto().createHash("sha256").update(text).digest();
}

/** The SHA-256 digest of `text` (UTF-8) as 64 lowercase hex digits. */
export function sha256Hex(text: string): string {
  if (isBun) return new Bun.CryptoHasher("sha256").update(text).digest("hex");
  return _nodeCrypto().createHash("sha256").update(text).digest("hex");
}

/** The HMAC-SHA256 of `text` (UTF-8) with `key`, as 64 lowercase hex digits. */
export function hmacSha256Hex(key: string, text: string): string {
  if (isBun) return new Bun.CryptoHasher("sha256", key).update(text).digest("hex");
  return _nodeCrypto().createHmac("sha256", key).update(text).digest("hex");
}

function _nodeCrypto(): typeof NodeCrypto {
  const load = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  if (!load) {
    throw new Error(
      "Cannot hash: this runtime has no process.getBuiltinModule (Node 22.3 or later)",
    );
  }
  return load("node:crypto") as typeof NodeCrypto;
}
