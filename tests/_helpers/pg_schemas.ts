/**
 * Fresh PostgreSQL schemas for the tests that make their own stores: each URL names a schema
 * `<prefix><random>` (bgt creates it on first use), and `dropAll()` drops every one after the
 * suite, once the supervisors on them have stopped. Also SQL on such a schema, and the skip of a
 * test that needs PostgreSQL where there is none.
 *
 * @example
 * ```ts
 * const schemas = new PgSchemas("bgt_mh");
 * const store = schemas.url(); // postgres://…/postgres?schema=bgt_mh…
 * after(() => schemas.dropAll());
 * ```
 */
import postgres from "postgres";
import { ON_POSTGRES, TEST_POSTGRES_URL } from "./bgt_home.ts";
import { skipWithReason } from "./skip.ts";

/** The schemas one suite made, on one server. */
export class PgSchemas {
  readonly names: string[] = [];

  /**
   * @param prefix starts every schema's name (tell a suite's schemas apart when one is left)
   * @param server the PostgreSQL URL; default BGT_TEST_POSTGRES_URL, else the local one
   */
  constructor(readonly prefix: string, readonly server: string = TEST_POSTGRES_URL) {}

  /**
   * A store URL on a fresh schema of its own; `change` may then edit the URL (another user,
   * host, port or database).
   *
   * @example
   * ```ts
   * const elsewhere = schemas.url((url) => (url.hostname = "no-such-host.invalid"));
   * ```
   */
  url(change: (url: URL) => void = () => {}): string {
    const schema = `${this.prefix}${Math.random().toString(36).slice(2, 12)}`;
    this.names.push(schema);
    const url = new URL(this.server);
    url.searchParams.set("schema", schema);
    change(url);
    return url.toString();
  }

  /** Drops every schema `url()` named (those never made are no error). */
  async dropAll(): Promise<void> {
    if (this.names.length === 0) return;
    const sql = postgres(this.server, { max: 1, onnotice: () => {} });
    try {
      for (const schema of this.names.splice(0)) {
        await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      }
    } finally {
      await sql.end({ timeout: 1 });
    }
  }
}

/** The schema of a store URL that `PgSchemas.url()` made. */
export function schemaOf(store: string): string {
  return new URL(store).searchParams.get("schema")!;
}

/**
 * Runs SQL on the schema of a store URL (to age a heartbeat, to read pg_stat rows): `run` gets a
 * connection to `server` (default the test PostgreSQL) whose search_path is that schema, closed
 * after.
 *
 * @example
 * ```ts
 * await onSchema(store, (sql) => sql`UPDATE supervisors SET heartbeat_at = 0`);
 * ```
 */
export async function onSchema<T>(
  store: string,
  run: (sql: postgres.Sql) => Promise<T>,
  { server = TEST_POSTGRES_URL }: { server?: string } = {},
): Promise<T> {
  const sql = postgres(server, {
    max: 1,
    onnotice: () => {},
    connection: { search_path: schemaOf(store) },
  });
  try {
    return await run(sql);
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/**
 * Skips a test that needs PostgreSQL when `unreachable` (the reason it is not there) is set,
 * or fails it with that reason under BGT_REQUIRE_POSTGRES=1. With `ownSchemas`, also skips it on
 * a run that puts every test home on PostgreSQL (BGT_TEST_STORE=postgres): a suite that makes
 * its own schemas runs once, in `npm run test:bun`. True when skipped.
 *
 * @example
 * ```ts
 * const unreachable = await postgresFactory.unavailable();
 * test("two hosts", (t) => {
 *   if (skipWithoutPostgres(t, unreachable, { ownSchemas: true })) return;
 * });
 * ```
 */
export function skipWithoutPostgres(
  t: { name?: string; skip(message?: string): void },
  unreachable: string | undefined,
  { ownSchemas = false }: { ownSchemas?: boolean } = {},
): boolean {
  if (ownSchemas && ON_POSTGRES) {
    skipWithReason(t, "it makes its own PostgreSQL schemas; 'npm run test:bun' runs it");
    return true;
  }
  if (unreachable === undefined) return false;
  if (process.env.BGT_REQUIRE_POSTGRES === "1") {
    throw new Error(`BGT_REQUIRE_POSTGRES=1, but ${unreachable}`);
  }
  skipWithReason(t, unreachable);
  return true;
}
