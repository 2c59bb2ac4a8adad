/**
 * The key that signs webhooks: the config's `webhook_secret` when set, else the home's own,
 * made at first use (32 random bytes as hex, in `BGT_HOME/webhook.secret`, mode 0600).
 *
 * @example
 * ```ts
 * const secret = webhookSecret(home.dir); // "3f9c…"
 * signBody(secret, '{"id":1}'); // "sha256=…"
 * ```
 */
import { chmodSync, closeSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { hmacSha256Hex } from "../runtime/sha256.ts";

/** The file of a home's secret. */
export function webhookSecretPath(homeDir: string): string {
  return join(homeDir, "webhook.secret");
}

/** The secret to sign with: `configured` when given, else the home's (made now if missing). */
export function webhookSecret(homeDir: string, configured?: string): string {
  if (configured) return configured;
  const path = webhookSecretPath(homeDir);
  try {
    return readFileSync(path, "utf8").trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  try {
    // O_EXCL: of two first uses at once, one writes and both read its secret.
    const fd = openSync(path, "wx", 0o600);
    try {
      writeSync(fd, `${_hex(crypto.getRandomValues(new Uint8Array(32)))}\n`);
    } finally {
      closeSync(fd);
    }
    chmodSync(path, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  return readFileSync(path, "utf8").trim();
}

/** The `bgt-signature` header of a body: `sha256=` and the hex HMAC-SHA256 of its bytes. */
export function signBody(secret: string, body: string): string {
  return `sha256=${hmacSha256Hex(secret, body)}`;
}

/**
 * For a webhook receiver: true when `header` (the request's `bgt-signature`) is the signature of
 * `body` (its raw bytes, as text) with `secret` (`bgt hooks secret`). Compares in constant time.
 *
 * @example
 * ```ts
 * import { signBody, verifyWebhookSignature } from "bgt";
 * const secret = "k";
 * const body = '{"id":1}';
 * verifyWebhookSignature(secret, body, signBody(secret, body)); // true
 * verifyWebhookSignature(secret, body, "sha256=00"); // false
 * ```
 */
export function verifyWebhookSignature(secret: string, body: string, header: string): boolean {
  const expected = new TextEncoder().encode(signBody(secret, body));
  const given = new TextEncoder().encode(header);
  if (given.length !== expected.length) return false;
  let difference = 0;
  for (let i = 0; i < given.length; i++) difference |= given[i] ^ expected[i];
  return difference === 0; // every byte compared, whichever differs: constant time
}

function _hex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}
