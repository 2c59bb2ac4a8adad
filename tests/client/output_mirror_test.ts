/**
 * The copies a client keeps of output shipped from other hosts (a long-running `bgt ui` makes
 * one per task it shows): at most `kept`, the least recently used deleted first, and a removed
 * task's copy deleted at once.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import postgres from "postgres";
import { Client } from "../../src/client/client.ts";
import { OutputMirrors, removeMirrors } from "../../src/client/output_mirror.ts";
import { openStore, storeConfig } from "../../src/store/open_store.ts";
import { TEST_POSTGRES_URL } from "../_helpers/bgt_home.ts";
import { forEachStore, postgresFactory } from "../store/_stores.ts";

forEachStore("OutputMirrors", (open) => {
  after(() => removeMirrors());

  test("keeps at most `kept` copies, deleting the least recently used; drop() deletes one", async () => {
    const store = await open();
    const output = store.output!;
    for (const id of [1, 2, 3, 4]) {
      const data = new TextEncoder().encode(`task ${id}\n`);
      await output.ship([{ taskId: id, attempt: 1, stream: "stdout", offset: 0, data }]);
    }
    const mirrors = new OutputMirrors(output, 2);
    const copy = async (id: number) => {
      const mirror = mirrors.take(id);
      await mirror.sync();
      return mirror.files;
    };
    const one = await copy(1);
    const two = await copy(2);
    assert.equal(readFileSync(one.stdout, "utf8"), "task 1\n");
    mirrors.get(1); // used again: 2 is now the least recently used
    const three = await copy(3);
    assert.equal(mirrors.size, 2);
    assert.equal(existsSync(two.dir), false, "the least recently used copy is deleted");
    assert.equal(readFileSync(one.stdout, "utf8"), "task 1\n");
    assert.equal(readFileSync(three.stdout, "utf8"), "task 3\n");
    mirrors.drop(3);
    assert.equal(existsSync(three.dir), false, "a removed task's copy is deleted");
    assert.equal(mirrors.size, 1);
    assert.equal(readFileSync((await copy(2)).stdout, "utf8"), "task 2\n", "copied anew");
  });

  test("a client's copy of a task that ran elsewhere goes when the task is removed", async () => {
    const schema = `bgt_m${Math.random().toString(36).slice(2, 12)}`;
    const url = new URL(TEST_POSTGRES_URL);
    url.searchParams.set("schema", schema);
    const dir = mkdtempSync(join(tmpdir(), "bgt-mirror-"));
    const env = { BGT_HOME: join(dir, "home"), BGT_STORE: url.toString(), BGT_NO_AUTOSTART: "1" };
    const client = await Client.open({ env });
    const store = await openStore(storeConfig(env, client.home), { role: "client" });
    const sql = postgres(TEST_POSTGRES_URL, { max: 1, onnotice: () => {} });
    try {
      const [id] = await client.submit([{ spec: { kind: "command", argv: ["true"] } }], {
        wake: false,
      });
      // As if a supervisor of another home had run it and shipped its output.
      await sql.unsafe(
        `UPDATE "${schema}".tasks SET status = 'succeeded', home = '/elsewhere/home' WHERE id = ${id}`,
      );
      const data = new TextEncoder().encode("from elsewhere\n");
      await store.output!.ship([{ taskId: id, attempt: 1, stream: "stdout", offset: 0, data }]);
      const files = await client.files(id);
      assert.equal(readFileSync(files.stdout, "utf8"), "from elsewhere\n");
      await client.remove([id]);
      assert.equal(existsSync(files.dir), false, "the copy went with the task");
    } finally {
      await store.close();
      await client.close();
      await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await sql.end();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}, [postgresFactory]);
