/**
 * `npm run test:bun:pg`: the end-to-end suites again with every test home on PostgreSQL
 * (`BGT_TEST_STORE=postgres`). When PostgreSQL cannot be reached it prints one line saying how to
 * run them and exits 0, unless `BGT_REQUIRE_POSTGRES=1`, which makes that a failure.
 *
 * @example
 * ```sh
 * bun scripts/test_pg.ts                       # the default suites
 * bun scripts/test_pg.ts tests/e2e/cli_test.ts # some files
 * ```
 */
import { spawnSync } from "node:child_process";
import postgres from "postgres";

const url = process.env.BGT_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
/** The suites that drive bgt through TempHome (tests/e2e/ has postgres_faults_test.ts too). */
const SUITES = [
  "tests/e2e/",
  "tests/reliability/supervisor_crash_test.ts",
  "tests/reliability/load_test.ts",
];

const sql = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
let unreachable: string | undefined;
try {
  await sql`SELECT 1`;
} catch (error) {
  unreachable = (error as Error).message;
} finally {
  await sql.end({ timeout: 1 }).catch(() => {});
}
if (unreachable !== undefined) {
  const line = `the PostgreSQL end-to-end suites: PostgreSQL at ${
    new URL(url).host
  } is not reachable (${unreachable}); start PostgreSQL on 127.0.0.1:5432 or set BGT_TEST_POSTGRES_URL, then run 'npm run test:bun:pg'`;
  if (process.env.BGT_REQUIRE_POSTGRES === "1") {
    console.error(`test:bun:pg: BGT_REQUIRE_POSTGRES=1 and ${line}`);
    process.exit(1);
  }
  console.log(`skipped ${line}`);
  process.exit(0);
}
const files = process.argv.slice(2);
const run = spawnSync(process.execPath, [
  "test",
  "--timeout",
  "120000",
  ...(files.length ? files : SUITES),
], {
  stdio: "inherit",
  env: { ...process.env, BGT_TEST_STORE: "postgres" },
});
process.exit(run.status ?? 1);
