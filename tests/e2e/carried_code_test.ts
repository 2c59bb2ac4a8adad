/**
 * A module task's code travels with it on a shared store (issue 14 item 7), through the binary:
 * two `bgt supervise --host NAME`, each with its own BGT_HOME, on one fresh PostgreSQL schema. A
 * module task submitted without `--pin` carries its code bundled at submission; the host that
 * runs it runs its local file when that file exists (as it is then: a changed file runs its new
 * version, its `import.meta.url` is the real path), else the carried code, with a line on the
 * task's stderr saying so.
 *
 * Runs only with a reachable PostgreSQL (BGT_TEST_POSTGRES_URL, else 127.0.0.1:5432); skipped
 * with one printed line otherwise, unless BGT_REQUIRE_POSTGRES=1.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, afterEach, describe, test } from "node:test";
import { Host, stopHosts } from "../_helpers/hosts.ts";
import { onSchema, PgSchemas, skipWithoutPostgres } from "../_helpers/pg_schemas.ts";
import { postgresFactory } from "../store/_stores.ts";

const unreachable = await postgresFactory.unavailable();
const schemas = new PgSchemas("bgt_cc");

describe("a module task's code travels with it on PostgreSQL", () => {
  const hosts: Host[] = [];
  // Every supervisor stops (by pid) before its schema goes.
  afterEach(() => stopHosts(hosts.splice(0)));
  after(async () => {
    if (unreachable === undefined) await schemas.dropAll();
  });

  test("b runs the carried code when the file is gone, and its own file (as it is now) when it is there", async (t) => {
    if (skipWithoutPostgres(t, unreachable, { ownSchemas: true })) return;
    const store = schemas.url();
    const a = new Host("a", store);
    const b = new Host("b", store);
    hosts.push(a, b);
    await a.start(); // b is not running: what is placed on it waits

    const dir = mkdtempSync(join(a.home.dir, "jobs-"));
    // The job imports a sibling: the bundle carries both.
    writeFileSync(join(dir, "word.ts"), "export const word = 'from submission';\n");
    const gone = join(dir, "gone.ts");
    writeFileSync(
      gone,
      "import { word } from './word.ts';\nexport default () => [word, import.meta.url];\n",
    );
    const here = join(dir, "here.ts");
    writeFileSync(here, "export default () => ['old', import.meta.url];\n");

    const goneId = await a.ok(["run", "--on", "b", gone]);
    const hereId = await a.ok(["run", "--on", "b", here]);
    const againId = await a.ok(["run", "--on", "b", gone]);
    assert.match(
      await a.ok(["show", goneId]),
      /carried\s+code bundled at submission, sha256 [0-9a-f]{12}…/,
    );
    // Each bundle is kept once; a task's row names it by its hash.
    const [{ n }] = await onSchema(
      store,
      (sql) => sql`SELECT count(*)::int AS n FROM carried_code`,
    );
    assert.equal(n, 2, "gone.ts's bundle once for its two tasks, here.ts's once");
    rmSync(gone);
    rmSync(join(dir, "word.ts"));
    // An unpinned task runs its file as it is when it starts: the new version.
    writeFileSync(here, "export default () => ['new', import.meta.url];\n");
    await b.start();

    const waited = await a.bgt(["wait", goneId, againId, hereId]);
    assert.equal(waited.code, 0, waited.stdout + waited.stderr + b.log());
    const [word, goneUrl] = JSON.parse(await a.ok(["result", goneId]));
    assert.equal(word, "from submission");
    assert.equal(JSON.parse(await a.ok(["result", againId]))[0], "from submission");
    assert.match(goneUrl, /carried\.mjs$/);
    assert.match(
      await a.ok(["logs", "--stderr", goneId]),
      new RegExp(`ran the code carried from submission because ${gone} does not exist on host b`),
    );
    assert.deepEqual(JSON.parse(await a.ok(["result", hereId])), [
      "new",
      pathToFileURL(here).href,
    ]);
    assert.doesNotMatch(await a.ok(["logs", "--stderr", hereId]), /carried/);
    const ran = JSON.parse(await a.ok(["show", "--json", goneId]));
    assert.equal(ran.host, "b");
  });
});
