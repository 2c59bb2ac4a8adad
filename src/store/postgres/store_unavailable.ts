/**
 * One line for a store that cannot be reached or used: the reason a person can act on (a wrong
 * password, a missing database, a refused or unknown host), never a stack.
 *
 * @example
 * ```ts
 * throw storeUnavailable(error, { user: "bgt", host: "db", port: 5432, database: "jobs" });
 * // Error { code: "STORE_UNAVAILABLE", message: "Cannot reach the store postgres://bgt@db:5432/jobs: database jobs does not exist" }
 * ```
 */

/** Where a PostgreSQL store is, without its password. */
export interface PostgresTarget {
  user: string;
  host: string;
  port: number;
  database: string;
}

/** The error of a store that cannot be used; `code` is stable for callers. */
export class StoreUnavailableError extends Error {
  override name = "StoreUnavailableError";
  readonly code = "STORE_UNAVAILABLE";
}

/** The one-line error for a failed connection, or undefined when `error` is not one. */
export function storeUnavailable(
  error: unknown,
  target: PostgresTarget,
): StoreUnavailableError | undefined {
  const code = (error as { code?: string })?.code;
  const where = `${target.host}:${target.port}`;
  const reasons: Record<string, string> = {
    "28P01": `password rejected for user ${target.user}`,
    // 28000 is also what PostgreSQL answers for a role that does not exist (under trust auth).
    "28000": `user ${target.user} does not exist or may not connect (pg_hba.conf)`,
    "3D000": `database ${target.database} does not exist`,
    ECONNREFUSED: `${where} refused the connection (is PostgreSQL running?)`,
    ENOTFOUND: `unknown host ${target.host}`,
    EAI_AGAIN: `unknown host ${target.host}`,
    CONNECT_TIMEOUT: `no answer from ${where} in 5 s`,
    ETIMEDOUT: `no answer from ${where} in 5 s`,
    EHOSTUNREACH: `no route to ${where}`,
    CONNECTION_CLOSED: `${where} closed the connection`,
    "57P03": `${where} is starting up or shutting down`,
  };
  const reason = code === undefined ? undefined : reasons[code];
  if (!reason) return undefined;
  return new StoreUnavailableError(
    `Cannot reach the store postgres://${target.user}@${where}/${target.database}: ${reason}`,
  );
}
