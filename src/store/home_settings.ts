/**
 * Settings changed at run time (`bgt parallel N`) belong to one home. In `bgt.db` the home is
 * the store's; a shared (PostgreSQL) store keeps each home's under `key@home`, so
 * `bgt parallel 8` on one host leaves the other hosts' limits alone.
 *
 * @example
 * ```ts
 * await store.setSetting(homeSettingKey(store, "/srv/a", "parallel"), "8"); // "parallel@/srv/a"
 * homeSettings(store, "/srv/a", await store.settings()); // { parallel: "8" }
 * ```
 */
import type { TaskStore } from "./task_store.ts";

/** The setting of a home's parallelism (`bgt parallel N`). */
export const PARALLEL_KEY = "parallel";

/** The store's key of `key` for the home at `home`. */
export function homeSettingKey(store: Pick<TaskStore, "kind">, home: string, key: string): string {
  return store.kind === "postgres" ? `${key}@${home}` : key;
}

/** The home's settings among the store's (`{ parallel: "8" }`), keys without the home. */
export function homeSettings(
  store: Pick<TaskStore, "kind">,
  home: string,
  all: Record<string, string>,
): Record<string, string> {
  if (store.kind !== "postgres") return all;
  const suffix = `@${home}`;
  return Object.fromEntries(
    Object.entries(all).filter(([key]) => key.endsWith(suffix))
      .map(([key, value]) => [key.slice(0, -suffix.length), value]),
  );
}
