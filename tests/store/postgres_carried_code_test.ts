/**
 * The code module tasks carry on a PostgreSQL store (issue 14 item 7), kept once per bundle: a
 * batch of one module's tasks stores its bundle once and rows only name it; a claim gives the
 * code back for the runner, lists do not; housekeeping drops a bundle no task names once it is
 * older than a day, and never one a task still names.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import postgres from "postgres";
import type { TaskStore } from "../../src/store/task_store.ts";
import type { NewTask } from "../../src/task/types.ts";
import { submitIds } from "../_helpers/store.ts";
import { onSchema } from "../_helpers/pg_schemas.ts";
import { forEachStore, postgresFactory } from "./_stores.ts";

const carrying = (module: string, code: string): NewTask => ({
  spec: { kind: "module", module, export: "default", args: [], carried: code },
});
const ROOM = { maxProcesses: 0, maxWorkers: 10 };
const CODE = "export default () => 'carried';\n".repeat(2000); // ~64 KB

/** Runs SQL on the store's schema. */
const onStore = <T>(store: TaskStore, run: (sql: postgres.Sql) => Promise<T>) =>
  onSchema(store.description, run);

forEachStore("carried code", (open) => {
  test("a batch of one module's tasks keeps its bundle once; a claim gives it back, a list does not", async () => {
    const store = await open();
    const ids = await submitIds(store, [
      ...Array.from({ length: 50 }, () => carrying("/gone/a.ts", CODE)),
      carrying("/gone/b.ts", "export default () => 'b';\n"),
    ]);
    const kept = await onStore(
      store,
      (sql) => sql`SELECT hash, length(code) AS n FROM carried_code`,
    );
    assert.equal(kept.length, 2, "one row per distinct bundle");
    const listed = await store.list({ ids, limit: ids.length });
    for (const task of listed) {
      assert.equal(
        task.spec.kind === "module" && task.spec.carried,
        undefined,
        "lists carry no code",
      );
      assert.match(
        task.spec.kind === "module" ? task.spec.carriedHash ?? "" : "",
        /^[0-9a-f]{64}$/,
      );
    }
    const [claimed] = await store.claim("w", { ...ROOM, limit: 1 });
    assert.equal(claimed.spec.kind === "module" && claimed.spec.carried, CODE);
    // Submitting the same bundle again adds no row.
    await submitIds(store, [carrying("/gone/a.ts", CODE)]);
    assert.equal(
      await onStore(store, (sql) => sql`SELECT 1 FROM carried_code`).then((r) => r.length),
      2,
    );
  });

  test("housekeeping drops a day-old bundle no task names, and keeps one a task names", async () => {
    const store = await open();
    const [kept] = await submitIds(store, [carrying("/gone/a.ts", "export default () => 1;\n")]);
    const [gone] = await submitIds(store, [carrying("/gone/b.ts", "export default () => 2;\n")]);
    await store.remove([gone]);
    await onStore(store, (sql) => sql`UPDATE carried_code SET at = at - 2 * 86400000`);
    await store.pruneEvents();
    const left = await onStore(store, (sql) => sql`SELECT hash FROM carried_code`);
    assert.equal(left.length, 1);
    const task = await store.get(kept);
    assert.equal(task?.spec.kind === "module" && task.spec.carriedHash, left[0].hash);
  });
}, [postgresFactory]);
