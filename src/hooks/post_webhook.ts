/**
 * Calls a webhook once: a POST of the task's JSON with `bgt-event-id` and `bgt-signature:
 * sha256=<hex HMAC of the body>`, given up after its timeout. A 2xx answer delivers it; any
 * other answer or no answer is a try to repeat (see {@linkcode webhookRetryDelay}).
 *
 * @example
 * ```ts
 * const outcome = await postWebhook(delivery.payload, delivery.eventId, secret);
 * outcome; // { ok: true, result: "HTTP 200" }
 * ```
 */
import type { HookPayload } from "../store/hook_store.ts";
import { VERSION } from "../task/version.ts";
import type { TryOutcome } from "./run_command_hook.ts";
import { signBody } from "./webhook_secret.ts";

/** The waits before each retry of a webhook: 1 s, 10 s, 1 min, 10 min, 1 h; then it is given up. */
export const WEBHOOK_RETRY_DELAYS_MS: readonly number[] = [
  1_000,
  10_000,
  60_000,
  600_000,
  3_600_000,
];

/** The wait before the next try after `tries` failed ones; undefined: give up. */
export function webhookRetryDelay(tries: number): number | undefined {
  return WEBHOOK_RETRY_DELAYS_MS[tries - 1];
}

/** POSTs the payload's body to its URL. */
export async function postWebhook(
  payload: HookPayload,
  eventId: number,
  secret: string,
  options: { signal?: AbortSignal } = {},
): Promise<TryOutcome> {
  const body = JSON.stringify(payload.body);
  const timeout = AbortSignal.timeout(payload.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  try {
    const response = await fetch(payload.target, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": `bgt/${VERSION}`,
        "bgt-event-id": String(eventId),
        "bgt-signature": signBody(secret, body),
      },
      body,
      signal,
      redirect: "manual",
    });
    await response.body?.cancel().catch(() => {});
    const ok = response.status >= 200 && response.status < 300;
    return { ok, result: `HTTP ${response.status}` };
  } catch (error) {
    if (timeout.aborted) return { ok: false, result: `no answer in ${payload.timeoutMs / 1000} s` };
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return { ok: false, result: `cannot post: ${cause ?? (error as Error).message}` };
  }
}
