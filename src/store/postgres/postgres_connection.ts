/**
 * A postgres.js pool for one bgt store: its URL read (the `schema` parameter is bgt's, the rest
 * postgres.js's), `search_path` set to the store's schema, int8 read as numbers (ids and epoch ms
 * stay below 2^53), bytea as Uint8Array (a Buffer), and a pool sized by role.
 *
 * @example
 * ```ts
 * const connection = connectPostgres("postgres://postgres@127.0.0.1:5432/jobs?schema=bgt", "client");
 * await connection.sql`SELECT 1`;
 * await connection.sql.end();
 * ```
 */
import postgres from "postgres";
import type { PostgresTarget } from "./store_unavailable.ts";

/** A postgres.js client as bgt configures it. */
export type Sql = postgres.Sql<any>;
/** The client inside a transaction. */
export type TransactionSql = postgres.TransactionSql<any>;

/** Who opens the pool: a supervisor claims and finishes concurrently; a client reads and submits. */
export type PostgresRole = "supervisor" | "client" | "runner";

const POOL_SIZE: Record<PostgresRole, number> = { supervisor: 4, client: 2, runner: 1 };

/** A pool and what it points at. */
export interface PostgresConnection {
  sql: Sql;
  schema: string;
  target: PostgresTarget;
  /** `postgres://user@host:port/db?schema=NAME` (no password). */
  description: string;
}

/** The schema a URL names (`?schema=NAME`), else `bgt`; throws on a name that is not plain. */
export function schemaOf(url: string): string {
  const schema = new URL(url).searchParams.get("schema") ?? "bgt";
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(
      `Cannot use the schema '${schema}': use lower-case letters, digits and _ (at most 63)`,
    );
  }
  return schema;
}

/** Opens a lazy pool (nothing connects until the first query). */
export function connectPostgres(url: string, role: PostgresRole = "client"): PostgresConnection {
  const parsed = new URL(url);
  const schema = schemaOf(url);
  parsed.searchParams.delete("schema");
  const target: PostgresTarget = {
    user: decodeURIComponent(parsed.username) || process.env.PGUSER || process.env.USER ||
      "postgres",
    host: parsed.hostname || "localhost",
    port: Number(parsed.port || 5432),
    database: decodeURIComponent(parsed.pathname.slice(1)) || process.env.PGDATABASE ||
      decodeURIComponent(parsed.username) || "postgres",
  };
  const sql = postgres(parsed.toString(), {
    max: POOL_SIZE[role],
    connect_timeout: 5,
    idle_timeout: role === "supervisor" ? undefined : 30,
    onnotice: () => {},
    connection: { search_path: schema, application_name: `bgt ${role}` },
    types: {
      bigint: { to: 20, from: [20], parse: (value: string) => Number(value), serialize: String },
    },
  } as postgres.Options<any>);
  const description =
    `postgres://${target.user}@${target.host}:${target.port}/${target.database}?schema=${schema}`;
  return { sql, schema, target, description };
}
