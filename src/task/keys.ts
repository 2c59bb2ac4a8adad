/**
 * The key rule: at most one waiting or running task per key, and what a submission with a taken
 * key does (`--on-key skip | replace | queue`).
 *
 * @example
 * ```ts
 * keyDecision("replace", { id: 4, status: "queued" }, "nightly");
 * // { action: "replace", holder: 4, key: { action: "replaced", holder: 4, holderRunning: false } }
 * ```
 */
import { inSet, RUNNING } from "./statuses.ts";
import type { KeyPolicy, SubmitResult, TaskError, TaskStatus } from "./types.ts";

/** What a submission does about the key's holder. */
export type KeyDecision =
  | { action: "insert" }
  | { action: "skip"; result: SubmitResult }
  | { action: "replace"; holder: number; key: NonNullable<SubmitResult["key"]> }
  | { action: "wait"; holder: number; key: NonNullable<SubmitResult["key"]> };

/**
 * Decides for a submission whose key `holder` holds (undefined: the key is free). Skip (the
 * default) returns the holder's id; replace cancels a holder that has not started; queue, or
 * replace of a running holder (the client kills it), waits for the holder to end, however it ends.
 */
export function keyDecision(
  policy: KeyPolicy | undefined,
  holder: { id: number; status: TaskStatus } | undefined,
): KeyDecision {
  if (!holder) return { action: "insert" };
  const chosen = policy ?? "skip";
  const holderRunning = inSet(RUNNING, holder.status);
  const key = {
    action: chosen === "skip" ? "skipped" : chosen === "replace" ? "replaced" : "queued",
    holder: holder.id,
    holderRunning,
  } as const;
  if (chosen === "skip") return { action: "skip", result: { id: holder.id, key } };
  if (chosen === "replace" && !holderRunning) return { action: "replace", holder: holder.id, key };
  return { action: "wait", holder: holder.id, key };
}

/** The error a holder replaced before it started ends with. */
export function replacedError(key: string): TaskError {
  return { name: "Replaced", message: `Replaced by a newer task with key '${key}'` };
}
