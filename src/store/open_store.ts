/**
 * Which store to use, and opening it: `BGT_STORE=postgres://user@host:port/db[?schema=NAME]`
 * names a PostgreSQL store (shared by the supervisors of several homes); without it, the home's
 * own `bgt.db`. The PostgreSQL module (and its driver) is imported only when asked for.
 *
 * @example
 * ```ts
 * const store = await openStore(storeConfig(process.env, bgtHome(process.env)), { role: "client" });
 * store.description; // "sqlite:/home/me/.local/state/bgt/bgt.db"
 * ```
 */
import { existsSync } from "node:fs";
import { configPath, loadConfig } from "../config/config_file.ts";
import type { BgtHome } from "./home.ts";
import { SqliteTaskStore } from "./sqlite_task_store.ts";
import type { StoreConfig, TaskStore } from "./task_store.ts";

/** The schema a PostgreSQL store uses when its URL names none. */
export const DEFAULT_PG_SCHEMA = "bgt";

/**
 * The store the environment asks for: `BGT_STORE` (a postgres:// URL), else the config file's
 * `store`, else the home's bgt.db. Throws ConfigError for a broken config file.
 */
export function storeConfig(
  env: Record<string, string | undefined>,
  home: Pick<BgtHome, "db">,
): StoreConfig {
  const fromEnv = env.BGT_STORE?.trim();
  const value = fromEnv || (env.BGT_STORE === undefined ? loadConfig(env).store?.trim() : "");
  if (!value) return { kind: "sqlite", path: home.db };
  const shown = fromEnv
    ? `BGT_STORE=${_redact(value)}`
    : `store = ${_redact(value)} (in ${configPath(env)})`;
  if (!/^postgres(ql)?:\/\//.test(value)) {
    throw new StoreConfigError(
      `Cannot use ${shown}: it is not a postgres:// URL (unset it to use the home's bgt.db)`,
    );
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new StoreConfigError(`Cannot use ${shown}: it is not a valid URL`);
  }
  const schema = url.searchParams.get("schema") ?? DEFAULT_PG_SCHEMA;
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
    throw new StoreConfigError(
      `Cannot use ${
        fromEnv ? "BGT_STORE" : "the config file's store"
      }: its schema '${schema}' is not a plain SQL name (letters, digits, _)`,
    );
  }
  url.searchParams.delete("schema");
  return { kind: "postgres", url: url.toString(), schema };
}

/**
 * Whether the store the environment names may hold tasks without opening it: the home's bgt.db
 * exists, or a PostgreSQL store is named (asking it would mean connecting). Throws
 * StoreConfigError for a BGT_STORE that cannot be used.
 *
 * @example
 * ```ts
 * if (!storeExists(process.env, bgtHome(process.env))) console.log("no tasks yet");
 * ```
 */
export function storeExists(
  env: Record<string, string | undefined>,
  home: Pick<BgtHome, "db">,
): boolean {
  const config = storeConfig(env, home);
  return config.kind === "postgres" || existsSync(config.path);
}

/** Opens (creating and migrating) the store `config` names. */
export async function openStore(
  config: StoreConfig,
  options: { role?: "client" | "supervisor" | "runner" } = {},
): Promise<TaskStore> {
  if (config.kind === "sqlite") return await SqliteTaskStore.open(config.path);
  // Loaded only when asked for: postgres.js stays out of every SQLite start.
  const { PostgresTaskStore } = await import("./postgres/postgres_task_store.ts");
  const url = new URL(config.url);
  url.searchParams.set("schema", config.schema);
  return await PostgresTaskStore.open(url.toString(), options.role ?? "client");
}

/** A store that cannot be used as configured (the message is one line for the user). */
export class StoreConfigError extends Error {
  override name = "StoreConfigError";
  readonly code = "STORE_CONFIG";
}

/** A URL without its password. */
function _redact(text: string): string {
  return text.replace(/^(\w+:\/\/[^:/@]*):[^@]*@/, "$1@");
}
