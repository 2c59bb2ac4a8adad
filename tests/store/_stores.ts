/**
 * The store conformance harness: `forEachStore` runs one suite against every store backend, each
 * test on a store of its own (PostgreSQL: a fresh schema `bgt_t<random>`, dropped after). A
 * backend that cannot run here is skipped with one printed line saying how to run it, unless
 * `BGT_REQUIRE_POSTGRES=1`, which turns the skip into a failure.
 *
 * @example
 * ```ts
 * forEachStore("submit", (open) => {
 *   test("stores a task", async () => {
 *     const store = await open();
 *     const [{ id }] = await store.submit([{ spec: { kind: "command", argv: ["true"] } }]);
 *     assert.equal((await store.get(id))?.status, "queued");
 *   });
 * });
 * ```
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, test } from "node:test";
import postgres from "postgres";
import { PostgresTaskStore } from "../../src/store/postgres/postgres_task_store.ts";
import { SqliteTaskStore } from "../../src/store/sqlite_task_store.ts";
import type { TaskStore } from "../../src/store/task_store.ts";

/** One place a store lives (a file, a schema): handles onto it, and its removal. */
export interface StoreLocation {
  open(): Promise<TaskStore>;
  drop(): Promise<void>;
}

/** A backend the suites run on. */
export interface StoreFactory {
  name: string;
  /** Undefined when it can run here, else one line: why not and how to run it. */
  unavailable(): Promise<string | undefined>;
  /** A new, empty store location. */
  create(): Promise<StoreLocation>;
}

/** The PostgreSQL the tests use: BGT_TEST_POSTGRES_URL, else the local one. */
export const TEST_POSTGRES_URL = process.env.BGT_TEST_POSTGRES_URL ??
  "postgres://postgres@127.0.0.1:5432/postgres";

let postgresProbe: Promise<string | undefined> | undefined;

/** PostgreSQL, a fresh schema per store. */
export const postgresFactory: StoreFactory = {
  name: "postgres",
  unavailable() {
    postgresProbe ??= (async () => {
      const sql = postgres(TEST_POSTGRES_URL, { max: 1, connect_timeout: 3, onnotice: () => {} });
      try {
        await sql`SELECT 1`;
        return undefined;
      } catch (error) {
        return `PostgreSQL at ${new URL(TEST_POSTGRES_URL).host} is not reachable (${
          (error as Error).message
        }); start it or set BGT_TEST_POSTGRES_URL, and BGT_REQUIRE_POSTGRES=1 to fail instead`;
      } finally {
        await sql.end({ timeout: 1 }).catch(() => {});
      }
    })();
    return postgresProbe;
  },
  create() {
    const schema = `bgt_t${Math.random().toString(36).slice(2, 12)}`;
    const url = new URL(TEST_POSTGRES_URL);
    url.searchParams.set("schema", schema);
    return Promise.resolve({
      open: () => PostgresTaskStore.open(url.toString(), "supervisor"),
      drop: async () => {
        const sql = postgres(TEST_POSTGRES_URL, { max: 1, onnotice: () => {} });
        try {
          await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        } finally {
          await sql.end({ timeout: 1 });
        }
      },
    });
  },
};

/** SQLite, a fresh file per store (handles onto the same file share it, as processes do). */
export const sqliteFactory: StoreFactory = {
  name: "sqlite",
  unavailable: () => Promise.resolve(undefined),
  create() {
    const dir = mkdtempSync(join(tmpdir(), "bgt-conformance-"));
    return Promise.resolve({
      open: () => SqliteTaskStore.open(join(dir, "bgt.db")),
      drop: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
    });
  },
};

/** The backends every conformance suite runs on. */
export const STORE_FACTORIES: StoreFactory[] = [sqliteFactory, postgresFactory];

/**
 * Opens a store for the running test: a new empty one, or (`sameAs`) another handle onto the
 * store of `sameAs`, as a second supervisor or client would hold. All are closed and dropped
 * after the test.
 */
export type OpenStore = (sameAs?: TaskStore) => Promise<TaskStore>;

const skipTold = new Set<StoreFactory>();
const availability = new Map<StoreFactory, string | undefined>();
for (const factory of STORE_FACTORIES) availability.set(factory, await factory.unavailable());

/** Runs `suite` once per backend, as `describe("<name> (<backend>)")`. */
export function forEachStore(
  name: string,
  suite: (open: OpenStore) => void,
  factories: readonly StoreFactory[] = STORE_FACTORIES,
): void {
  for (const factory of factories) {
    const reason = availability.get(factory);
    if (reason !== undefined) {
      if (process.env.BGT_REQUIRE_POSTGRES === "1" && factory.name === "postgres") {
        test(`${name} (${factory.name})`, () => {
          throw new Error(`BGT_REQUIRE_POSTGRES=1, but ${reason}`);
        });
      } else if (!skipTold.has(factory)) {
        skipTold.add(factory);
        console.log(`skipped the store tests on ${factory.name}: ${reason}`);
      }
      continue;
    }
    describe(`${name} (${factory.name})`, () => {
      let opened: { location: StoreLocation; stores: TaskStore[] }[] = [];
      afterEach(async () => {
        const done = opened;
        opened = [];
        for (const { location, stores } of done) {
          await Promise.all(stores.map((store) => store.close()));
          await location.drop();
        }
      });
      suite(async (sameAs) => {
        let entry = sameAs && opened.find(({ stores }) => stores.includes(sameAs));
        if (sameAs && !entry) throw new Error("open(sameAs): that store was not opened here");
        if (!entry) {
          entry = { location: await factory.create(), stores: [] };
          opened.push(entry);
        }
        const store = await entry.location.open();
        entry.stores.push(store);
        return store;
      });
    });
  }
}
